// Command cluster is the cluster use of the facade: promote apps to what
// kpack built.
package main

import (
	"context"
	"os"

	"k8s.io/client-go/rest"

	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
)

func main() {
	proms, err := cluster.Promote(context.Background(), cluster.PromoteRequest{Paths: os.Args[2:], Out: os.Args[1], Cluster: &rest.Config{Host: "https://127.0.0.1:6443"}})
	if err != nil {
		panic(err)
	}
	p, _ := cluster.PromoteOutput.Get("text")
	_ = p.Print(os.Stdout, proms)
}
