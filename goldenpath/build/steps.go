package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
	pbuild "github.com/goldenpath-dev/goldenpath/pipeline/build"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
	psc "github.com/goldenpath-dev/goldenpath/pipeline/supplychain"
)

type regOption = registry.Option

// keys are the keys a Request gives, loaded before the build so that a
// bad key or a wrong password fails in seconds, not after it.
type keys struct {
	sign   *psc.SigningKey
	verify *psc.VerificationKey
}

func loadKeys(req Request, password []byte) (*keys, error) {
	k := &keys{}
	var err error
	if req.SignKey != nil {
		if k.sign, err = psc.LoadSigningKey(req.SignKey, password); err != nil {
			return nil, fmt.Errorf("signing key: %w", err)
		}
	}
	if req.VerifyKey != nil {
		if k.verify, err = psc.LoadVerificationKey(req.VerifyKey); err != nil {
			return nil, fmt.Errorf("verification key: %w", err)
		}
	}
	return k, nil
}

// step holds what the steps after the build share.
type step struct {
	ctx      context.Context
	req      Request
	request  *contract.AppDeploymentRequest
	platform *contract.Platform
	reg      []registry.Option
	out      io.Writer
	res      *Result
}

// sign signs the published digest and attaches a signed SLSA provenance
// attestation.
func (s *step) sign(key *psc.SigningKey, started time.Time) error {
	if key == nil {
		return nil
	}
	ctx, ref, r, p := s.ctx, s.res.Reference, s.request, s.platform
	signed, err := psc.Sign(ctx, ref, key, s.reg...)
	if err != nil {
		return err
	}
	s.res.Signature = signed
	fmt.Fprintf(s.out, "goldenpath: signed %s with key %s\n", signed.Reference, signed.KeyID)

	in := psc.ProvenanceInput{Request: r, Platform: p, StartedOn: started, FinishedOn: time.Now()}
	if s.res.SourceRevision != "" {
		in.SourceRevision = s.res.SourceRevision // the clone of a git URL source
	} else if rev, err := pbuild.SourceRevision(s.req.Source); err == nil {
		in.SourceRevision = rev
	} else {
		fmt.Fprintf(s.out, "goldenpath: provenance: no source commit: %v\n", err)
	}
	if r.Spec.Build.Type != contract.BuildTypeDockerfile {
		if bld, ok := p.Builders[r.Spec.Build.Builder]; ok {
			in.BuilderImage = s.res.Builder
			id, err := pbuild.BuilderIdentity(ctx, bld, s.reg...)
			if err != nil {
				fmt.Fprintf(s.out, "goldenpath: provenance: no builder digest: %v\n", err)
			}
			in.Builder = id
		}
	}
	st, err := psc.NewProvenance(ctx, ref, in, s.reg...)
	if err != nil {
		return err
	}
	att, err := psc.AttestProvenance(ctx, ref, st, key, s.reg...)
	if err != nil {
		return err
	}
	s.res.Provenance = att
	fmt.Fprintf(s.out, "goldenpath: attested SLSA provenance of %s\n", att.Reference)
	return nil
}

// verify requires a valid signature (and the provenance sign attached) by
// the key: the gate before anything is pinned.
func (s *step) verify(key *psc.VerificationKey) error {
	if key == nil {
		return nil
	}
	ref := s.res.Reference
	v, err := psc.Verify(s.ctx, ref, key, s.reg...)
	if err != nil {
		return fmt.Errorf("not pinning the GitOps tree: %w", err)
	}
	s.res.Verified = v
	what := "signature"
	if s.res.Provenance != nil {
		if _, err := psc.VerifyProvenance(s.ctx, ref, key, s.reg...); err != nil {
			return fmt.Errorf("not pinning the GitOps tree: %w", err)
		}
		what = "signature and SLSA provenance"
	}
	fmt.Fprintf(s.out, "goldenpath: verified %s of %s with key %s\n", what, v.Reference, v.KeyID)
	return nil
}

// checkSBOM requires the SBOM layer the buildpacks write in a published
// buildpack image (an image built from a Dockerfile has none).
func (s *step) checkSBOM() error {
	if !s.res.Published || s.res.BuildType == contract.BuildTypeDockerfile {
		return nil
	}
	sb, err := psc.ReadSBOM(s.ctx, s.res.Reference, s.reg...)
	if err != nil {
		if errors.Is(err, psc.ErrNoSBOM) {
			return fmt.Errorf("not pinning the GitOps tree: %w", err)
		}
		return err
	}
	check := &SBOMCheck{Layer: sb.Layer, Documents: len(sb.Files)}
	for _, f := range sb.Files {
		check.Components += len(f.Components)
	}
	s.res.SBOM = check
	fmt.Fprintf(s.out, "goldenpath: SBOM of %s: %s, %s\n", s.res.Reference, output.Count(check.Documents, "document"), output.Count(check.Components, "component"))
	return nil
}

// pin re-renders the application into the GitOps tree pinned to the
// published digest.
func (s *step) pin() error {
	if s.req.GitOpsDir == "" {
		return nil
	}
	p := *s.platform
	p.Registry = s.req.Publish
	objs, err := goldenpath.RenderRequests([]*contract.AppDeploymentRequest{s.request}, goldenpath.WithPlatform(&p),
		goldenpath.WithImages(map[string]string{s.request.Application: s.res.Reference}))
	if err != nil {
		return err
	}
	rep, err := goldenpath.UpdateTree(s.req.GitOpsDir, objs, goldenpath.WithPlatform(&p))
	if err != nil {
		return err
	}
	s.res.Written = rep.Written
	return nil
}
