package output

import (
	"fmt"
	"io"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
)

// Secrets prints goldenpath.CheckSecrets' report: text (a line per Secret,
// "FILE: Secret NAME: ok", else a line per problem) or json (the report).
var Secrets = Printers[*goldenpath.SecretReport]{
	Text: PrinterFunc[*goldenpath.SecretReport](printSecrets),
	JSON: JSONPrinter[*goldenpath.SecretReport](),
}

func printSecrets(w io.Writer, r *goldenpath.SecretReport) error {
	for _, s := range r.Secrets {
		if len(s.Problems) == 0 {
			if _, err := fmt.Fprintf(w, "%s: Secret %s: ok\n", Printable(s.File), Printable(s.Secret)); err != nil {
				return err
			}
		}
		for _, p := range s.Problems {
			if _, err := fmt.Fprintf(w, "%s: Secret %s: %s\n", Printable(s.File), Printable(s.Secret), PrintableLines(p)); err != nil {
				return err
			}
		}
	}
	return nil
}
