package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
)

// Report prints a validation report (goldenpath.ValidatePaths): text
// (file:line:col: path: message lines and a summary), json (the Report as
// JSON) or github (GitHub Actions ::error annotations).
var Report = Printers[*goldenpath.Report]{Text: textPrinter{}, JSON: jsonPrinter{}, GitHub: githubPrinter{}}

type textPrinter struct{}

func (textPrinter) Print(w io.Writer, r *goldenpath.Report) error {
	for _, e := range r.Errors() {
		if _, err := fmt.Fprintln(w, e.Error()); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, r.Summary())
	return err
}

type jsonPrinter struct{}

func (jsonPrinter) Print(w io.Writer, r *goldenpath.Report) error {
	out := struct {
		Valid bool `json:"valid"`
		*goldenpath.Report
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
func (githubPrinter) Print(w io.Writer, r *goldenpath.Report) error {
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
