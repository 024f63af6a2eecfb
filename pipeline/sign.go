package pipeline

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	cremote "github.com/sigstore/cosign/v2/pkg/cosign/remote"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	sigpayload "github.com/sigstore/sigstore/pkg/signature/payload"
)

// CosignPasswordEnv is the environment variable cosign reads a private
// key's password from. The goldenpath CLI reads the same one; the library
// never reads the environment.
const CosignPasswordEnv = "COSIGN_PASSWORD"

// SupplyChainOption configures the registry access of the supply-chain
// calls (Sign, Verify, ReadSBOM, NewProvenance, AttestProvenance,
// VerifyProvenance).
type SupplyChainOption func(*supplyOptions) error

type supplyOptions struct {
	keychain  authn.Keychain
	transport http.RoundTripper
	insecure  bool
}

// WithRegistryKeychain sets where registry credentials come from. Default:
// authn.DefaultKeychain (the Docker config file, as docker login writes it).
func WithRegistryKeychain(k authn.Keychain) SupplyChainOption {
	return func(o *supplyOptions) error {
		if k == nil {
			return errors.New("WithRegistryKeychain: nil keychain")
		}
		o.keychain = k
		return nil
	}
}

// WithRegistryTransport sets the HTTP transport to registries. Default:
// go-containerregistry's default transport.
func WithRegistryTransport(t http.RoundTripper) SupplyChainOption {
	return func(o *supplyOptions) error {
		if t == nil {
			return errors.New("WithRegistryTransport: nil transport")
		}
		o.transport = t
		return nil
	}
}

// WithInsecureRegistry lets every registry be reached over plain HTTP.
// Default: false; registries on the loopback address (localhost,
// 127.0.0.0/8) use plain HTTP anyway, as the Docker engine does.
func WithInsecureRegistry(insecure bool) SupplyChainOption {
	return func(o *supplyOptions) error { o.insecure = insecure; return nil }
}

func makeSupplyOptions(opts []SupplyChainOption) (*supplyOptions, error) {
	o := &supplyOptions{keychain: authn.DefaultKeychain}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func (o *supplyOptions) parse(ref string) (name.Reference, error) {
	var nopts []name.Option
	if o.insecure || IsLoopbackRegistry(ref) {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", ref, err)
	}
	return r, nil
}

func (o *supplyOptions) remote(ctx context.Context) []remote.Option {
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(o.keychain)}
	if o.transport != nil {
		ropts = append(ropts, remote.WithTransport(o.transport))
	}
	return ropts
}

func (o *supplyOptions) ociremote(ctx context.Context) []ociremote.Option {
	return []ociremote.Option{ociremote.WithRemoteOptions(o.remote(ctx)...)}
}

// resolve parses an image reference and resolves it to its manifest digest:
// a tag is looked up in the registry, a digest reference is kept. Signing and
// verifying always work on the digest, so that a tag moved between the two
// steps cannot swap the image.
func (o *supplyOptions) resolve(ctx context.Context, image string) (name.Reference, name.Digest, error) {
	ref, err := o.parse(image)
	if err != nil {
		return nil, name.Digest{}, err
	}
	if d, ok := ref.(name.Digest); ok {
		// Canonical repository@digest, also for a tag@digest reference.
		return ref, d.Context().Digest(d.DigestStr()), nil
	}
	desc, err := remote.Head(ref, o.remote(ctx)...)
	if err != nil {
		var terr *transport.Error
		if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
			return nil, name.Digest{}, fmt.Errorf("image %s not found in its registry: %w", ref, err)
		}
		return nil, name.Digest{}, fmt.Errorf("resolving %s to a digest: %w", ref, err)
	}
	return ref, ref.Context().Digest(desc.Digest.String()), nil
}

// KeyPair is a cosign key pair in cosign's own formats: the private key is
// PKCS #8, encrypted with a password (scrypt and secretbox) in an
// "ENCRYPTED SIGSTORE PRIVATE KEY" PEM block, and the public key is a PKIX
// "PUBLIC KEY" PEM block. `cosign generate-key-pair` writes the same files
// (cosign.key, cosign.pub), and cosign reads these.
type KeyPair struct {
	PrivateKey []byte
	PublicKey  []byte
}

// GenerateKeyPair makes a new ECDSA P-256 key pair, the private key
// encrypted with password (which may be empty, as cosign allows).
func GenerateKeyPair(password []byte) (*KeyPair, error) {
	kb, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return password, nil })
	if err != nil {
		return nil, fmt.Errorf("generating a key pair: %w", err)
	}
	return &KeyPair{PrivateKey: kb.PrivateBytes, PublicKey: kb.PublicBytes}, nil
}

// SigningKey is a private key loaded for signing.
type SigningKey struct {
	sv  signature.SignerVerifier
	pub *VerificationKey
}

// LoadSigningKey decrypts a cosign private key (as GenerateKeyPair or
// `cosign generate-key-pair` write it) with its password.
func LoadSigningKey(privateKeyPEM, password []byte) (*SigningKey, error) {
	sv, err := cosign.LoadPrivateKey(privateKeyPEM, password, nil)
	if err != nil {
		if strings.Contains(err.Error(), "decrypt") {
			return nil, fmt.Errorf("loading the private key: %w (wrong password? it is read from $%s)", err, CosignPasswordEnv)
		}
		return nil, fmt.Errorf("loading the private key: %w", err)
	}
	pub, err := sv.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("loading the private key: %w", err)
	}
	pemBytes, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		return nil, fmt.Errorf("loading the private key: %w", err)
	}
	vk, err := LoadVerificationKey(pemBytes)
	if err != nil {
		return nil, err
	}
	return &SigningKey{sv: sv, pub: vk}, nil
}

// PublicKey returns the verification key of the signing key.
func (k *SigningKey) PublicKey() *VerificationKey { return k.pub }

// KeyID identifies the key pair: see VerificationKey.KeyID.
func (k *SigningKey) KeyID() string { return k.pub.KeyID() }

// VerificationKey is a public key loaded for verifying signatures and
// attestations.
type VerificationKey struct {
	v   signature.Verifier
	pem []byte
	id  string
}

// LoadVerificationKey reads a PEM public key (cosign.pub).
func LoadVerificationKey(publicKeyPEM []byte) (*VerificationKey, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(publicKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("loading the public key: %w", err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("loading the public key: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("loading the public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return &VerificationKey{v: v, pem: publicKeyPEM, id: "sha256:" + hex.EncodeToString(sum[:])}, nil
}

// KeyID is "sha256:" and the hex SHA-256 of the public key's DER (PKIX)
// encoding: the same for a private key and its public key, so a report can
// say which key signed or verified.
func (k *VerificationKey) KeyID() string { return k.id }

// PEM returns the public key in PEM form.
func (k *VerificationKey) PEM() []byte { return append([]byte(nil), k.pem...) }

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
func Sign(ctx context.Context, image string, key *SigningKey, opts ...SupplyChainOption) (*SignResult, error) {
	if key == nil {
		return nil, errors.New("sign: no signing key")
	}
	o, err := makeSupplyOptions(opts)
	if err != nil {
		return nil, err
	}
	_, digest, err := o.resolve(ctx, image)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
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
func (o *supplyOptions) checkOpts(ctx context.Context, key *VerificationKey, claims func(sig oci.Signature, h v1.Hash, ann map[string]any) error) *cosign.CheckOpts {
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
func Verify(ctx context.Context, image string, key *VerificationKey, opts ...SupplyChainOption) (*VerifyResult, error) {
	if key == nil {
		return nil, errors.New("verify: no verification key")
	}
	o, err := makeSupplyOptions(opts)
	if err != nil {
		return nil, err
	}
	ref, digest, err := o.resolve(ctx, image)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
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
func (o *supplyOptions) verificationError(ctx context.Context, res *VerifyResult, what string, err error) error {
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
func (o *supplyOptions) signedDigests(ctx context.Context, res *VerifyResult) []string {
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
