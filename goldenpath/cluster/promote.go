package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"k8s.io/client-go/rest"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/settings"
	"github.com/goldenpath-dev/goldenpath/pipeline/kube"
	"github.com/goldenpath-dev/goldenpath/render"
)

// LatestImage is what kpack last built (or rebased) for an Image.
type LatestImage = kube.LatestImage

// PromoteRequest says which applications to promote, where their GitOps
// tree is, and which cluster kpack builds them in.
type PromoteRequest struct {
	// Paths are contract files or folders.
	Paths []string
	// Out is the GitOps tree (as `goldenpath render --out` writes it).
	Out string
	// Cluster is the client configuration of the cluster kpack runs in
	// (the CLI builds it from a kubeconfig, or a pod's service account).
	Cluster *rest.Config
}

// Promotion is one application's outcome.
type Promotion struct {
	Environment string `json:"environment"`
	Application string `json:"application"`
	// Image is the kpack Image's latestImage the folder is now pinned to
	// ("" when kpack has not built it yet: the folder is left as it is).
	Image string `json:"image"`
	// Build is the kpack Image's state (Ready condition, build counter).
	Build LatestImage `json:"build"`
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
// applications (no kpack Image), are reported and left alone. Options:
// goldenpath.WithPlatform, WithConcurrency.
func Promote(ctx context.Context, req PromoteRequest, opts ...goldenpath.Option) ([]Promotion, error) {
	s, err := settings.Apply(opts)
	if err != nil {
		return nil, err
	}
	if req.Out == "" {
		return nil, errors.New("promote: no GitOps tree given")
	}
	if req.Cluster == nil {
		return nil, errors.New("promote: no cluster given")
	}
	platform := s.PlatformOrDefault()
	reqs, err := goldenpath.LoadRequests(ctx, req.Paths, goldenpath.WithPlatform(platform), goldenpath.WithConcurrency(s.FileConcurrency()))
	if err != nil {
		return nil, err
	}
	images, err := kube.NewKubeImages(req.Cluster)
	if err != nil {
		return nil, err
	}
	var out []Promotion
	var built []*contract.AppDeploymentRequest
	pins := map[string]string{}
	for _, r := range reqs {
		p := Promotion{Environment: string(r.Environment), Application: r.Application}
		ns, name, ok, err := kpackImageOf(r, platform)
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
	var all []render.Object
	changed := map[string][]string{}
	for _, r := range built {
		key := string(r.Environment) + "/" + r.Application
		objs, err := goldenpath.RenderRequests([]*contract.AppDeploymentRequest{r}, goldenpath.WithPlatform(platform),
			goldenpath.WithImages(map[string]string{key: pins[key]}))
		if err != nil {
			return nil, err
		}
		files, err := render.Tree(objs)
		if err != nil {
			return nil, err
		}
		for _, f := range slices.Sorted(maps.Keys(files)) {
			if old, err := os.ReadFile(filepath.Join(req.Out, filepath.FromSlash(f))); err != nil || !bytes.Equal(old, files[f]) {
				changed[key] = append(changed[key], f)
			}
		}
		all = append(all, objs...)
	}
	render.Sort(all)
	if _, err := goldenpath.UpdateTree(req.Out, all, goldenpath.WithPlatform(platform)); err != nil {
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
