package render

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// tricky are strings a YAML reader may take for something else.
var tricky = []string{"", " ", "yes", "No", "on", "off", "y", "n", "true", "null", "~", "1", "0x1F", "1e3", "1_000", "12:30", "2026-11-25",
	".inf", "-.5", "- a", "a: b", "a #b", "#x", "@x", "`x`", "!x", "&x", "*x", "|", ">", "?", "%x", "'x", "\"x", "a\nb", "a\tb", "trailing ",
	"${{ parameters.x }}", "{x}", "[x]", "x,y", "1.0", "+1", "0o17", "=", "<<", "é", "\u2028", "http://x.example/y?z=1#f", "a'b", "--x",
	// Issue 14.6: each of these was written raw inside double quotes.
	"\x7f", "a\u0080b", "\u0085", "x\u0085y", "\u009f", "\ufffe", "\uffff", "\ufeff", "\u2029", "\x00", "\x1b[31m", "\r\n", "\v\f",
}

// alphabet holds a code point of every class a YAML reader treats
// differently: ASCII letters, digits and indicators, white space, every C0
// control, DEL, C1 controls (NEL among them), no-break space, Latin-1 and
// other BMP letters, combining marks, the line and paragraph separators,
// the byte order mark, private use, the replacement character, the
// non-characters U+FFFE and U+FFFF, and characters beyond the BMP.
var alphabet = func() []rune {
	r := []rune("aZ09 -_:#'\"{}[],&*!|>%@`?.~/=+$<\\")
	for c := rune(0); c < 0x20; c++ {
		r = append(r, c)
	}
	return append(r, 0x7f, 0x80, 0x85, 0x9f, 0xa0, 'é', 'ß', 'Ω', '中', 0x0301, 0x2028, 0x2029, 0xfeff, 0xe000, 0xfffd, 0xfffe, 0xffff,
		0x1f600, 0x10ffff)
}()

// roundTripBatch checks the strings in batches, one document each where
// every string is a key, a value and a list item; a failing batch is
// checked string by string to name the culprit.
func roundTripBatch(t *testing.T, strs []string, withPython bool) {
	t.Helper()
	for len(strs) > 0 {
		n := min(len(strs), 500)
		batch := strs[:n]
		strs = strs[n:]
		doc := map[string]any{}
		var list []any
		for _, s := range batch {
			doc[s] = s
			list = append(list, s)
		}
		doc["list of every string"] = list
		if checkRoundTrip(doc, withPython) == nil {
			continue
		}
		for _, s := range batch {
			require.NoError(t, checkRoundTrip(map[string]any{"k": s, s: []any{s, map[string]any{s: s}}}, withPython), "%q", s)
		}
	}
}

// randomStrings are n strings of up to 9 code points of alphabet.
func randomStrings(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 2))
	out := make([]string, n)
	for i := range out {
		var sb strings.Builder
		for range r.IntN(10) {
			sb.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		out[i] = sb.String()
	}
	return out
}

// everyClass is each code point class of alphabet alone, between letters
// and before a space; every code point of the C0, DEL, C1 and Latin-1
// ranges and of the general punctuation block; and the code points around
// the special ones.
func everyClass() []string {
	var each []string
	for _, c := range alphabet {
		each = append(each, string(c), "a"+string(c)+"b", string(c)+" ")
	}
	for c := rune(0); c <= 0x2030; c++ {
		if c < 0x100 || c >= 0x2000 {
			each = append(each, "x"+string(c))
		}
	}
	for _, c := range []rune{0xd7ff, 0xe000, 0xfdd0, 0xfeff, 0xfff0, 0xfffd, 0xfffe, 0xffff, 0x10000, 0x10ffff} {
		each = append(each, "x"+string(c))
	}
	return each
}

// TestYAMLRoundTrip checks the tricky strings, every code point class and
// thousands of random strings with the Go parsers, and the tricky strings
// and every class with PyYAML too (PyYAML parses slowly: the integration
// suite and the fuzzer give it the random strings).
func TestYAMLRoundTrip(t *testing.T) {
	withPython := usePyYAML(t)
	roundTripBatch(t, tricky, withPython)
	roundTripBatch(t, everyClass(), withPython)
	roundTripBatch(t, randomStrings(3000, 1), false)
	require.NoError(t, checkRoundTrip(map[string]any{
		"empty":  map[string]any{},
		"list":   []any{},
		"nested": []any{[]any{"a", map[string]any{"b": []any{}}}, map[string]any{}, nil, true, json.Number("42"), json.Number("2.5")},
	}, withPython))
}

// A string that is not UTF-8 has no YAML form: the emitter refuses it
// instead of writing something else.
func TestYAMLRefusesInvalidUTF8(t *testing.T) {
	for _, s := range []string{"\xff", "a\xc3", "\xed\xa0\x80"} {
		_, err := encodeYAML(map[string]any{"k": s})
		require.ErrorContains(t, err, "not valid UTF-8")
		_, err = encodeYAML(map[string]any{s: "v"})
		require.ErrorContains(t, err, "not valid UTF-8")
	}
}

// FuzzYAMLRoundTrip: whatever the key and value, the emitted YAML reads
// back the same with all three parsers (PyYAML where it is installed, see
// usePyYAML), or the emitter refuses a string that is not UTF-8. Its seed
// corpus is in testdata/fuzz/FuzzYAMLRoundTrip; run it with
// go test -fuzz FuzzYAMLRoundTrip ./render.
func FuzzYAMLRoundTrip(f *testing.F) {
	for _, s := range tricky {
		f.Add("k", s)
		f.Add(s, "v")
	}
	withPython := usePyYAML(f)
	f.Fuzz(func(t *testing.T, key, value string) {
		doc := map[string]any{"k": value, key: []any{value, map[string]any{value: key}}, "l": []any{key, []any{value}}}
		if !utf8.ValidString(key) || !utf8.ValidString(value) {
			if _, err := encodeYAML(doc); err == nil {
				t.Fatalf("invalid UTF-8 %q / %q encoded without an error", key, value)
			}
			return
		}
		if err := checkRoundTrip(doc, withPython); err != nil {
			t.Fatal(err)
		}
	})
}
