// Command build is the build use of the facade: the golden path of one
// application.
package main

import (
	"context"
	"os"

	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
)

func main() {
	res, err := build.Ship(context.Background(), build.Request{Paths: os.Args[1:2], Source: os.Args[2], Publish: os.Args[3]})
	if err != nil {
		panic(err)
	}
	p, _ := build.Output.Get("json")
	_ = p.Print(os.Stdout, res)
}
