package contract

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"id", "id", 0}, {"", "id", 2}, {"a7", "id", 2},
		{"di", "id", 1}, {"hots", "host", 1}, {"ab", "ba", 1}, {"abc", "ca", 3},
		{"kitten", "sitting", 3}, {"replica", "replicas", 1},
	} {
		assert.Equal(t, tc.want, editDistance(tc.a, tc.b), "%q %q", tc.a, tc.b)
		assert.Equal(t, tc.want, editDistance(tc.b, tc.a), "%q %q", tc.b, tc.a)
	}
}

// A huge unknown key is not compared letter by letter with every name.
func TestSuggestHugeKey(t *testing.T) {
	assert.Equal(t, "known fields: id, owner", suggest(strings.Repeat("i", 1<<20), []string{"id", "owner"}))
}
