package supplychain

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"

	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
)

// AttestResult says what AttestProvenance attached.
type AttestResult struct {
	// Digest is the image digest attested.
	Digest string `json:"digest"`
	// Reference is repository@digest.
	Reference string `json:"reference"`
	// AttestationTag is where the attestation was stored (cosign's
	// sha256-<hex>.att tag).
	AttestationTag string `json:"attestationTag"`
	// PredicateType is the statement's predicate type.
	PredicateType string `json:"predicateType"`
	// KeyID identifies the signing key.
	KeyID string `json:"keyID"`
}

// AttestProvenance signs a provenance statement as a DSSE envelope
// (payload type application/vnd.in-toto+json) and attaches it to the
// image as a cosign attestation, the way `cosign attest --key
// --tlog-upload=false --replace` does: a provenance attestation earlier
// made with the same key for the same digest is replaced; attestations of
// other types or keys are kept. The statement's subject must be the
// image's digest.
func AttestProvenance(ctx context.Context, image string, st *Statement, key *SigningKey, opts ...registry.Option) (_ *AttestResult, err error) {
	if key == nil {
		return nil, errors.New("attest: no signing key")
	}
	if st == nil {
		return nil, errors.New("attest: no statement")
	}
	o, _, digest, err := open(ctx, "attest", image, opts)
	if err != nil {
		return nil, err
	}
	defer func() { err = o.finish(image, err) }()
	hexDigest := strings.TrimPrefix(digest.DigestStr(), "sha256:")
	matches := false
	for _, s := range st.Subject {
		if s.Digest["sha256"] == hexDigest {
			matches = true
		}
	}
	if !matches {
		return nil, fmt.Errorf("attest %s: the statement's subject is not this digest", digest)
	}
	payload, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("attest %s: %w", digest, err)
	}
	envelope, err := dsse.WrapSigner(key.sv, types.IntotoPayloadType).SignMessage(bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("attest %s: signing: %w", digest, err)
	}
	att, err := static.NewAttestation(envelope,
		static.WithLayerMediaType(types.DssePayloadType),
		static.WithAnnotations(map[string]string{"predicateType": st.PredicateType}))
	if err != nil {
		return nil, fmt.Errorf("attest %s: %w", digest, err)
	}
	ropts := o.ociremote(ctx)
	se := ociremote.SignedUnknown(digest, ropts...)
	attested, err := mutate.AttachAttestationToEntity(se, att,
		mutate.WithReplaceOp(&replaceOwnAttestation{predicateType: st.PredicateType, key: key.pub}))
	if err != nil {
		return nil, fmt.Errorf("attest %s: %w", digest, err)
	}
	if err := ociremote.WriteAttestations(digest.Repository, attested, ropts...); err != nil {
		return nil, fmt.Errorf("attest %s: pushing the attestation: %w", digest, err)
	}
	tag, err := ociremote.AttestationTag(digest, ropts...)
	if err != nil {
		return nil, fmt.Errorf("attest %s: %w", digest, err)
	}
	return &AttestResult{Digest: digest.DigestStr(), Reference: digest.String(), AttestationTag: tag.String(), PredicateType: st.PredicateType, KeyID: key.KeyID()}, nil
}

// replaceOwnAttestation is cosign's --replace, narrowed to attestations of
// one predicate type made with one key, and quiet (cosign's prints to
// stderr).
type replaceOwnAttestation struct {
	predicateType string
	key           *VerificationKey
}

var _ mutate.ReplaceOp = (*replaceOwnAttestation)(nil)

func (r *replaceOwnAttestation) Replace(base oci.Signatures, add oci.Signature) (oci.Signatures, error) {
	existing, err := base.Get()
	if err != nil {
		return nil, err
	}
	keep := []oci.Signature{add}
	for _, s := range existing {
		p, err := s.Payload()
		if err != nil {
			return nil, err
		}
		if pt, _, err := decodeEnvelope(p); err == nil && pt == r.predicateType &&
			dsse.WrapVerifier(r.key.v).VerifySignature(bytes.NewReader(p), nil) == nil {
			continue
		}
		keep = append(keep, s)
	}
	return &signatureList{Signatures: base, sigs: keep}, nil
}

// signatureList is an oci.Signatures whose Get returns a given list.
type signatureList struct {
	oci.Signatures
	sigs []oci.Signature
}

func (l *signatureList) Get() ([]oci.Signature, error) { return l.sigs, nil }

// decodeEnvelope returns the predicate type and statement of a DSSE
// envelope holding an in-toto statement.
func decodeEnvelope(envelope []byte) (string, []byte, error) {
	var env struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
	}
	if err := json.Unmarshal(envelope, &env); err != nil {
		return "", nil, fmt.Errorf("not a DSSE envelope: %w", err)
	}
	stmt, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return "", nil, fmt.Errorf("DSSE payload: %w", err)
	}
	var head struct {
		PredicateType string `json:"predicateType"`
	}
	if err := json.Unmarshal(stmt, &head); err != nil {
		return "", nil, fmt.Errorf("in-toto statement: %w", err)
	}
	return head.PredicateType, stmt, nil
}

// ProvenanceResult is a verified provenance attestation.
type ProvenanceResult struct {
	// Image is the reference as given.
	Image string `json:"image"`
	// Tag is the tag the image was named by, when it was.
	Tag string `json:"tag,omitempty"`
	// Digest is the image digest the attestation is about.
	Digest string `json:"digest"`
	// Reference is repository@digest.
	Reference string `json:"reference"`
	// KeyID identifies the key the attestation verified with.
	KeyID string `json:"keyID"`
	// Statement is the verified statement, decoded.
	Statement *Statement `json:"statement"`
	// Raw is the statement exactly as signed.
	Raw json.RawMessage `json:"-"`
}

// VerifyProvenance finds the image's SLSA provenance attestation, checks
// its DSSE signature with the key and that its subject is the image's
// digest (tags are resolved first, as in Verify), and returns the
// statement. Failures are *VerificationError. When several verified
// provenance attestations exist, the one finished last is returned.
func VerifyProvenance(ctx context.Context, image string, key *VerificationKey, opts ...registry.Option) (_ *ProvenanceResult, err error) {
	if key == nil {
		return nil, errors.New("provenance: no verification key")
	}
	o, ref, digest, err := open(ctx, "provenance", image, opts)
	if err != nil {
		return nil, err
	}
	defer func() { err = o.finish(image, err) }()
	vr := &VerifyResult{Image: image, Digest: digest.DigestStr(), Reference: digest.String(), KeyID: key.KeyID()}
	if t, ok := ref.(name.Tag); ok {
		vr.Tag = t.String()
	}
	noAttestation := func() error {
		repo, _, _ := strings.Cut(vr.Reference, "@")
		return &VerificationError{Image: image, Tag: vr.Tag, Digest: vr.Digest, Repository: repo, Kind: FailureNoAttestation, What: "SLSA provenance attestation", KeyID: vr.KeyID}
	}
	// cosign reports "no matching attestations" both when there are none
	// and when none verifies: look first.
	ropts := o.ociremote(ctx)
	attTag, err := ociremote.AttestationTag(digest, ropts...)
	if err != nil {
		return nil, fmt.Errorf("provenance %s: %w", digest, err)
	}
	all, err := ociremote.Signatures(attTag, ropts...)
	if err != nil {
		return nil, fmt.Errorf("provenance %s: reading attestations: %w", digest, err)
	}
	if list, err := all.Get(); err != nil {
		return nil, fmt.Errorf("provenance %s: reading attestations: %w", digest, err)
	} else if !hasPredicate(list, ProvenancePredicateType) {
		return nil, noAttestation()
	}
	atts, _, err := cosign.VerifyImageAttestations(ctx, digest, o.checkOpts(ctx, key, cosign.IntotoSubjectClaimVerifier))
	if err != nil {
		return nil, o.verificationError(ctx, vr, "SLSA provenance attestation", err)
	}
	var best *ProvenanceResult
	for _, a := range atts {
		p, err := a.Payload()
		if err != nil {
			return nil, fmt.Errorf("provenance %s: %w", digest, err)
		}
		pt, raw, err := decodeEnvelope(p)
		if err != nil || pt != ProvenancePredicateType {
			continue
		}
		var st Statement
		if err := json.Unmarshal(raw, &st); err != nil {
			return nil, fmt.Errorf("provenance %s: decoding the verified statement: %w", digest, err)
		}
		res := &ProvenanceResult{Image: image, Tag: vr.Tag, Digest: vr.Digest, Reference: vr.Reference, KeyID: key.KeyID(), Statement: &st, Raw: raw}
		if best == nil || provenanceFinished(&st).After(provenanceFinished(best.Statement)) {
			best = res
		}
	}
	if best == nil {
		// Attestations verified with the key, but none is provenance:
		// the provenance ones are from another key.
		return nil, &VerificationError{Image: image, Tag: vr.Tag, Digest: vr.Digest, Repository: strings.SplitN(vr.Reference, "@", 2)[0],
			Kind: FailureKeyMismatch, What: "SLSA provenance attestation", KeyID: vr.KeyID}
	}
	return best, nil
}

func provenanceFinished(st *Statement) time.Time {
	if t := st.Predicate.RunDetails.Metadata.FinishedOn; t != nil {
		return *t
	}
	return time.Time{}
}

// hasPredicate reports whether any attestation (verified or not) claims the
// predicate type.
func hasPredicate(atts []oci.Signature, predicateType string) bool {
	for _, a := range atts {
		if ann, err := a.Annotations(); err == nil && ann["predicateType"] == predicateType {
			return true
		}
		if p, err := a.Payload(); err == nil {
			if pt, _, err := decodeEnvelope(p); err == nil && pt == predicateType {
				return true
			}
		}
	}
	return false
}
