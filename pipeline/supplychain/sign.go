package supplychain

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
	cremote "github.com/sigstore/cosign/v2/pkg/cosign/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	sigpayload "github.com/sigstore/sigstore/pkg/signature/payload"
)

// CosignPasswordEnv is the environment variable cosign reads a private
// key's password from. The goldenpath CLI reads the same one; the library
// never reads the environment.
const CosignPasswordEnv = "COSIGN_PASSWORD"

// SignResult says what Sign signed.
type SignResult struct {
	// Image is the reference as given (a tag or a digest reference).
	Image string `json:"image"`
	// Digest is the manifest digest that was signed.
	Digest string `json:"digest"`
	// Reference is repository@digest.
	Reference string `json:"reference"`
	// SignatureTag is where the signature was stored (cosign's
	// sha256-<hex>.sig tag in the image's repository).
	SignatureTag string `json:"signatureTag"`
	// KeyID identifies the signing key (see VerificationKey.KeyID).
	KeyID string `json:"keyID"`
}

// Sign signs an image with a key pair the platform team holds, the way
// `cosign sign --key --tlog-upload=false` does: the tag is first resolved
// to its digest, a simple-signing payload naming that digest is signed,
// and the signature is pushed to the repository's sha256-<hex>.sig tag.
// Nothing is sent to a transparency log. Signing the same digest again
// with the same key adds no duplicate.
func Sign(ctx context.Context, image string, key *SigningKey, opts ...registry.Option) (_ *SignResult, err error) {
	if key == nil {
		return nil, errors.New("sign: no signing key")
	}
	o, _, digest, err := open(ctx, "sign", image, opts)
	if err != nil {
		return nil, err
	}
	defer func() { err = o.finish(image, err) }()
	payload, err := (&sigpayload.Cosign{Image: digest}).MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("sign %s: payload: %w", digest, err)
	}
	raw, err := key.sv.SignMessage(bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", digest, err)
	}
	sig, err := static.NewSignature(payload, base64.StdEncoding.EncodeToString(raw))
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", digest, err)
	}
	ropts := o.ociremote(ctx)
	se := ociremote.SignedUnknown(digest, ropts...)
	signed, err := mutate.AttachSignatureToEntity(se, sig, mutate.WithDupeDetector(cremote.NewDupeDetector(key.sv)))
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", digest, err)
	}
	if err := ociremote.WriteSignatures(digest.Repository, signed, ropts...); err != nil {
		return nil, fmt.Errorf("sign %s: pushing the signature: %w", digest, err)
	}
	st, err := ociremote.SignatureTag(digest, ropts...)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", digest, err)
	}
	return &SignResult{Image: image, Digest: digest.DigestStr(), Reference: digest.String(), SignatureTag: st.String(), KeyID: key.KeyID()}, nil
}
