package cli

import (
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// kubeConfig is the cluster's client configuration the --kubeconfig flag
// names: that file when given, else the pod's service account when
// running in a pod, else $KUBECONFIG or ~/.kube/config (what kubectl
// uses). The library takes the result, never a path.
func kubeConfig(path string) (*rest.Config, error) {
	if path == "" {
		if cfg, err := rest.InClusterConfig(); err == nil {
			return cfg, nil
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if path != "" {
		rules.ExplicitPath = path
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		if path != "" {
			return nil, usageErrorf("--kubeconfig %s: %v", path, err)
		}
		return nil, fmt.Errorf("no cluster to talk to: %v (give --kubeconfig FILE, set $KUBECONFIG, or run in a pod)", err)
	}
	return cfg, nil
}
