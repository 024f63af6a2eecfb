package supplychain

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
)

// VerifyResult says what Verify checked.
type VerifyResult struct {
	// Image is the reference as given.
	Image string `json:"image"`
	// Tag is the tag the image was named by, when it was.
	Tag string `json:"tag,omitempty"`
	// Digest is the manifest digest whose signature was verified.
	Digest string `json:"digest"`
	// Reference is repository@digest: what to deploy.
	Reference string `json:"reference"`
	// KeyID identifies the verification key.
	KeyID string `json:"keyID"`
	// Signatures is the number of signatures that verified with the key.
	Signatures int `json:"signatures"`
}

// Verification failure kinds.
const (
	// FailureUnsigned: the digest has no signature at all.
	FailureUnsigned = "unsigned"
	// FailureKeyMismatch: the digest has signatures, but none verifies
	// with the key (signed with another key, or tampered with).
	FailureKeyMismatch = "key-mismatch"
	// FailureNoAttestation: the digest has no attestation of the wanted
	// predicate type.
	FailureNoAttestation = "no-attestation"
)

// VerificationError is why an image failed verification.
type VerificationError struct {
	// Image is the reference as given.
	Image string
	// Tag is set when the image was named by a tag.
	Tag string
	// Digest is the digest the image resolved to.
	Digest string
	// Repository is the image's repository.
	Repository string
	// Kind is FailureUnsigned, FailureKeyMismatch or FailureNoAttestation.
	Kind string
	// What is "signature" or the kind of attestation looked for.
	What string
	// KeyID identifies the key verification was tried with.
	KeyID string
	// SignedDigests are other digests of the same repository that carry a
	// signature: a hint that a tag was moved to an unsigned image.
	SignedDigests []string
	// Err is cosign's error.
	Err error
}

func (e *VerificationError) Error() string {
	var b strings.Builder
	if e.Tag != "" {
		fmt.Fprintf(&b, "tag %s resolves to digest %s, which has no valid %s", e.Tag, e.Digest, e.What)
	} else {
		fmt.Fprintf(&b, "image %s has no valid %s", e.Image, e.What)
	}
	switch e.Kind {
	case FailureUnsigned:
		b.WriteString(": the digest is not signed")
	case FailureNoAttestation:
		b.WriteString(": the digest has none")
	case FailureKeyMismatch:
		fmt.Fprintf(&b, ": no %s of the digest verifies with key %s (signed with another key?)", e.What, e.KeyID)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, " (%v)", e.Err)
	}
	if len(e.SignedDigests) > 0 && e.Kind == FailureUnsigned {
		fmt.Fprintf(&b, "; other digests of %s are signed (%s): was the tag moved to an unsigned image?",
			e.Repository, strings.Join(e.SignedDigests, ", "))
	}
	return b.String()
}

func (e *VerificationError) Unwrap() error { return e.Err }

// checkOpts are the cosign verification options goldenpath uses: a public
// key, no transparency log, no certificates, no TUF root (air-gapped).
func (o *session) checkOpts(ctx context.Context, key *VerificationKey, claims func(sig oci.Signature, h v1.Hash, ann map[string]any) error) *cosign.CheckOpts {
	return &cosign.CheckOpts{
		RegistryClientOpts: o.ociremote(ctx),
		SigVerifier:        key.v,
		IgnoreTlog:         true,
		IgnoreSCT:          true,
		ClaimVerifier:      claims,
	}
}

// Verify checks that an image carries a signature made with the key. A tag
// is resolved to its digest first and that digest must be signed: a tag
// moved to another (unsigned) digest fails, whatever the previous digest
// was. The signed payload must name the digest (cosign's claim check), so
// a signature copied from another image fails too. Failures are
// *VerificationError.
func Verify(ctx context.Context, image string, key *VerificationKey, opts ...registry.Option) (_ *VerifyResult, err error) {
	if key == nil {
		return nil, errors.New("verify: no verification key")
	}
	o, ref, digest, err := open(ctx, "verify", image, opts)
	if err != nil {
		return nil, err
	}
	defer func() { err = o.finish(image, err) }()
	res := &VerifyResult{Image: image, Digest: digest.DigestStr(), Reference: digest.String(), KeyID: key.KeyID()}
	if t, ok := ref.(name.Tag); ok {
		res.Tag = t.String()
	}
	sigs, _, err := cosign.VerifyImageSignatures(ctx, digest, o.checkOpts(ctx, key, cosign.SimpleClaimVerifier))
	if err != nil {
		return nil, o.verificationError(ctx, res, "signature", err)
	}
	res.Signatures = len(sigs)
	return res, nil
}

// verificationError classifies cosign's error.
func (o *session) verificationError(ctx context.Context, res *VerifyResult, what string, err error) error {
	repo, _, _ := strings.Cut(res.Reference, "@")
	ve := &VerificationError{Image: res.Image, Tag: res.Tag, Digest: res.Digest, Repository: repo, What: what, KeyID: res.KeyID, Err: err}
	var (
		none     *cosign.ErrNoSignaturesFound
		noMatch  *cosign.ErrNoMatchingSignatures
		noAttest *cosign.ErrNoMatchingAttestations
	)
	switch {
	case errors.As(err, &none):
		ve.Kind, ve.Err = FailureUnsigned, nil
		ve.SignedDigests = o.signedDigests(ctx, res)
	case errors.As(err, &noMatch):
		ve.Kind = FailureKeyMismatch
	case errors.As(err, &noAttest):
		ve.Kind = FailureKeyMismatch
	default:
		return fmt.Errorf("verify %s: %w", res.Reference, err)
	}
	return ve
}

// signedDigests lists the digests of the image's repository that have a
// cosign signature tag, other than the one verified. Best effort: a
// registry that does not list tags gives none.
func (o *session) signedDigests(ctx context.Context, res *VerifyResult) []string {
	if res.Tag == "" {
		return nil
	}
	d, err := o.parse(res.Reference)
	if err != nil {
		return nil
	}
	tags, err := remote.List(d.Context(), o.remote(ctx)...)
	if err != nil {
		return nil
	}
	var out []string
	for _, t := range tags {
		hexDigest, ok := strings.CutSuffix(t, ".sig")
		if !ok || !strings.HasPrefix(hexDigest, "sha256-") {
			continue
		}
		dg := "sha256:" + strings.TrimPrefix(hexDigest, "sha256-")
		if dg != res.Digest {
			out = append(out, dg)
		}
	}
	sort.Strings(out)
	return out
}
