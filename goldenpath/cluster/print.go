package cluster

import (
	"fmt"
	"io"
	"strings"

	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
)

// PromoteOutput prints promotions: text (a line per application: the
// image it is pinned to and the files changed, "unchanged", or why it was
// skipped) or json.
var PromoteOutput = output.Printers[[]Promotion]{
	output.Text: output.PrinterFunc[[]Promotion](func(w io.Writer, proms []Promotion) error {
		for _, p := range proms {
			app := p.Environment + "/" + p.Application
			var err error
			switch {
			case p.Skipped != "":
				_, err = fmt.Fprintf(w, "%s  skipped: %s\n", app, output.Printable(p.Skipped))
			case len(p.Changed) == 0:
				_, err = fmt.Fprintf(w, "%s  %s  unchanged\n", app, p.Image)
			default:
				_, err = fmt.Fprintf(w, "%s  %s  %s changed (%s)\n", app, p.Image, output.Count(len(p.Changed), "file"), strings.Join(p.Changed, ", "))
			}
			if err != nil {
				return err
			}
		}
		return nil
	}),
	output.JSON: output.JSONPrinter[[]Promotion](),
}
