package build

import (
	"fmt"
	"io"

	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
)

// Output prints what Ship did: text (the pinned reference, or the tag and
// image ID of an image kept in the Docker engine) or json (the Result).
var Output = output.Printers[*Result]{
	output.Text: output.PrinterFunc[*Result](func(w io.Writer, r *Result) error {
		if r.Reference != "" {
			_, err := fmt.Fprintln(w, r.Reference)
			return err
		}
		_, err := fmt.Fprintf(w, "%s %s\n", r.Tag, r.Digest)
		return err
	}),
	output.JSON: output.JSONPrinter[*Result](),
}
