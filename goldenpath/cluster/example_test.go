package cluster_test

import (
	"context"
	"fmt"
	"os"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
)

// Promote each app of a folder of contracts to what kpack last built for
// it. The cluster is a *rest.Config the caller makes (here from a
// kubeconfig's bytes). (Not run here: it needs a cluster with kpack.)
func ExamplePromote() {
	kubeconfig, err := os.ReadFile(os.Getenv("KUBECONFIG"))
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		fmt.Println(err)
		return
	}
	proms, err := cluster.Promote(context.Background(), cluster.PromoteRequest{Paths: []string{"contracts"}, Out: "gitops", Cluster: cfg},
		goldenpath.WithConcurrency(4))
	if err != nil {
		fmt.Println(err)
		return
	}
	p, _ := cluster.PromoteOutput.Get("text")
	_ = p.Print(os.Stdout, proms)
}
