package supplychain

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

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
