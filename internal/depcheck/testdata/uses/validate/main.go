// Command validate is the validate use of the facade: load and validate
// contracts, print the report.
package main

import (
	"context"
	"os"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
)

func main() {
	report, err := goldenpath.ValidatePaths(context.Background(), os.Args[1:])
	if err != nil {
		panic(err)
	}
	p, err := output.Report.Get("text")
	if err != nil {
		panic(err)
	}
	if err := p.Print(os.Stdout, report); err != nil || !report.Valid() {
		os.Exit(1)
	}
}
