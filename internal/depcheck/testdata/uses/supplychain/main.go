// Command supplychain is the supply-chain use of the facade: verify an
// image's signature.
package main

import (
	"context"
	"os"

	"github.com/goldenpath-dev/goldenpath/goldenpath/supplychain"
)

func main() {
	key, err := os.ReadFile(os.Args[2])
	if err != nil {
		panic(err)
	}
	res, err := supplychain.Verify(context.Background(), os.Args[1], key)
	if err != nil {
		panic(err)
	}
	p, _ := supplychain.VerifyOutput.Get("text")
	_ = p.Print(os.Stdout, res)
}
