// Command genschema writes the contract's JSON Schemas to contract/schema/.
// Run it with `go generate ./contract` from the repository root.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/goldenpath-dev/goldenpath/contract"
)

func main() {
	for kind, file := range contract.SchemaFiles {
		data, err := contract.GenerateSchema(kind, ".")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := os.WriteFile(filepath.Join("schema", file), data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
