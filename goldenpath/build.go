package goldenpath

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/pipeline/build"
	"github.com/goldenpath-dev/goldenpath/pipeline/supplychain"
)

// BuildRequest is one `goldenpath build`.
type BuildRequest struct {
	// Contract is the file holding the AppDeploymentRequest.
	Contract string
	// Application picks the request when the file holds several; empty
	// takes the only one.
	Application string
	// Source is the checkout of the app's repository, or its git URL
	// (cloned with the user's git credentials: see build.CloneSource);
	// subPath applies.
	Source string
	// Publish is the registry prefix to push to; empty builds into the
	// local Docker engine only.
	Publish string
	// GitOpsDir, when set, is re-rendered with the Deployment pinned to
	// the published digest (needs Publish).
	GitOpsDir string
	// Output receives progress and build logs.
	Output io.Writer
	// SignKey is a cosign private key file: the published digest is
	// signed with it and a signed SLSA provenance attestation attached
	// (needs Publish). See goldenpath/supplychain.go.
	SignKey string
	// KeyPassword decrypts SignKey (the CLI reads $COSIGN_PASSWORD).
	KeyPassword []byte `json:"-"`
	// VerifyKey is a cosign public key file: the published digest must
	// carry a valid signature by it (and the provenance SignKey attached)
	// before the GitOps tree is pinned; otherwise Build fails and the tree
	// is left untouched (needs Publish).
	VerifyKey string
}

// BuildResult is what Build did.
type BuildResult struct {
	*build.Result
	// Written lists the GitOps files written, when GitOpsDir was set.
	Written []string `json:"written,omitempty"`
	// Signature, Provenance and Verified report the supply-chain steps
	// SignKey and VerifyKey asked for.
	Signature  *supplychain.SignResult   `json:"signature,omitempty"`
	Provenance *supplychain.AttestResult `json:"provenance,omitempty"`
	Verified   *supplychain.VerifyResult `json:"verified,omitempty"`
}

// Build builds (and publishes) one application's image with the pipeline
// its contract asks for, and pins the GitOps tree to the result. Options:
// WithPlatform, WithRegistry (the push, the read-back and the supply-chain
// steps). It uses a PackBuilder and a DockerfileBuilder with their
// defaults otherwise; use the pipeline/build package directly to
// configure them.
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
	keys, err := loadBuildKeys(req)
	if err != nil {
		return nil, err
	}
	pack, err := build.NewPackBuilder(build.WithPackRegistry(o.registry...))
	if err != nil {
		return nil, err
	}
	docker, err := build.NewDockerfileBuilder(build.WithDockerfileRegistry(o.registry...))
	if err != nil {
		return nil, err
	}
	spec := &build.Spec{Request: r, Platform: o.platform, SourceDir: req.Source, Registry: req.Publish, Publish: req.Publish != "", Output: req.Output}
	started := time.Now()
	res, err := build.Build(ctx, spec, pack, docker)
	if err != nil {
		return nil, err
	}
	out := &BuildResult{Result: res}
	if err := secureBuild(ctx, req, keys, r, o.platform, o.registry, started, out); err != nil {
		return nil, err
	}
	if req.GitOpsDir != "" {
		p := *o.platform
		p.Registry = req.Publish
		objs, err := RenderRequests([]*contract.AppDeploymentRequest{r}, WithPlatform(&p), WithImages(map[string]string{r.Application: res.Reference}))
		if err != nil {
			return nil, err
		}
		rep, err := UpdateTree(req.GitOpsDir, objs, WithPlatform(&p))
		if err != nil {
			return nil, err
		}
		out.Written = rep.Written
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
