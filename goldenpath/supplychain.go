package goldenpath

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/pipeline/build"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
	"github.com/goldenpath-dev/goldenpath/pipeline/supplychain"
)

// The file names of a key pair, as `cosign generate-key-pair` writes them.
const (
	PrivateKeyFile = "cosign.key"
	PublicKeyFile  = "cosign.pub"
)

// SupplyChainOption configures GenerateKeys, Sign, Verify, SBOM and
// Provenance.
type SupplyChainOption func(*supplyChainOptions) error

type supplyChainOptions struct {
	password  []byte
	registry  []registry.Option
	overwrite bool
}

func makeSupplyChainOptions(opts []SupplyChainOption) (*supplyChainOptions, error) {
	o := &supplyChainOptions{}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithKeyPassword sets the password of the private key: the one
// GenerateKeys encrypts it with, and Sign decrypts it with. Default: the
// empty password. The CLI reads it from $COSIGN_PASSWORD, as cosign does.
func WithKeyPassword(password []byte) SupplyChainOption {
	return func(o *supplyChainOptions) error { o.password = password; return nil }
}

// WithRegistryOptions passes registry options (credentials, transport,
// plain-HTTP hosts) to the pipeline. Default: none, which means
// registry.DefaultKeychain and plain HTTP only for loopback registries.
func WithRegistryOptions(opts ...registry.Option) SupplyChainOption {
	return func(o *supplyChainOptions) error {
		o.registry = append(o.registry, opts...)
		return nil
	}
}

// WithOverwriteKeys lets GenerateKeys replace an existing key pair.
// Default: false, an existing cosign.key or cosign.pub is an error.
func WithOverwriteKeys(overwrite bool) SupplyChainOption {
	return func(o *supplyChainOptions) error { o.overwrite = overwrite; return nil }
}

// KeyFiles is a key pair GenerateKeys wrote.
type KeyFiles struct {
	// PrivateKey is the path of the encrypted private key (cosign.key).
	PrivateKey string `json:"privateKey"`
	// PublicKey is the path of the public key (cosign.pub).
	PublicKey string `json:"publicKey"`
	// KeyID is "sha256:" and the hex SHA-256 of the public key (DER): the
	// ID sign, verify and provenance print.
	KeyID string `json:"keyID"`
}

// GenerateKeys makes a new ECDSA P-256 key pair for signing images and
// writes it to dir as cosign.key (mode 0600, encrypted with the password
// of WithKeyPassword) and cosign.pub: the same files and formats as
// `cosign generate-key-pair`, so cosign can use them too. The platform
// team keeps cosign.key (and its password) in its CI secrets and
// publishes cosign.pub to whoever verifies.
func GenerateKeys(dir string, opts ...SupplyChainOption) (*KeyFiles, error) {
	o, err := makeSupplyChainOptions(opts)
	if err != nil {
		return nil, err
	}
	files := &KeyFiles{PrivateKey: filepath.Join(dir, PrivateKeyFile), PublicKey: filepath.Join(dir, PublicKeyFile)}
	if !o.overwrite {
		for _, f := range []string{files.PrivateKey, files.PublicKey} {
			if _, err := os.Stat(f); err == nil {
				return nil, fmt.Errorf("keygen: %s exists; remove it or choose another folder", f)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("keygen: %w", err)
			}
		}
	}
	kp, err := supplychain.GenerateKeyPair(o.password)
	if err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	pub, err := supplychain.LoadVerificationKey(kp.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	files.KeyID = pub.KeyID()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	if err := os.WriteFile(files.PrivateKey, kp.PrivateKey, 0o600); err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	if err := os.WriteFile(files.PublicKey, kp.PublicKey, 0o644); err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	return files, nil
}

func loadSigningKey(file string, password []byte) (*supplychain.SigningKey, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	k, err := supplychain.LoadSigningKey(data, password)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", file, err)
	}
	return k, nil
}

func loadVerificationKey(file string) (*supplychain.VerificationKey, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("verification key: %w", err)
	}
	k, err := supplychain.LoadVerificationKey(data)
	if err != nil {
		return nil, fmt.Errorf("verification key %s: %w", file, err)
	}
	return k, nil
}

// Sign signs an image (resolved to its digest first) with the private key
// in keyFile, with no transparency log: see [supplychain.Sign]. Options:
// WithKeyPassword, WithRegistryOptions.
func Sign(ctx context.Context, image, keyFile string, opts ...SupplyChainOption) (*supplychain.SignResult, error) {
	o, err := makeSupplyChainOptions(opts)
	if err != nil {
		return nil, err
	}
	key, err := loadSigningKey(keyFile, o.password)
	if err != nil {
		return nil, err
	}
	return supplychain.Sign(ctx, image, key, o.registry...)
}

// Verify checks that the digest an image reference resolves to is signed
// with the key in publicKeyFile: see [supplychain.Verify]. A failed check is a
// *[supplychain.VerificationError] that says which digest the tag resolved to.
// Options: WithRegistryOptions.
func Verify(ctx context.Context, image, publicKeyFile string, opts ...SupplyChainOption) (*supplychain.VerifyResult, error) {
	o, err := makeSupplyChainOptions(opts)
	if err != nil {
		return nil, err
	}
	key, err := loadVerificationKey(publicKeyFile)
	if err != nil {
		return nil, err
	}
	return supplychain.Verify(ctx, image, key, o.registry...)
}

// SBOM reads the buildpack SBOMs a CNB image carries, downloading only the
// image's SBOM layer: see [supplychain.ReadSBOM]. An image built from a
// Dockerfile has none: the error wraps [supplychain.ErrNoSBOM]. Options:
// WithRegistryOptions.
func SBOM(ctx context.Context, image string, opts ...SupplyChainOption) (*supplychain.SBOM, error) {
	o, err := makeSupplyChainOptions(opts)
	if err != nil {
		return nil, err
	}
	return supplychain.ReadSBOM(ctx, image, o.registry...)
}

// Provenance returns an image's SLSA provenance statement after verifying
// its attestation with the key in publicKeyFile: see
// [supplychain.VerifyProvenance]. Options: WithRegistryOptions.
func Provenance(ctx context.Context, image, publicKeyFile string, opts ...SupplyChainOption) (*supplychain.ProvenanceResult, error) {
	o, err := makeSupplyChainOptions(opts)
	if err != nil {
		return nil, err
	}
	key, err := loadVerificationKey(publicKeyFile)
	if err != nil {
		return nil, err
	}
	return supplychain.VerifyProvenance(ctx, image, key, o.registry...)
}

// buildKeys are the keys a BuildRequest names, loaded before the build so
// that a missing file or a wrong password fails in seconds, not after it.
type buildKeys struct {
	sign   *supplychain.SigningKey
	verify *supplychain.VerificationKey
}

func loadBuildKeys(req BuildRequest) (*buildKeys, error) {
	k := &buildKeys{}
	if req.SignKey == "" && req.VerifyKey == "" {
		return k, nil
	}
	if req.Publish == "" {
		return nil, errors.New("signing and verifying need a published image: give a registry to publish to")
	}
	var err error
	if req.SignKey != "" {
		if k.sign, err = loadSigningKey(req.SignKey, req.KeyPassword); err != nil {
			return nil, err
		}
	}
	if req.VerifyKey != "" {
		if k.verify, err = loadVerificationKey(req.VerifyKey); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// secureBuild runs the supply-chain steps of a published build, before the
// GitOps tree is pinned: sign the digest and attach a signed SLSA
// provenance attestation (SignKey), then require a valid signature (and
// the provenance just attached) by VerifyKey. Any failure stops Build, so
// an image that fails verification is never pinned.
func secureBuild(ctx context.Context, req BuildRequest, keys *buildKeys, r *contract.AppDeploymentRequest, p *contract.Platform, reg []registry.Option, started time.Time, res *BuildResult) error {
	if keys.sign == nil && keys.verify == nil {
		return nil
	}
	out := req.Output
	if out == nil {
		out = io.Discard
	}
	ref := res.Reference
	if keys.sign != nil {
		signed, err := supplychain.Sign(ctx, ref, keys.sign, reg...)
		if err != nil {
			return err
		}
		res.Signature = signed
		fmt.Fprintf(out, "goldenpath: signed %s with key %s\n", signed.Reference, signed.KeyID)

		in := supplychain.ProvenanceInput{Request: r, Platform: p, StartedOn: started, FinishedOn: time.Now()}
		if res.SourceRevision != "" {
			in.SourceRevision = res.SourceRevision // the clone of a git URL source
		} else if rev, err := build.SourceRevision(req.Source); err == nil {
			in.SourceRevision = rev
		} else {
			fmt.Fprintf(out, "goldenpath: provenance: no source commit: %v\n", err)
		}
		if r.Spec.Build.Type != contract.BuildTypeDockerfile {
			if bld, ok := p.Builders[r.Spec.Build.Builder]; ok {
				in.BuilderImage = res.Builder
				id, err := build.BuilderIdentity(ctx, bld, reg...)
				if err != nil {
					fmt.Fprintf(out, "goldenpath: provenance: no builder digest: %v\n", err)
				}
				in.Builder = id
			}
		}
		st, err := supplychain.NewProvenance(ctx, ref, in, reg...)
		if err != nil {
			return err
		}
		att, err := supplychain.AttestProvenance(ctx, ref, st, keys.sign, reg...)
		if err != nil {
			return err
		}
		res.Provenance = att
		fmt.Fprintf(out, "goldenpath: attested SLSA provenance of %s\n", att.Reference)
	}
	if keys.verify != nil {
		v, err := supplychain.Verify(ctx, ref, keys.verify, reg...)
		if err != nil {
			return fmt.Errorf("not pinning the GitOps tree: %w", err)
		}
		res.Verified = v
		what := "signature"
		if res.Provenance != nil {
			if _, err := supplychain.VerifyProvenance(ctx, ref, keys.verify, reg...); err != nil {
				return fmt.Errorf("not pinning the GitOps tree: %w", err)
			}
			what = "signature and SLSA provenance"
		}
		fmt.Fprintf(out, "goldenpath: verified %s of %s with key %s\n", what, v.Reference, v.KeyID)
	}
	return nil
}
