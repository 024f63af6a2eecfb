package render

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	yaml3 "go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// normalize turns a value into what JSON makes of it, so that values
// decoded by different YAML libraries compare equal.
func normalize(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(data, &out))
	return out
}

func roundTrip(t *testing.T, v map[string]any) {
	t.Helper()
	data, err := encodeYAML(v)
	require.NoError(t, err)
	var v3 any
	require.NoError(t, yaml3.Unmarshal(data, &v3), "%s", data)
	require.Equal(t, normalize(t, v), normalize(t, v3), "yaml.v3 reads back something else from\n%s", data)
	// YAML 1.1 readers (sigs.k8s.io/yaml, kubectl) must agree too.
	var v2 any
	require.NoError(t, sigsyaml.Unmarshal(data, &v2), "%s", data)
	require.Equal(t, normalize(t, v), normalize(t, v2), "sigs.k8s.io/yaml reads back something else from\n%s", data)
}

func TestYAMLRoundTrip(t *testing.T) {
	tricky := []string{"", " ", "yes", "No", "on", "off", "y", "n", "true", "null", "~", "1", "0x1F", "1e3", "1_000", "12:30", "2026-11-25",
		".inf", "-.5", "- a", "a: b", "a #b", "#x", "@x", "`x`", "!x", "&x", "*x", "|", ">", "?", "%x", "'x", "\"x", "a\nb", "a\tb", "trailing ",
		"${{ parameters.x }}", "{x}", "[x]", "x,y", "1.0", "+1", "0o17", "=", "é", "\u2028", "http://x.example/y?z=1#f", "a'b", "--x"}
	for _, s := range tricky {
		roundTrip(t, map[string]any{"k": s, s: []any{s, map[string]any{s: s}}})
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("aZ09 -_:#'\"{}[],&*!|>%@`?.\n\t~/=+$é")
	for range 3000 {
		n := r.IntN(8)
		var sb strings.Builder
		for range n {
			sb.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		s := sb.String()
		roundTrip(t, map[string]any{"k": s, "l": []any{s}, s: s})
	}
	roundTrip(t, map[string]any{
		"empty":  map[string]any{},
		"list":   []any{},
		"nested": []any{[]any{"a", map[string]any{"b": []any{}}}, map[string]any{}, nil, true, json.Number("42"), json.Number("2.5")},
	})
}
