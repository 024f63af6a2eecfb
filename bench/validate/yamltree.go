package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A tiny ordered YAML tree: the generator writes contracts with keys in a
// stable order, as people write them.
//
// node is a mapping entry. A scalar entry has val (already written as YAML);
// a mapping has kids; a list of mappings has items. flow writes a mapping on
// one line ({a: b, c: d}).
type node struct {
	key     string
	val     string
	kids    []*node
	items   [][]*node
	flow    bool
	comment string
}

func scalar(k, v string) *node              { return &node{key: k, val: v} }
func mapping(k string, kids ...*node) *node { return &node{key: k, kids: kids} }

type tree struct{ top []*node }

// find returns the entry at a dotted path, or nil.
func (t *tree) find(path string) *node {
	kids := t.top
	var cur *node
	for _, part := range strings.Split(path, ".") {
		cur = nil
		for _, k := range kids {
			if k.key == part {
				cur = k
				break
			}
		}
		if cur == nil {
			return nil
		}
		kids = cur.kids
	}
	return cur
}

// ensure returns the mapping at path, creating missing mappings.
func (t *tree) ensure(path string) *node {
	kids := &t.top
	var cur *node
	for _, part := range strings.Split(path, ".") {
		cur = nil
		for _, k := range *kids {
			if k.key == part {
				cur = k
				break
			}
		}
		if cur == nil {
			cur = &node{key: part}
			*kids = append(*kids, cur)
		}
		kids = &cur.kids
	}
	return cur
}

// set writes a scalar at path, replacing the entry or appending it to its
// parent mapping.
func (t *tree) set(path, val string) {
	if n := t.find(path); n != nil {
		n.val, n.kids, n.items = val, nil, nil
		return
	}
	parent, key := "", path
	if i := strings.LastIndex(path, "."); i >= 0 {
		parent, key = path[:i], path[i+1:]
	}
	if parent == "" {
		t.top = append(t.top, scalar(key, val))
		return
	}
	p := t.ensure(parent)
	p.kids = append(p.kids, scalar(key, val))
}

// del removes the entry at path.
func (t *tree) del(path string) {
	kids := &t.top
	if i := strings.LastIndex(path, "."); i >= 0 {
		p := t.find(path[:i])
		if p == nil {
			return
		}
		kids = &p.kids
		path = path[i+1:]
	}
	for i, k := range *kids {
		if k.key == path {
			*kids = append((*kids)[:i], (*kids)[i+1:]...)
			return
		}
	}
}

func (t *tree) render() []byte {
	var b strings.Builder
	for _, n := range t.top {
		writeNode(&b, n, 0, "")
	}
	return []byte(b.String())
}

func writeNode(b *strings.Builder, n *node, indent int, prefix string) {
	pad := strings.Repeat(" ", indent)
	if prefix != "" {
		pad = prefix
	}
	comment := ""
	if n.comment != "" {
		comment = "  # " + n.comment
	}
	switch {
	case n.items != nil:
		fmt.Fprintf(b, "%s%s:%s\n", pad, n.key, comment)
		for _, item := range n.items {
			for j, kid := range item {
				p := strings.Repeat(" ", indent+4)
				if j == 0 {
					p = strings.Repeat(" ", indent+2) + "- "
				}
				writeNode(b, kid, indent+4, p)
			}
		}
	case n.kids != nil && n.flow:
		parts := make([]string, len(n.kids))
		for i, k := range n.kids {
			parts[i] = k.key + ": " + k.val
		}
		fmt.Fprintf(b, "%s%s: {%s}%s\n", pad, n.key, strings.Join(parts, ", "), comment)
	case n.kids != nil:
		fmt.Fprintf(b, "%s%s:%s\n", pad, n.key, comment)
		for _, k := range n.kids {
			writeNode(b, k, indent+2, "")
		}
	default:
		fmt.Fprintf(b, "%s%s: %s%s\n", pad, n.key, n.val, comment)
	}
}

// str writes s as a YAML string: plain when that cannot be read as anything
// else, double-quoted (JSON syntax, which YAML accepts) otherwise.
func str(s string) string {
	if plainRE.MatchString(s) && !strings.HasSuffix(s, ":") && !numberLikeRE.MatchString(s) && !yamlWords[strings.ToLower(s)] {
		return s
	}
	return strconv.Quote(s)
}

var (
	plainRE      = regexp.MustCompile(`^[A-Za-z/][A-Za-z0-9_./@:-]*$`)
	numberLikeRE = regexp.MustCompile(`^[0-9.+-]`)
	yamlWords    = map[string]bool{"true": true, "false": true, "null": true, "yes": true, "no": true, "on": true, "off": true, "y": true, "n": true, "~": true}
)
