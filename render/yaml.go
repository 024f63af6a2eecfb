package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// encodeYAML writes a plain value tree (map[string]any, []any, string,
// bool, json.Number, int64, float64, nil) as block-style YAML with sorted
// keys. It exists because rendering spends most of its time in YAML
// encoding: sigs.k8s.io/yaml goes JSON → YAML parse → YAML emit. The output
// is the same style kubectl and sigs.k8s.io/yaml write (sequences not
// indented under their key), and strings that YAML would read as anything
// but the same string are double-quoted (a JSON string is a valid YAML
// double-quoted scalar). TestYAMLRoundTrip holds it to a real YAML parser.
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
			writeScalarString(b, k)
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
		writeScalarString(b, x)
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

func writeScalarString(b *bytes.Buffer, s string) {
	if plainOK(s) {
		b.WriteString(s)
		return
	}
	q, _ := json.Marshal(s)
	b.Write(q)
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
