package output_test

import (
	"context"
	"fmt"
	"os"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
)

// Validate a folder of contracts and print the report as `goldenpath
// validate` does; -o picks the printer by name.
func Example() {
	report, err := goldenpath.ValidatePaths(context.Background(), []string{"../../examples/contracts"})
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := output.Report.Get("text")
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := p.Print(os.Stdout, report); err != nil {
		fmt.Println(err)
	}
	_, err = output.Report.Get("yaml")
	fmt.Println(err)
	// Output:
	// 1 file, 1 valid request, no problems
	// unknown output format "yaml" (use text, json or github)
}
