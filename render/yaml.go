package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// encodeYAML writes a plain value tree (map[string]any, []any, string,
// bool, json.Number, int64, float64, nil) as block-style YAML with sorted
// keys. It exists because rendering spends most of its time in YAML
// encoding: sigs.k8s.io/yaml goes JSON → YAML parse → YAML emit. The output
// is the same style kubectl and sigs.k8s.io/yaml write (sequences not
// indented under their key), and strings that YAML would read as anything
// but the same string are double-quoted, with every character a YAML 1.1 or
// 1.2 reader treats specially escaped (see writeQuoted). TestYAMLRoundTrip
// and FuzzYAMLRoundTrip hold it to three independent parsers.
func encodeYAML(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := writeYAML(&b, v, 0, false); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeYAML(b *bytes.Buffer, v any, indent int, inList bool) error {
	if ss, ok := v.([]string); ok {
		v = anySlice(ss)
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			b.WriteString("{}\n")
			return nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			if i > 0 || !inList {
				b.WriteString(strings.Repeat(" ", indent))
			}
			if err := writeScalarString(b, k); err != nil {
				return err
			}
			b.WriteByte(':')
			if err := writeValue(b, x[k], indent); err != nil {
				return err
			}
		}
	case []any:
		if len(x) == 0 {
			b.WriteString("[]\n")
			return nil
		}
		for i, item := range x {
			if i > 0 || !inList {
				b.WriteString(strings.Repeat(" ", indent))
			}
			b.WriteString("- ")
			switch item.(type) {
			case map[string]any, []any:
				if err := writeYAML(b, item, indent+2, true); err != nil {
					return err
				}
			default:
				if err := writeScalar(b, item); err != nil {
					return err
				}
				b.WriteByte('\n')
			}
		}
	default:
		if err := writeScalar(b, v); err != nil {
			return err
		}
		b.WriteByte('\n')
	}
	return nil
}

// writeValue writes the value of a mapping key, after the colon.
func writeValue(b *bytes.Buffer, v any, indent int) error {
	if ss, ok := v.([]string); ok {
		v = anySlice(ss)
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			b.WriteString(" {}\n")
			return nil
		}
		b.WriteByte('\n')
		return writeYAML(b, x, indent+2, false)
	case []any:
		if len(x) == 0 {
			b.WriteString(" []\n")
			return nil
		}
		b.WriteByte('\n')
		return writeYAML(b, x, indent, false)
	}
	b.WriteByte(' ')
	if err := writeScalar(b, v); err != nil {
		return err
	}
	b.WriteByte('\n')
	return nil
}

func writeScalar(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		return writeScalarString(b, x)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case json.Number:
		b.WriteString(x.String())
	case int:
		b.WriteString(strconv.Itoa(x))
	case int32:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return fmt.Errorf("cannot encode %v", x)
		}
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	default:
		return fmt.Errorf("render: cannot encode %T as YAML", v)
	}
	return nil
}

// plainOK reports whether s can be written as a plain (unquoted) scalar
// that every YAML 1.1 and 1.2 reader takes for the same string. It is
// conservative: anything unusual is quoted.
func plainOK(s string) bool {
	if s == "" || s[len(s)-1] == ' ' || s[len(s)-1] == ':' {
		return false
	}
	if !isPlainFirst(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("_./$(){}%+=@,-'", c) >= 0:
		case c == ':':
			if s[i+1] == ' ' {
				return false
			}
		case c == '#':
			if s[i-1] == ' ' {
				return false
			}
		case c == ' ':
			if s[i+1] == ' ' || s[i+1] == '#' {
				return false
			}
		default:
			return false
		}
	}
	return !ambiguous(s)
}

func isPlainFirst(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_/$(.+", c) >= 0
}

// ambiguous reports whether a reader could take s for a number, boolean,
// null or timestamp.
func ambiguous(s string) bool {
	if len(s) <= 5 { // the longest keyword is false (or +.inf)
		switch strings.ToLower(s) {
		case "true", "false", "yes", "no", "on", "off", "y", "n", "null", ".inf", "+.inf", "-.inf", ".nan":
			return true
		}
	}
	c := s[0]
	if !(c >= '0' && c <= '9' || c == '.' || c == '+' || c == '-') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte("0123456789_.,:+-eExXoObBabcdfABCDF", s[i]) < 0 {
			return len(s) >= 5 && s[4] == '-' && strings.Trim(s[:4], "0123456789") == ""
		}
	}
	return true
}

// writeScalarString writes s plain when plainOK allows, double-quoted
// otherwise.
func writeScalarString(b *bytes.Buffer, s string) error {
	if plainOK(s) {
		b.WriteString(s)
		return nil
	}
	return writeQuoted(b, s)
}

// writeQuoted writes s as a double-quoted scalar that every YAML 1.1 and
// 1.2 reader (libyaml and its Go port yaml.v3, sigs.k8s.io/yaml, PyYAML)
// reads back as s. Escaped are the quote and backslash, every C0 control
// (tab and line feed included: a raw one would be folded), DEL, every C1
// control (NEL, U+0085, is a line break to YAML 1.1 readers and is folded to
// a space), the line and paragraph separators U+2028 and U+2029 (line
// breaks to YAML 1.1), the byte order mark U+FEFF, and the non-characters
// U+FFFE and U+FFFF (not printable in YAML). Everything else is printable
// in YAML and written as is. A string that is not valid UTF-8 cannot be
// written in YAML at all and is an error.
func writeQuoted(b *bytes.Buffer, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("render: %q is not valid UTF-8", s)
	}
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20, r >= 0x7f && r <= 0x9f, r == '\u2028', r == '\u2029', r == '\ufeff', r == '\ufffe', r == '\uffff':
			fmt.Fprintf(b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return nil
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
