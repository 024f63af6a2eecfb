package contract

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	yaml "go.yaml.in/yaml/v3"
)

// The strict decoder walks a parsed yaml.Node tree into Go structs itself,
// rather than through yaml.Unmarshal, so that it can (a) report every problem
// in a document instead of the first, (b) give each problem a line, column and
// field path, (c) refuse unknown and duplicate keys and (d) bound the work an
// alias-laden document can cause. Field names come from the `json` struct
// tags, the same names the JSON Schema is generated from.

// index maps a field path to where its value stands in the file. While a
// document is decoded it is a map; freeze then turns it into a sorted slice
// of compact entries, a fifth of the map's memory, since every loaded
// request keeps its index (validate and render hold thousands of requests
// to admit them together).
type index struct {
	file   string
	values map[string]Position // while decoding
	frozen []indexEntry        // after freeze, sorted by path
}

// indexEntry is one field's position in a frozen index.
type indexEntry struct {
	path         string
	line, column int32
}

func newIndex(file string) *index {
	// A contract has a few dozen fields: size the map for that.
	return &index{file: file, values: make(map[string]Position, 64)}
}

// freeze replaces the map by the sorted slice.
func (ix *index) freeze() {
	ix.frozen = make([]indexEntry, 0, len(ix.values))
	for p, pos := range ix.values {
		ix.frozen = append(ix.frozen, indexEntry{path: p, line: int32(pos.Line), column: int32(pos.Column)})
	}
	slices.SortFunc(ix.frozen, func(a, b indexEntry) int { return strings.Compare(a.path, b.path) })
	ix.values = nil
}

// get returns where path's value stands, if it is written.
func (ix *index) get(path string) (Position, bool) {
	if ix.values != nil {
		pos, ok := ix.values[path]
		return pos, ok
	}
	i, ok := slices.BinarySearchFunc(ix.frozen, path, func(e indexEntry, p string) int { return strings.Compare(e.path, p) })
	if !ok {
		return Position{}, false
	}
	return Position{File: ix.file, Line: int(ix.frozen[i].line), Column: int(ix.frozen[i].column)}, true
}

// locate returns the position of path's value, or of the nearest enclosing
// field that has one (a missing required field is reported at its parent).
func (ix *index) locate(path string) Position {
	if ix == nil {
		return Position{}
	}
	for p := path; ; {
		if pos, ok := ix.get(p); ok {
			return pos
		}
		if p == "" {
			return Position{}
		}
		p = parentPath(p)
	}
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// decoder carries the state of one document's decoding.
type decoder struct {
	file   string
	errs   Errors
	ix     *index
	failed map[string]bool // paths whose value could not be decoded
	budget int             // nodes left to visit, counting alias expansions
}

// maxNodes bounds the nodes visited in one document, alias expansions
// included: a contract has a few dozen; an alias bomb has billions.
const maxNodes = 10000

var errBudget = "the document expands to more than 10000 YAML nodes (are aliases nesting each other?)"

func newDecoder(file string) *decoder {
	return &decoder{file: file, ix: newIndex(file), failed: map[string]bool{}, budget: maxNodes}
}

func (d *decoder) pos(n *yaml.Node) Position {
	return Position{File: d.file, Line: n.Line, Column: n.Column}
}

func (d *decoder) fail(n *yaml.Node, path fieldPath, hint, format string, args ...any) {
	d.failed[string(path)] = true
	d.errs = append(d.errs, &FieldError{Position: d.pos(n), Path: string(path), Message: fmt.Sprintf(format, args...), Hint: hint})
}

// resolve follows aliases and charges the node to the budget. It returns nil
// when the budget is spent (and reports that once).
func (d *decoder) resolve(n *yaml.Node, path fieldPath) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if d.budget <= 0 {
		return nil
	}
	d.budget--
	if d.budget == 0 {
		d.fail(n, path, "", "%s", errBudget)
		return nil
	}
	return n
}

// nodeDecoder is implemented by types that decode their own scalar form
// (Quantity accepts both `cpu: 1` and `cpu: 250m`).
type nodeDecoder interface {
	decodeNode(n *yaml.Node) (hint string, err error)
}

var nodeDecoderType = reflect.TypeFor[nodeDecoder]()

// decode fills v from n, reporting problems under path.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path fieldPath) {
	if n = d.resolve(n, path); n == nil {
		return
	}
	d.ix.values[string(path)] = d.pos(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		d.fail(n, path, "give it a value or remove the key", "has no value")
		return
	}
	if v.CanAddr() && v.Addr().Type().Implements(nodeDecoderType) {
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "", "must be a scalar, not a %s", kindName(n))
			return
		}
		if hint, err := v.Addr().Interface().(nodeDecoder).decodeNode(n); err != nil {
			d.fail(n, path, hint, "%v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.String:
		if s, ok := d.scalar(n, path, "!!str", "a string"); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		if s, ok := d.scalar(n, path, "!!bool", "true or false"); ok {
			b, _ := strconv.ParseBool(strings.ToLower(s))
			v.SetBool(b)
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		if s, ok := d.scalar(n, path, "!!int", "a whole number"); ok {
			i, err := strconv.ParseInt(s, 0, v.Type().Bits())
			if err != nil {
				d.fail(n, path, "", "%s is out of range for a %d-bit integer", s, v.Type().Bits())
				return
			}
			v.SetInt(i)
		}
	default:
		d.fail(n, path, "", "fields of Go type %s cannot be read from YAML", v.Type())
	}
}

// scalar checks that n is a scalar with the given resolved tag.
func (d *decoder) scalar(n *yaml.Node, path fieldPath, tag, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "", "must be %s, not a %s", want, kindName(n))
		return "", false
	}
	if n.ShortTag() != tag {
		hint := ""
		if tag == "!!str" {
			hint = fmt.Sprintf("quote it to make it a string: %q", n.Value)
		}
		d.fail(n, path, hint, "must be %s, not %s %q", want, tagName(n.ShortTag()), n.Value)
		return "", false
	}
	return n.Value, true
}

// mappingPairs checks that n is a mapping with unique, plain string keys and
// returns its key/value pairs. Problems with keys are reported here.
func (d *decoder) mappingPairs(n *yaml.Node, path fieldPath, want string) (keys []*yaml.Node, values []*yaml.Node, ok bool) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "", "must be %s, not a %s", want, kindName(n))
		return nil, nil, false
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.resolve(n.Content[i], path)
		if k == nil {
			return keys, values, true
		}
		val := n.Content[i+1]
		if k.Kind != yaml.ScalarNode || (k.ShortTag() != "!!str" && k.ShortTag() != "!!merge") {
			d.fail(k, path, "", "keys must be plain strings, not %s %q", tagName(k.ShortTag()), k.Value)
			continue
		}
		if k.ShortTag() == "!!merge" {
			d.fail(k, path, "write the fields out instead", "YAML merge keys (<<) are not supported")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.fail(k, path.Key(k.Value), "remove one of them", "duplicate key %q (first defined at line %d)", k.Value, first.Line)
			continue
		}
		seen[k.Value] = k
		keys = append(keys, k)
		values = append(values, val)
	}
	return keys, values, true
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path fieldPath) {
	keys, values, ok := d.mappingPairs(n, path, "a mapping")
	if !ok {
		return
	}
	fields := structFields(v.Type())
	for i, k := range keys {
		child := path.Child(k.Value)
		f, known := fields[k.Value]
		if !known {
			d.failed[string(child)] = true
			d.errs = append(d.errs, &FieldError{
				Position: d.pos(k), Path: string(child),
				Message: fmt.Sprintf("unknown field %q", k.Value),
				Hint:    suggest(k.Value, slices.Sorted(maps.Keys(fields))),
			})
			continue
		}
		d.decode(values[i], v.FieldByIndex(f), child)
	}
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path fieldPath) {
	keys, values, ok := d.mappingPairs(n, path, "a mapping of names to values")
	if !ok {
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(v.Type(), len(keys)))
	}
	for i, k := range keys {
		child := path.Key(k.Value)
		elem := reflect.New(v.Type().Elem()).Elem()
		before := len(d.errs)
		d.decode(values[i], elem, child)
		if len(d.errs) == before {
			v.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
		}
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path fieldPath) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "", "must be a list, not a %s", kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), path.Index(i))
	}
	v.Set(s)
}

// fieldCache holds structFields' answer per type: the reflection is the
// same for every document.
var fieldCache sync.Map // reflect.Type -> map[string][]int

// structFields maps json names to field indexes, following embedded structs.
func structFields(t reflect.Type) map[string][]int {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string][]int)
	}
	m := computeStructFields(t)
	fieldCache.Store(t, m)
	return m
}

func computeStructFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			for k, idx := range computeStructFields(f.Type) {
				out[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = []int{i}
	}
	return out
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return tagName(n.ShortTag())
	}
	return "YAML node"
}

func tagName(tag string) string {
	switch tag {
	case "!!str":
		return "string"
	case "!!int":
		return "number"
	case "!!float":
		return "number"
	case "!!bool":
		return "boolean"
	case "!!null":
		return "null"
	case "!!timestamp":
		return "timestamp"
	}
	return strings.TrimPrefix(tag, "!!")
}

// suggest proposes the closest known name for a misspelt key.
func suggest(got string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if dist := editDistance(strings.ToLower(got), strings.ToLower(k)); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "known fields: " + strings.Join(known, ", ")
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
