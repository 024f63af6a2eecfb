package goldenpath

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/pipeline/fleet"
	"github.com/goldenpath-dev/goldenpath/pipeline/kube"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
	"github.com/goldenpath-dev/goldenpath/render"
)

// NewStackUpdater returns the updater that keeps the platform's kpack
// ClusterStacks on the current digests of their build and run images (see
// fleet.StackUpdater). kubeconfig names the cluster ("" : in a pod, its
// service account; else $KUBECONFIG or ~/.kube/config); with dryRun the
// cluster is only read, and with dryRun and kubeconfig "-" not at all.
func NewStackUpdater(kubeconfig string, dryRun bool, regOpts []registry.Option, opts ...Option) (*fleet.StackUpdater, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	u := &fleet.StackUpdater{Platform: o.platform, Registry: append(append([]registry.Option(nil), o.registry...), regOpts...), DryRun: dryRun}
	if dryRun && kubeconfig == "-" {
		return u, nil
	}
	cfg, err := kube.KubeConfig(kubeconfig)
	if err != nil {
		return nil, err
	}
	if u.Stacks, err = kube.NewKubeClusterStacks(cfg); err != nil {
		return nil, err
	}
	return u, nil
}

// RenderPinnedPlatform renders the platform objects with every stack image
// resolved to its current digest (see fleet.ResolveStacks): the GitOps
// way to keep ClusterStacks current is to commit this render whenever a
// stack image moved.
func RenderPinnedPlatform(ctx context.Context, regOpts []registry.Option, opts ...Option) ([]render.Object, []fleet.StackImage, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, nil, err
	}
	pinned, images, err := fleet.ResolveStacks(ctx, o.platform, append(append([]registry.Option(nil), o.registry...), regOpts...)...)
	if err != nil {
		return nil, nil, err
	}
	objs, err := render.Platform(pinned)
	return objs, images, err
}

// PromoteRequest says which applications to promote and where their GitOps
// tree is.
type PromoteRequest struct {
	// Paths are contract files or folders.
	Paths []string
	// Out is the GitOps tree (as `goldenpath render --out` writes it).
	Out string
	// Kubeconfig names the cluster kpack runs in ("" : in a pod, its
	// service account; else $KUBECONFIG or ~/.kube/config).
	Kubeconfig string
}

// Promotion is one application's outcome.
type Promotion struct {
	Environment string `json:"environment"`
	Application string `json:"application"`
	// Image is the kpack Image's latestImage the folder is now pinned to
	// ("" when kpack has not built it yet: the folder is left as it is).
	Image string `json:"image"`
	// Build is the kpack Image's state (Ready condition, build counter).
	Build kube.LatestImage `json:"build"`
	// Changed lists the files of the tree that the promotion rewrote.
	Changed []string `json:"changed"`
	// Skipped says why nothing was written for the application.
	Skipped string `json:"skipped,omitempty"`
}

// Promote pins each buildpack application's GitOps folder to what kpack
// last built for it: it reads every contract's kpack Image from the
// cluster (status.latestImage, a digest), renders the application with
// that image and writes the files that changed into req.Out. Committing the
// tree is the caller's (a CI job, the in-cluster test); Argo CD then rolls
// the new image out. Applications kpack has not built yet, and Dockerfile
// applications (no kpack Image), are reported and left alone.
func Promote(ctx context.Context, req PromoteRequest, opts ...Option) ([]Promotion, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	if req.Out == "" {
		return nil, errors.New("promote: no GitOps tree given")
	}
	reqs, err := o.loadRequests(ctx, req.Paths)
	if err != nil {
		return nil, err
	}
	cfg, err := kube.KubeConfig(req.Kubeconfig)
	if err != nil {
		return nil, err
	}
	images, err := kube.NewKubeImages(cfg)
	if err != nil {
		return nil, err
	}
	var out []Promotion
	var built []*contract.AppDeploymentRequest
	pins := map[string]string{}
	for _, r := range reqs {
		p := Promotion{Environment: string(r.Environment), Application: r.Application}
		ns, name, ok, err := kpackImageOf(r, o.platform)
		switch {
		case err != nil:
			return nil, err
		case !ok:
			p.Skipped = "no kpack Image (" + string(r.Spec.Build.Type) + " build)"
		default:
			if p.Build, err = images.Latest(ctx, ns, name); err != nil {
				return nil, err
			}
			if p.Image = p.Build.Ref; p.Image == "" {
				p.Skipped = fmt.Sprintf("kpack has not built %s/%s yet (Ready=%s %s)", ns, name, p.Build.Ready, p.Build.Message)
			} else {
				built = append(built, r)
				pins[string(r.Environment)+"/"+r.Application] = p.Image
			}
		}
		out = append(out, p)
	}
	if len(built) == 0 {
		return out, nil
	}
	pinned := *o
	pinned.images = pins
	var all []render.Object
	changed := map[string][]string{}
	for _, r := range built {
		objs, err := pinned.renderRequests([]*contract.AppDeploymentRequest{r})
		if err != nil {
			return nil, err
		}
		files, err := render.Tree(objs)
		if err != nil {
			return nil, err
		}
		key := string(r.Environment) + "/" + r.Application
		for _, f := range slices.Sorted(maps.Keys(files)) {
			if old, err := os.ReadFile(filepath.Join(req.Out, filepath.FromSlash(f))); err != nil || !bytes.Equal(old, files[f]) {
				changed[key] = append(changed[key], f)
			}
		}
		all = append(all, objs...)
	}
	render.Sort(all)
	if _, err := UpdateTree(req.Out, all, WithPlatform(o.platform)); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Changed = changed[out[i].Environment+"/"+out[i].Application]
	}
	return out, nil
}

// kpackImageOf finds the kpack Image render.App renders for a request.
func kpackImageOf(r *contract.AppDeploymentRequest, p *contract.Platform) (namespace, name string, ok bool, err error) {
	objs, err := render.App(r, p, render.AppOptions{})
	if err != nil {
		return "", "", false, err
	}
	for _, o := range objs {
		if o.Kind() == "Image" && o.APIVersion() == "kpack.io/v1alpha2" {
			return o.Namespace(), o.Name(), true, nil
		}
	}
	return "", "", false, nil
}
