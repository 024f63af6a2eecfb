package controller

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
	"github.com/goldenpath-dev/goldenpath/goldenpath/statuspage"
)

// statusCacheByObject adds Argo CD's Applications, in Argo CD's namespace,
// to the controller's cache (the environment namespaces hold the rest the
// status page reads: kpack Images and Builds, Deployments, ReplicaSets).
// Informers start on the page's first read; the controller's own Argo CD
// calls keep reading the API server (its client reads unstructured objects
// live).
func statusCacheByObject(p *contract.Platform) map[client.Object]cache.ByObject {
	if p.ArgoCD.Namespace == "" {
		return nil
	}
	app := &unstructured.Unstructured{}
	app.SetGroupVersionKind(applicationGVK)
	return map[client.Object]cache.ByObject{app: {Namespaces: map[string]cache.Config{p.ArgoCD.Namespace: {}}}}
}

// addStatusPage serves the status page from the controller's cache on
// every replica (it reads, never writes).
func addStatusPage(mgr manager.Manager, cfg Config) error {
	reader := mgr.GetCache()
	h, err := statuspage.New(statuspage.Config{
		Source: func(ctx context.Context) (*cluster.Fleet, error) {
			return cluster.Status(ctx, cluster.StatusRequest{Platform: cfg.Platform, Reader: reader})
		},
		Token: cfg.StatusToken,
		Log:   cfg.Log,
	})
	if err != nil {
		return err
	}
	if err := statuspage.CheckAddr(cfg.StatusAddr, cfg.StatusToken != ""); err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	return mgr.Add(&httpRunnable{name: "status page", addr: cfg.StatusAddr, handler: h, log: cfg.Log})
}
