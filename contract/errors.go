package contract

import (
	"fmt"
	"sort"
	"strings"
)

// Position is a place in a source file. Line and Column are 1-based; zero
// means unknown.
type Position struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// String renders the position as file:line:col, leaving out what is unknown.
func (p Position) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
	}
	return b.String()
}

// FieldError is one problem with a document: where it is (file, line,
// column), which field it concerns (a dotted path such as
// spec.runtime.replicas or spec.bindings[1].name), what is wrong and,
// optionally, a hint on how to fix it.
type FieldError struct {
	Position
	// Path is the field path inside the document; empty for problems with
	// the document as a whole (syntax errors, empty files).
	Path string `json:"path,omitempty"`
	// Message says what is wrong.
	Message string `json:"message"`
	// Hint says what to do about it, when there is something to say.
	Hint string `json:"hint,omitempty"`
}

// Error renders the error as `file:line:col: path: message (hint)`.
func (e *FieldError) Error() string {
	var b strings.Builder
	if s := e.Position.String(); s != "" {
		b.WriteString(s)
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Errors is a list of problems found in one or more documents. A nil or
// empty Errors means no problem; use [Errors.Err] to turn it into an error
// value that is nil when the list is empty.
type Errors []*FieldError

// Error joins every problem on its own line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns nil for an empty list and the list itself otherwise, so that a
// function can `return errs.Err()` without returning a typed nil.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// Sort orders the problems by file, line, column and path, so that output is
// stable whatever order the checks ran in.
func (es Errors) Sort() {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Path < b.Path
	})
}

// AsErrors extracts the list of problems from an error returned by this
// package. An error of another kind becomes a single problem without a
// position.
func AsErrors(err error) Errors {
	if err == nil {
		return nil
	}
	switch e := err.(type) {
	case Errors:
		return e
	case *FieldError:
		return Errors{e}
	}
	return Errors{{Message: err.Error()}}
}

// fieldPath builds dotted paths: root.child, list[3], env.NAME.
type fieldPath string

func (p fieldPath) Child(name string) fieldPath {
	if p == "" {
		return fieldPath(name)
	}
	return p + "." + fieldPath(name)
}

func (p fieldPath) Index(i int) fieldPath { return fieldPath(fmt.Sprintf("%s[%d]", p, i)) }

// Key addresses an entry of a string map (an environment variable, a build
// argument); it is written like a child field.
func (p fieldPath) Key(k string) fieldPath { return p.Child(k) }
