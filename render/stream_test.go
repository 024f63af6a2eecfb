package render_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/render"
)

// streamBytes is render.Stream into memory.
func streamBytes(objs []render.Object) ([]byte, error) {
	var buf bytes.Buffer
	err := render.Stream(&buf, objs)
	return buf.Bytes(), err
}

// A stream written in pieces is the stream written at once.
func TestStreamWriterInPieces(t *testing.T) {
	objs := renderCase(t, "../contract/testdata/valid-multi.yaml", "", render.AppOptions{})
	require.Greater(t, len(objs), 3)
	whole, err := streamBytes(objs)
	require.NoError(t, err)
	var buf bytes.Buffer
	s := render.NewStreamWriter(&buf)
	for _, o := range objs {
		require.NoError(t, s.Write(o))
	}
	require.NoError(t, s.Write())
	assert.Equal(t, string(whole), buf.String())
	assert.True(t, strings.HasPrefix(buf.String(), "# "+objs[0].Path+"\n"))
	assert.Equal(t, len(objs)-1, strings.Count(buf.String(), "\n---\n"))
}

type failingWriter struct{ after int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errors.New("disk full")
	}
	f.after--
	return len(p), nil
}

// A failing writer stops the stream with its error.
func TestStreamWriterError(t *testing.T) {
	objs := renderCase(t, "../examples/contracts/dev/payments-api.yaml", "", render.AppOptions{})
	for after := range 4 {
		err := render.Stream(&failingWriter{after: after}, objs)
		assert.EqualError(t, err, "disk full")
	}
}
