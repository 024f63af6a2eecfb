// Command direct uses contract and render without the facade.
package main

import (
	"fmt"
	"os"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/render"
)

func main() {
	reqs, err := contract.LoadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	objs, err := render.App(reqs[0], contract.DefaultPlatform(), render.AppOptions{})
	fmt.Println(len(objs), err)
}
