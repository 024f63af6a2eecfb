package supplychain

import (
	"fmt"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/settings"
	psc "github.com/goldenpath-dev/goldenpath/pipeline/supplychain"
)

// The file names of a key pair, as `cosign generate-key-pair` writes them.
const (
	PrivateKeyFile = "cosign.key"
	PublicKeyFile  = "cosign.pub"
)

// KeyPair is a new key pair, in memory: the caller decides where it goes
// (the CLI writes it as cosign.key, mode 0600, and cosign.pub).
type KeyPair struct {
	// PrivateKey is the encrypted private key (PEM, cosign's "ENCRYPTED
	// SIGSTORE PRIVATE KEY").
	PrivateKey []byte `json:"-"`
	// PublicKey is the public key (PEM, PKIX "PUBLIC KEY").
	PublicKey []byte `json:"-"`
	// KeyID is "sha256:" and the hex SHA-256 of the public key (DER): the
	// ID sign, verify and provenance print.
	KeyID string `json:"keyID"`
}

// KeyFiles is where a key pair was written.
type KeyFiles struct {
	// PrivateKey is the path of the encrypted private key (cosign.key).
	PrivateKey string `json:"privateKey"`
	// PublicKey is the path of the public key (cosign.pub).
	PublicKey string `json:"publicKey"`
	// KeyID identifies the pair (see KeyPair.KeyID).
	KeyID string `json:"keyID"`
}

// GenerateKeys makes a new ECDSA P-256 key pair for signing images, the
// private key encrypted with the password of goldenpath.WithKeyPassword:
// the formats of `cosign generate-key-pair`, so cosign can use the pair
// too. The platform team keeps the private key (and its password) in its
// CI secrets and publishes the public key to whoever verifies.
func GenerateKeys(opts ...goldenpath.Option) (*KeyPair, error) {
	s, err := settings.Apply(opts)
	if err != nil {
		return nil, err
	}
	kp, err := psc.GenerateKeyPair(s.KeyPassword)
	if err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	pub, err := psc.LoadVerificationKey(kp.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	return &KeyPair{PrivateKey: kp.PrivateKey, PublicKey: kp.PublicKey, KeyID: pub.KeyID()}, nil
}
