package goldenpath

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// Printer writes a validation report in one output format.
type Printer interface {
	Print(w io.Writer, r *Report) error
}

// Output formats understood by NewPrinter.
const (
	OutputText   = "text"
	OutputJSON   = "json"
	OutputGitHub = "github"
)

// OutputFormats lists the formats NewPrinter accepts.
var OutputFormats = []string{OutputText, OutputJSON, OutputGitHub}

// NewPrinter returns the printer of a format: text (file:line:col: path:
// message lines and a summary), json (the Report as JSON) or github (GitHub
// Actions ::error annotations).
func NewPrinter(format string) (Printer, error) {
	switch format {
	case OutputText, "":
		return textPrinter{}, nil
	case OutputJSON:
		return jsonPrinter{}, nil
	case OutputGitHub:
		return githubPrinter{}, nil
	}
	return nil, fmt.Errorf("unknown output format %q (use %s)", format, strings.Join(OutputFormats, ", "))
}

type textPrinter struct{}

func (textPrinter) Print(w io.Writer, r *Report) error {
	for _, e := range r.Errors() {
		if _, err := fmt.Fprintln(w, e.Error()); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, r.Summary())
	return err
}

// Summary is the report in one line, such as "3 files, 2 valid requests,
// 1 problem in 1 file (4 other YAML files skipped)". A request counts as
// valid when it passes validation and the platform's admission.
func (r *Report) Summary() string {
	reqs, platforms, invalid := 0, 0, 0
	for _, f := range r.Files {
		reqs += f.Requests
		platforms += f.Platforms
		if len(f.Errors) > 0 {
			invalid++
		}
	}
	parts := []string{plural(len(r.Files), "file"), plural(reqs, "valid request")}
	if platforms > 0 {
		parts = append(parts, plural(platforms, "valid platform"))
	}
	switch n := r.ErrorCount(); {
	case n == 0:
		parts = append(parts, "no problems")
	case invalid > 0:
		parts = append(parts, plural(n, "problem")+" in "+plural(invalid, "file"))
	default:
		parts = append(parts, plural(n, "problem"))
	}
	s := strings.Join(parts, ", ")
	if len(r.Skipped) > 0 {
		s += " (" + plural(len(r.Skipped), "other YAML file") + " skipped)"
	}
	return s
}

type jsonPrinter struct{}

func (jsonPrinter) Print(w io.Writer, r *Report) error {
	out := struct {
		Valid bool `json:"valid"`
		*Report
	}{r.Valid(), r}
	for i := range r.Files {
		if r.Files[i].Errors == nil {
			r.Files[i].Errors = contract.Errors{}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

type githubPrinter struct{}

// Print writes one workflow command per problem; see
// https://docs.github.com/actions/reference/workflow-commands-for-github-actions.
func (githubPrinter) Print(w io.Writer, r *Report) error {
	for _, e := range r.Errors() {
		var props []string
		if e.File != "" {
			props = append(props, "file="+escapeProperty(e.File))
		}
		if e.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", e.Line))
		}
		if e.Column > 0 {
			props = append(props, fmt.Sprintf("col=%d", e.Column))
		}
		if e.Path != "" {
			props = append(props, "title="+escapeProperty(e.Path))
		}
		msg := e.Message
		if e.Hint != "" {
			msg += " (" + e.Hint + ")"
		}
		if _, err := fmt.Fprintf(w, "::error %s::%s\n", strings.Join(props, ","), escapeData(msg)); err != nil {
			return err
		}
	}
	return nil
}

func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
