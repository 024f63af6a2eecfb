package kube

import (
	"context"
	"encoding/json"
	"fmt"

	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// FieldManager is the server-side apply field manager of what goldenpath
// writes to a cluster.
const FieldManager = "goldenpath"

var (
	clusterStackResource = schema.GroupVersionResource{Group: "kpack.io", Version: "v1alpha2", Resource: "clusterstacks"}
	imageResource        = schema.GroupVersionResource{Group: "kpack.io", Version: "v1alpha2", Resource: "images"}
)

// KubeConfig loads a client configuration: the kubeconfig file when path
// is not empty, else the in-cluster service account when running in a pod,
// else $KUBECONFIG or ~/.kube/config (what kubectl uses).
func KubeConfig(path string) (*rest.Config, error) {
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
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	return cfg, nil
}

// KubeClusterStacks reads and applies ClusterStacks through the Kubernetes
// API.
type KubeClusterStacks struct{ client dynamic.Interface }

// NewKubeClusterStacks returns the ClusterStacks of the cluster cfg reaches.
func NewKubeClusterStacks(cfg *rest.Config) (*KubeClusterStacks, error) {
	c, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &KubeClusterStacks{client: c}, nil
}

// Get implements ClusterStacks.
func (k *KubeClusterStacks) Get(ctx context.Context, name string) (*kpack.ClusterStack, error) {
	u, err := k.client.Resource(clusterStackResource).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s := &kpack.ClusterStack{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, s); err != nil {
		return nil, err
	}
	return s, nil
}

// Apply implements ClusterStacks with a server-side apply of the whole
// object, taking over the fields from other managers (kubectl, a GitOps
// tool): the updater's digest wins until the platform render names a new
// one.
func (k *KubeClusterStacks) Apply(ctx context.Context, s *kpack.ClusterStack) error {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(s)
	if err != nil {
		return err
	}
	delete(u, "status")
	if m, ok := u["metadata"].(map[string]any); ok {
		delete(m, "creationTimestamp")
	}
	data, err := json.Marshal(u)
	if err != nil {
		return err
	}
	force := true
	_, err = k.client.Resource(clusterStackResource).Patch(ctx, s.Name, types.ApplyPatchType, data,
		metav1.PatchOptions{FieldManager: FieldManager, Force: &force})
	return err
}

// KubeImages reads kpack Images through the Kubernetes API.
type KubeImages struct{ client dynamic.Interface }

// NewKubeImages returns the kpack Images of the cluster cfg reaches.
func NewKubeImages(cfg *rest.Config) (*KubeImages, error) {
	c, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &KubeImages{client: c}, nil
}

// LatestImage is what kpack last built (or rebased) for an Image.
type LatestImage struct {
	// Ref is status.latestImage: the image pinned by digest; empty before
	// the first successful build.
	Ref string `json:"ref"`
	// Ready is the Image's Ready condition ("True", "False", "Unknown").
	Ready string `json:"ready"`
	// Message explains a Ready that is not "True".
	Message string `json:"message,omitempty"`
	// BuildCounter counts the Image's builds (rebases included).
	BuildCounter int64 `json:"buildCounter"`
}

// Latest reads the Image namespace/name. An Image that does not exist is
// an error naming it.
func (k *KubeImages) Latest(ctx context.Context, namespace, name string) (LatestImage, error) {
	u, err := k.client.Resource(imageResource).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return LatestImage{}, fmt.Errorf("kpack Image %s/%s: %w", namespace, name, err)
	}
	img := &kpack.Image{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, img); err != nil {
		return LatestImage{}, err
	}
	out := LatestImage{Ref: img.Status.LatestImage, Ready: "Unknown", BuildCounter: img.Status.BuildCounter}
	if c := img.Status.GetCondition("Ready"); c != nil {
		out.Ready, out.Message = string(c.Status), c.Message
	}
	return out, nil
}
