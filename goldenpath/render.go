package goldenpath

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/render"
	"golang.org/x/sync/errgroup"
)

// Render loads the requests under paths and renders each against the
// platform: kpack Image, Deployment, Service, Ingress, bindings,
// kustomization.yaml and Argo CD Application, and each environment's root
// (render.Root). The objects come back sorted, ready for render.Stream or
// WriteTree. Nothing is rendered when any request has a problem. It holds
// every object in memory: RenderStream and RenderTree do not.
func Render(ctx context.Context, paths []string, opts ...Option) ([]render.Object, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	var all []render.Object
	ids, err := o.renderEach(ctx, paths, true, o.explicitImage, func(r rendered) error {
		all = append(all, r.objs...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	roots, err := o.roots(ids)
	if err != nil {
		return nil, err
	}
	all = append(all, roots...)
	render.Sort(all)
	return all, nil
}

// RenderStream renders the requests under paths as one YAML stream to w
// (what `goldenpath render` prints), request by request in file order,
// then each environment's root: memory does not grow with the objects
// rendered. Nothing is written when any request has a problem.
func RenderStream(ctx context.Context, paths []string, w io.Writer, opts ...Option) error {
	o, err := makeOptions(opts)
	if err != nil {
		return err
	}
	s := render.NewStreamWriter(w)
	ids, err := o.renderEach(ctx, paths, true, o.explicitImage, func(r rendered) error { return s.Write(r.objs...) })
	if err != nil {
		return err
	}
	roots, err := o.roots(ids)
	if err != nil {
		return err
	}
	return s.Write(roots...)
}

// roots renders the root of each environment the requests are in.
func (o *options) roots(ids []requestID) ([]render.Object, error) {
	envs := map[contract.Environment][]string{}
	for _, id := range ids {
		envs[id.env] = append(envs[id.env], id.app)
	}
	var out []render.Object
	for _, env := range contract.Environments {
		if apps, ok := envs[env]; ok {
			objs, err := render.Root(o.platform, env, apps)
			if err != nil {
				return nil, err
			}
			out = append(out, objs...)
		}
	}
	return out, nil
}

// RenderRequests renders requests already loaded (see Render).
func RenderRequests(reqs []*contract.AppDeploymentRequest, opts ...Option) ([]render.Object, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	return o.renderRequests(reqs)
}

func (o *options) renderRequests(reqs []*contract.AppDeploymentRequest) ([]render.Object, error) {
	// The one admission validate uses too: each request's policy and the
	// rules across the set (one request per application and environment,
	// hosts, Secrets, folders).
	if errs := slices.Concat(o.platform.AdmitAll(reqs)...); len(errs) > 0 {
		errs.Sort()
		return nil, errs
	}
	return o.renderAdmitted(reqs)
}

// renderAdmitted renders requests AdmitAll admitted.
func (o *options) renderAdmitted(reqs []*contract.AppDeploymentRequest) ([]render.Object, error) {
	used := map[string]bool{}
	images := make([]string, len(reqs))
	for i, r := range reqs {
		key := string(r.Environment) + "/" + r.Application
		for _, k := range []string{key, r.Application} {
			if img, ok := o.images[k]; ok && images[i] == "" {
				images[i], used[k] = img, true
			}
		}
		if img, ok := o.images[""]; ok && images[i] == "" {
			if len(reqs) != 1 {
				return nil, fmt.Errorf("an image without an application name needs exactly one request, not %d; use APPLICATION=IMAGE", len(reqs))
			}
			images[i], used[""] = img, true
		}
	}
	for k := range o.images {
		if !used[k] {
			return nil, fmt.Errorf("image given for %q, but no request renders that application", k)
		}
	}
	results := make([][]render.Object, len(reqs))
	errs := make([]error, len(reqs))
	parallel(len(reqs), o.concurrency, func(i int) {
		results[i], errs[i] = render.App(reqs[i], o.platform, render.AppOptions{Image: images[i]})
	})
	var all []render.Object
	for i := range reqs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		all = append(all, results[i]...)
	}
	render.Sort(all)
	return all, nil
}

// parallel calls f(0..n-1) on at most workers goroutines.
func parallel(n, workers int, f func(i int)) {
	var g errgroup.Group
	g.SetLimit(workers)
	for i := range n {
		g.Go(func() error { f(i); return nil })
	}
	_ = g.Wait()
}

// RenderPlatform renders the platform-wide objects (see render.Platform).
func RenderPlatform(opts ...Option) ([]render.Object, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	return render.Platform(o.platform)
}
