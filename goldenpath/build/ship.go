package build

import (
	"context"
	"errors"
	"time"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/regopt"
	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/settings"
	pbuild "github.com/goldenpath-dev/goldenpath/pipeline/build"
	psc "github.com/goldenpath-dev/goldenpath/pipeline/supplychain"
)

// The build step's types, as pipeline/build defines them.
type (
	// Builder builds one Spec into an image. Ship uses pack (buildpack
	// builds) or the Docker engine (dockerfile builds) unless the request
	// gives its own, as the Dagger module does (its builds run in Dagger
	// containers).
	Builder = pbuild.Builder
	// Spec is what a Builder builds: the request, the platform, the
	// source folder, the registry.
	Spec = pbuild.Spec
	// Image is what a Builder built.
	Image = pbuild.Result
	// Error is a failed build: the phase (detect, build, export, push)
	// and the end of the build's output.
	Error = pbuild.BuildError
)

// Request is one run of the golden path for one application.
type Request struct {
	// Paths are contract files or folders; the application's request
	// among them is validated, with every other, against the platform.
	Paths []string
	// Application picks the request when the paths hold several; empty
	// takes the only one.
	Application string
	// Source is the checkout of the app's repository, or its git URL
	// (https://, ssh://, git@host:path: cloned at the contract's revision,
	// else its branch, with the user's git credentials — credential
	// helper, ~/.netrc, GIT_ASKPASS, ssh keys — and removed afterwards;
	// the clone's commit goes into the provenance); subPath applies.
	// It may be empty with a Builder that brings its own source.
	Source string
	// Publish is the registry prefix to push to (REGISTRY[/path]); the
	// image goes to REGISTRY/<environment>/<application>. Empty builds
	// into the local Docker engine only.
	Publish string
	// GitOpsDir, when set, is re-rendered with the Deployment pinned to
	// the published digest (needs Publish).
	GitOpsDir string
	// SignKey is a cosign private key (PEM; its password:
	// goldenpath.WithKeyPassword): the published digest is signed with it
	// and a signed SLSA provenance attestation attached (needs Publish).
	SignKey []byte `json:"-"`
	// VerifyKey is a cosign public key (PEM): the published digest must
	// carry a valid signature by it (and the provenance SignKey attached)
	// before the GitOps tree is pinned; otherwise Ship fails and the tree
	// is left untouched (needs Publish).
	VerifyKey []byte `json:"-"`
	// Builder builds the image; nil: pack or the Docker engine, as the
	// contract's build type says, with their defaults.
	Builder Builder `json:"-"`
	// Bindings are the folders of the Secrets the platform names for
	// builds (egress.mirrors[].credentialsSecret), by Secret name: each
	// holds the Secret's keys as files (username, password) and is mounted
	// as the binding the buildpacks read, as kpack mounts the Secret.
	Bindings map[string]string `json:"-"`
}

// Result is what Ship did.
type Result struct {
	*Image
	// Signature, Provenance and Verified report the supply-chain steps
	// SignKey and VerifyKey asked for.
	Signature  *psc.SignResult   `json:"signature,omitempty"`
	Provenance *psc.AttestResult `json:"provenance,omitempty"`
	Verified   *psc.VerifyResult `json:"verified,omitempty"`
	// SBOM summarises the SBOM check of a published buildpack image.
	SBOM *SBOMCheck `json:"sbom,omitempty"`
	// Written lists the GitOps files written, when GitOpsDir was set.
	Written []string `json:"written,omitempty"`
}

// SBOMCheck is what the SBOM check found in the published image.
type SBOMCheck struct {
	// Layer is the diff ID of the image's SBOM layer.
	Layer string `json:"layer"`
	// Documents and Components count what the buildpacks recorded.
	Documents  int `json:"documents"`
	Components int `json:"components"`
}

// Ship runs the golden path for one application, the same steps whoever
// calls it (the CLI's `build`, the Dagger module's `ship`):
//
//  1. validate: load the contracts, check them against the platform's
//     policy (any problem stops here, as contract.Errors) and pick the
//     application's request;
//  2. build the image with the pipeline its contract asks for, and
//     publish it to Publish;
//  3. sign the published digest and attach a signed SLSA provenance
//     attestation (SignKey);
//  4. verify the signature, and the provenance just attached, with
//     VerifyKey;
//  5. check that a published buildpack image carries its SBOM;
//  6. pin: re-render the GitOps tree with the Deployment pinned to the
//     digest (GitOpsDir).
//
// A step that fails stops the rest: an image that fails verification or
// has no SBOM is never pinned. Options: goldenpath.WithPlatform,
// WithKeyPassword, WithOutput (build logs and a line per step), the
// registry options (the push, the read-back and every supply-chain step).
func Ship(ctx context.Context, req Request, opts ...goldenpath.Option) (*Result, error) {
	s, err := settings.Apply(opts)
	if err != nil {
		return nil, err
	}
	if req.Publish == "" {
		switch {
		case req.GitOpsDir != "":
			return nil, errors.New("pinning a GitOps tree needs a published image: give a registry to publish to")
		case req.SignKey != nil || req.VerifyKey != nil:
			return nil, errors.New("signing and verifying need a published image: give a registry to publish to")
		}
	}
	platform := s.PlatformOrDefault()
	r, err := pick(ctx, req, platform)
	if err != nil {
		return nil, err
	}
	keys, err := loadKeys(req, s.KeyPassword)
	if err != nil {
		return nil, err
	}
	reg := regopt.Options(s)
	spec := &Spec{Request: r, Platform: platform, SourceDir: req.Source, Registry: req.Publish, Publish: req.Publish != "", Output: s.Output,
		Bindings: req.Bindings}
	started := time.Now()
	img, err := buildImage(ctx, spec, req.Builder, reg)
	if err != nil {
		return nil, err
	}
	st := &step{ctx: ctx, req: req, request: r, platform: platform, reg: reg, out: s.Out(), res: &Result{Image: img}}
	if err := st.sign(keys.sign, started); err != nil {
		return nil, err
	}
	if err := st.verify(keys.verify); err != nil {
		return nil, err
	}
	if err := st.checkSBOM(); err != nil {
		return nil, err
	}
	if err := st.pin(); err != nil {
		return nil, err
	}
	return st.res, nil
}

// pick loads the requests under the paths (each checked against the
// platform) and returns the application's (goldenpath.PickRequest).
func pick(ctx context.Context, req Request, p *contract.Platform) (*contract.AppDeploymentRequest, error) {
	reqs, err := goldenpath.LoadRequests(ctx, req.Paths, goldenpath.WithPlatform(p))
	if err != nil {
		return nil, err
	}
	return goldenpath.PickRequest(reqs, req.Application)
}

// buildImage runs the request's builder, or pack / the Docker engine.
func buildImage(ctx context.Context, spec *Spec, b Builder, reg []regOption) (*Image, error) {
	if b != nil {
		img, err := b.Build(ctx, spec)
		if err == nil && img == nil {
			err = errors.New("the builder returned no image")
		}
		return img, err
	}
	pack, err := pbuild.NewPackBuilder(pbuild.WithPackRegistry(reg...))
	if err != nil {
		return nil, err
	}
	docker, err := pbuild.NewDockerfileBuilder(pbuild.WithDockerfileRegistry(reg...))
	if err != nil {
		return nil, err
	}
	return pbuild.Build(ctx, spec, pack, docker)
}
