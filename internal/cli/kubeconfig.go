package cli

import (
	"k8s.io/client-go/rest"

	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
)

// kubeConfig is the cluster's client configuration the --kubeconfig flag
// names (see cluster.KubeConfig: that file, else a pod's service account,
// else $KUBECONFIG or ~/.kube/config). A file named that cannot be read is
// a usage error. The library calls take the result, never a path.
func kubeConfig(path string) (*rest.Config, error) {
	cfg, err := cluster.KubeConfig(path)
	if err != nil && path != "" {
		return nil, usageErrorf("--kubeconfig %s: %v", path, err)
	}
	return cfg, err
}
