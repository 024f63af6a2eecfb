package main

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The same binary gives the same image digest, whenever it is assembled; a
// different binary gives another.
func TestImageIsReproducible(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "goldenpath")
	require.NoError(t, os.WriteFile(bin, []byte("#!fake binary\n"), 0o755))
	a, err := Image(bin, "", "amd64")
	require.NoError(t, err)
	now := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(bin, now, now)) // another file time changes nothing
	b, err := Image(bin, "", "amd64")
	require.NoError(t, err)
	da, _ := a.Digest()
	db, _ := b.Digest()
	assert.Equal(t, da, db)
	require.NoError(t, os.WriteFile(bin, []byte("#!another binary\n"), 0o755))
	c, err := Image(bin, "", "amd64")
	require.NoError(t, err)
	dc, _ := c.Digest()
	assert.NotEqual(t, da, dc)

	cf, err := a.ConfigFile()
	require.NoError(t, err)
	assert.Equal(t, "65532:65532", cf.Config.User)
	assert.Equal(t, []string{"/goldenpath"}, cf.Config.Entrypoint)
	assert.Equal(t, int64(0), cf.Created.Unix())
	files := map[string]*tar.Header{}
	rc := mutate.Extract(a)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		files[strings.TrimSuffix(h.Name, "/")] = h
		assert.Equal(t, int64(0), h.ModTime.Unix(), h.Name)
	}
	require.Contains(t, files, "goldenpath")
	assert.Equal(t, int64(0o755), files["goldenpath"].Mode)
	assert.Equal(t, 65532, files["home/nonroot"].Uid)
	assert.Contains(t, files, "etc/passwd")
	assert.Contains(t, files, "tmp")
	assert.Equal(t, int64(0o1777), files["tmp"].Mode&0o7777)
}
