package fleet

import (
	"context"
	"errors"

	"k8s.io/client-go/rest"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/regopt"
	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/settings"
	"github.com/goldenpath-dev/goldenpath/pipeline/fleet"
	"github.com/goldenpath-dev/goldenpath/pipeline/kube"
	"github.com/goldenpath-dev/goldenpath/render"
)

// StackRequest says which cluster a stack updater keeps current.
type StackRequest struct {
	// Cluster is the client configuration of the cluster kpack runs in
	// (the CLI builds it from a kubeconfig, or a pod's service account).
	// Nil is allowed with DryRun only: the changes are then computed
	// against no cluster, every ClusterStack counting as missing.
	Cluster *rest.Config
	// DryRun reports the changes without applying them.
	DryRun bool
}

// NewStackUpdater returns the updater that keeps the platform's kpack
// ClusterStacks on the current digests of their build and run images:
// Update once, or Watch until the context ends. Options:
// goldenpath.WithPlatform and the registry options.
func NewStackUpdater(req StackRequest, opts ...goldenpath.Option) (*StackUpdater, error) {
	s, err := settings.Apply(opts)
	if err != nil {
		return nil, err
	}
	u := &fleet.StackUpdater{Platform: s.PlatformOrDefault(), Registry: regopt.Options(s), DryRun: req.DryRun}
	if req.Cluster == nil {
		if !req.DryRun {
			return nil, errors.New("a stack update needs a cluster to update (or a dry run)")
		}
		return u, nil
	}
	if u.Stacks, err = kube.NewKubeClusterStacks(req.Cluster); err != nil {
		return nil, err
	}
	return u, nil
}

// RenderPinnedPlatform renders the platform objects with every stack image
// resolved to its current digest: the GitOps way to keep ClusterStacks
// current is to commit this render whenever a stack image moved. It also
// returns the images it resolved. Options: goldenpath.WithPlatform and the
// registry options.
func RenderPinnedPlatform(ctx context.Context, opts ...goldenpath.Option) ([]render.Object, []StackImage, error) {
	s, err := settings.Apply(opts)
	if err != nil {
		return nil, nil, err
	}
	pinned, images, err := fleet.ResolveStacks(ctx, s.PlatformOrDefault(), regopt.Options(s)...)
	if err != nil {
		return nil, nil, err
	}
	objs, err := render.Platform(pinned)
	return objs, images, err
}
