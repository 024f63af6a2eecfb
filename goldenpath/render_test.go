package goldenpath

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestImagePins(t *testing.T) {
	assert.Equal(t, map[string]string{
		"":              "r/lone@sha256:1",
		"payments-api":  "r/p@sha256:3",
		"dev/sample-go": "r/g@sha256:4",
	}, ImagePins([]string{"r/lone@sha256:1", "payments-api=r/p@sha256:2", "payments-api=r/p@sha256:3", "dev/sample-go=r/g@sha256:4"}))
	assert.Empty(t, ImagePins(nil))
}
