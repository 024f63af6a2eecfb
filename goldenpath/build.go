package goldenpath

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/pipeline"
)

// BuildRequest is one `goldenpath build`.
type BuildRequest struct {
	// Contract is the file holding the AppDeploymentRequest.
	Contract string
	// Application picks the request when the file holds several; empty
	// takes the only one.
	Application string
	// Source is the checkout of the app's repository (subPath applies).
	Source string
	// Publish is the registry prefix to push to; empty builds into the
	// local Docker engine only.
	Publish string
	// GitOpsDir, when set, is re-rendered with the Deployment pinned to
	// the published digest (needs Publish).
	GitOpsDir string
	// Output receives progress and build logs.
	Output io.Writer
}

// BuildResult is what Build did.
type BuildResult struct {
	*pipeline.Result
	// Written lists the GitOps files written, when GitOpsDir was set.
	Written []string `json:"written,omitempty"`
}

// Build builds (and publishes) one application's image with the pipeline
// its contract asks for, and pins the GitOps tree to the result. Options:
// WithPlatform. It uses a PackBuilder and a DockerfileBuilder with their
// defaults; use the pipeline package directly to configure them.
func Build(ctx context.Context, req BuildRequest, opts ...Option) (*BuildResult, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	if req.GitOpsDir != "" && req.Publish == "" {
		return nil, errors.New("pinning a GitOps tree needs a published image: give a registry to publish to")
	}
	r, err := pickRequest(req.Contract, req.Application, o.platform)
	if err != nil {
		return nil, err
	}
	pack, err := pipeline.NewPackBuilder()
	if err != nil {
		return nil, err
	}
	docker, err := pipeline.NewDockerfileBuilder()
	if err != nil {
		return nil, err
	}
	spec := &pipeline.Spec{Request: r, Platform: o.platform, SourceDir: req.Source, Registry: req.Publish, Publish: req.Publish != "", Output: req.Output}
	res, err := pipeline.Build(ctx, spec, pack, docker)
	if err != nil {
		return nil, err
	}
	out := &BuildResult{Result: res}
	if req.GitOpsDir != "" {
		p := *o.platform
		p.Registry = req.Publish
		objs, err := RenderRequests([]*contract.AppDeploymentRequest{r}, WithPlatform(&p), WithImages(map[string]string{r.Application: res.Reference}))
		if err != nil {
			return nil, err
		}
		if out.Written, err = WriteTree(req.GitOpsDir, objs); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// pickRequest loads a contract file and returns its one request (or the
// one named), checked against the platform.
func pickRequest(file, application string, p *contract.Platform) (*contract.AppDeploymentRequest, error) {
	reqs, err := contract.LoadFile(file)
	if err != nil {
		return nil, err
	}
	var picked []*contract.AppDeploymentRequest
	for _, r := range reqs {
		if application == "" || r.Application == application {
			picked = append(picked, r)
		}
	}
	switch {
	case len(picked) == 0:
		return nil, fmt.Errorf("%s has no request for application %q", file, application)
	case len(picked) > 1:
		return nil, fmt.Errorf("%s holds %d requests; name the application to build", file, len(picked))
	}
	if errs := p.Admit(picked[0]); len(errs) > 0 {
		return nil, errs
	}
	return picked[0], nil
}
