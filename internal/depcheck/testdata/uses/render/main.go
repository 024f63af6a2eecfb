// Command render is the render use of the facade: render contracts into a
// GitOps tree.
package main

import (
	"context"
	"os"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
)

func main() {
	objs, err := goldenpath.Render(context.Background(), os.Args[2:])
	if err != nil {
		panic(err)
	}
	if _, err := goldenpath.WriteTree(os.Args[1], objs); err != nil {
		panic(err)
	}
}
