// Package output prints the results of goldenpath's calls, for the CLI,
// the Dagger module and any other front end, so that every front end
// prints a result the same way. A result type has a set of [Printers],
// one per [Format] it can be printed in (text for people, json for
// programs, github for GitHub Actions annotations where it fits), each
// behind the [Printer] interface, as kubeconform's output package does.
//
// This package holds the interface, the formats and the printers of the
// light facade's results (the validation [Report]); the printers of the
// heavier results sit next to them in the facade's sub-packages
// (build.Output, supplychain.SignOutput, fleet.PlanOutput, ...), so that a
// program that only validates does not link the build, signing and fleet
// code to print its report.
package output

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Format is an output format.
type Format string

// The formats.
const (
	// Text is for people: lines and summaries.
	Text Format = "text"
	// JSON is the result as indented JSON, for programs.
	JSON Format = "json"
	// GitHub is GitHub Actions workflow commands (::error annotations).
	GitHub Format = "github"
)

// Printer writes one result in one format.
type Printer[T any] interface {
	Print(w io.Writer, v T) error
}

// PrinterFunc is a function as a Printer.
type PrinterFunc[T any] func(w io.Writer, v T) error

// Print calls f.
func (f PrinterFunc[T]) Print(w io.Writer, v T) error { return f(w, v) }

// Printers are the formats a result type can be printed in.
type Printers[T any] map[Format]Printer[T]

// Formats lists the formats, text and json first.
func (p Printers[T]) Formats() []Format {
	out := make([]Format, 0, len(p))
	for f := range p {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b Format) int {
		if c := rank(a) - rank(b); c != 0 {
			return c
		}
		return strings.Compare(string(a), string(b))
	})
	return out
}

func rank(f Format) int {
	switch f {
	case Text:
		return 0
	case JSON:
		return 1
	}
	return 2
}

// Get returns the printer of a format ("" is text). An unknown format is a
// *FormatError listing the known ones.
func (p Printers[T]) Get(format string) (Printer[T], error) {
	if format == "" {
		format = string(Text)
	}
	if pr, ok := p[Format(format)]; ok {
		return pr, nil
	}
	return nil, &FormatError{Format: format, Known: p.Formats()}
}

// FormatError is an output format a result cannot be printed in.
type FormatError struct {
	Format string
	Known  []Format
}

func (e *FormatError) Error() string {
	known := make([]string, len(e.Known))
	for i, f := range e.Known {
		known[i] = string(f)
	}
	var list string
	switch n := len(known); n {
	case 1:
		list = known[0]
	default:
		list = strings.Join(known[:n-1], ", ") + " or " + known[n-1]
	}
	return fmt.Sprintf("unknown output format %q (use %s)", e.Format, list)
}

// JSONPrinter returns the printer that writes a result as indented JSON.
func JSONPrinter[T any]() Printer[T] {
	return PrinterFunc[T](func(w io.Writer, v T) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

// Count is n and a noun, in the plural unless n is 1: "1 file", "2 files".
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
