package output

import (
	"fmt"
	"strings"
	"unicode"
)

// Printable makes text from an image or a registry safe for a terminal:
// control characters (ESC and the rest of C0 and C1, DEL) and the Unicode
// bidirectional overrides are shown as Go escapes (\x1b, \u202e) instead
// of reaching the terminal, where they could rewrite what it shows. JSON
// output is not passed through it: it stays exact.
func Printable(s string) string {
	if strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !unsafeRune(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r == unicode.ReplacementChar || unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) ||
		(r >= 0x2028 && r <= 0x2029)
}

// PrintableLines is Printable for messages of several lines: newlines and
// tabs are kept, every other control character is escaped.
func PrintableLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		parts := strings.Split(l, "\t")
		for j, p := range parts {
			parts[j] = Printable(p)
		}
		lines[i] = strings.Join(parts, "\t")
	}
	return strings.Join(lines, "\n")
}
