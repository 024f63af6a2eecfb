package goldenpath

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestImagePins(t *testing.T) {
	d := func(n string) string { return "@sha256:" + strings.Repeat(n, 64) }
	pins, err := ImagePins([]string{"r/lone" + d("1"), "payments-api=r/p" + d("2"), "payments-api=r/p" + d("3"), "dev/sample-go=r/g" + d("4")})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"":              "r/lone" + d("1"),
		"payments-api":  "r/p" + d("3"),
		"dev/sample-go": "r/g" + d("4"),
	}, pins)
	pins, err = ImagePins(nil)
	require.NoError(t, err)
	assert.Empty(t, pins)

	_, err = ImagePins([]string{"payments-api=r/p:latest"})
	assert.EqualError(t, err, `"r/p:latest" is not an image pinned by digest: give REPOSITORY@sha256:DIGEST (a tag would let the image change under the tree)`)
	_, err = ImagePins([]string{"payments-api="})
	assert.EqualError(t, err, `"payments-api=": no image after "payments-api=": give APPLICATION=REPOSITORY@sha256:DIGEST`)
	_, err = ImagePins([]string{"r/p@sha256:123"})
	assert.ErrorContains(t, err, "is not an image pinned by digest")
}
