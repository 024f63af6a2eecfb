package supplychain

import (
	"context"
	"fmt"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/regopt"
	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/settings"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
	psc "github.com/goldenpath-dev/goldenpath/pipeline/supplychain"
)

// The results, as pipeline/supplychain defines them.
type (
	// SignResult says what Sign signed.
	SignResult = psc.SignResult
	// VerifyResult says what Verify verified.
	VerifyResult = psc.VerifyResult
	// VerificationError is a failed check: Kind says which (FailureUnsigned,
	// FailureKeyMismatch, FailureNoAttestation) and the message names the
	// digest the tag resolved to.
	VerificationError = psc.VerificationError
	// SBOMReport is the buildpack SBOMs of an image (SBOM returns it).
	SBOMReport = psc.SBOM
	// ProvenanceResult is a verified SLSA provenance statement.
	ProvenanceResult = psc.ProvenanceResult
	// AttestResult says which provenance attestation was attached.
	AttestResult = psc.AttestResult
	// PrivateKey is a private key loaded for signing (LoadPrivateKey).
	PrivateKey = psc.SigningKey
	// PublicKey is a public key loaded for verifying (LoadPublicKey).
	PublicKey = psc.VerificationKey
)

// Kinds of VerificationError.
const (
	FailureUnsigned      = psc.FailureUnsigned
	FailureKeyMismatch   = psc.FailureKeyMismatch
	FailureNoAttestation = psc.FailureNoAttestation
)

// ErrNoSBOM is wrapped by SBOM's error for an image without buildpack
// SBOMs (an image built from a Dockerfile).
var ErrNoSBOM = psc.ErrNoSBOM

// CosignPasswordEnv is the environment variable cosign, and the goldenpath
// CLI, read the private key's password from. The library never reads it:
// give the password with goldenpath.WithKeyPassword.
const CosignPasswordEnv = psc.CosignPasswordEnv

// Sign signs an image (a tag is resolved to its digest first, and the
// digest signed) with privateKey, a cosign private key in PEM as
// GenerateKeys makes it, with no transparency log: see
// pipeline/supplychain.Sign. Options: goldenpath.WithKeyPassword and the
// registry options.
func Sign(ctx context.Context, image string, privateKey []byte, opts ...goldenpath.Option) (*SignResult, error) {
	s, err := settings.Apply(opts)
	if err != nil {
		return nil, err
	}
	key, err := LoadPrivateKey(privateKey, s.KeyPassword)
	if err != nil {
		return nil, err
	}
	return psc.Sign(ctx, image, key, regopt.Options(s)...)
}

// Verify checks that the digest an image reference resolves to carries a
// valid signature by publicKey (PEM): see pipeline/supplychain.Verify. A
// failed check is a *VerificationError that says which digest the tag
// resolved to. Options: the registry options.
func Verify(ctx context.Context, image string, publicKey []byte, opts ...goldenpath.Option) (*VerifyResult, error) {
	key, reg, err := withPublicKey(publicKey, opts)
	if err != nil {
		return nil, err
	}
	return psc.Verify(ctx, image, key, reg...)
}

// SBOM reads the buildpack SBOMs a CNB image carries, downloading only
// the image's SBOM layer: see pipeline/supplychain.ReadSBOM. An image
// built from a Dockerfile has none: the error wraps ErrNoSBOM. Options:
// the registry options.
func SBOM(ctx context.Context, image string, opts ...goldenpath.Option) (*SBOMReport, error) {
	s, err := settings.Apply(opts)
	if err != nil {
		return nil, err
	}
	return psc.ReadSBOM(ctx, image, regopt.Options(s)...)
}

// Provenance returns an image's SLSA provenance statement after verifying
// its attestation with publicKey (PEM): see
// pipeline/supplychain.VerifyProvenance. Options: the registry options.
func Provenance(ctx context.Context, image string, publicKey []byte, opts ...goldenpath.Option) (*ProvenanceResult, error) {
	key, reg, err := withPublicKey(publicKey, opts)
	if err != nil {
		return nil, err
	}
	return psc.VerifyProvenance(ctx, image, key, reg...)
}

// withPublicKey applies the options and loads the public key: what Verify
// and Provenance start with.
func withPublicKey(publicKey []byte, opts []goldenpath.Option) (*PublicKey, []registry.Option, error) {
	s, err := settings.Apply(opts)
	if err != nil {
		return nil, nil, err
	}
	key, err := LoadPublicKey(publicKey)
	if err != nil {
		return nil, nil, err
	}
	return key, regopt.Options(s), nil
}

// LoadPrivateKey decrypts a cosign private key (PEM) with its password.
func LoadPrivateKey(privateKey, password []byte) (*PrivateKey, error) {
	k, err := psc.LoadSigningKey(privateKey, password)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	return k, nil
}

// LoadPublicKey reads a cosign public key (PEM).
func LoadPublicKey(publicKey []byte) (*PublicKey, error) {
	k, err := psc.LoadVerificationKey(publicKey)
	if err != nil {
		return nil, fmt.Errorf("verification key: %w", err)
	}
	return k, nil
}
