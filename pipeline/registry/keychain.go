package registry

import (
	"io"
	"sync"

	ecr "github.com/awslabs/amazon-ecr-credential-helper/ecr-login"
	"github.com/chrismellard/docker-credential-acr-env/pkg/credhelper"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/google"
)

var (
	defaultKeychain     authn.Keychain
	defaultKeychainOnce sync.Once
)

// DefaultKeychain is where goldenpath finds registry credentials unless
// told otherwise: the Docker config file (`docker login`, and the
// credential helpers it names: credHelpers, credsStore), then, for their
// own registries only, Google's (gcr.io, *.pkg.dev: gcloud or the metadata
// server), Amazon ECR's (*.dkr.ecr.*.amazonaws.com: the AWS SDK's
// credential chain) and Azure ACR's (*.azurecr.io: the AZURE_* environment)
// built-in helpers, as cosign and crane do. Anonymous when none has
// credentials for a registry.
func DefaultKeychain() authn.Keychain {
	defaultKeychainOnce.Do(func() {
		defaultKeychain = authn.NewMultiKeychain(
			authn.DefaultKeychain,
			google.Keychain,
			authn.NewKeychainFromHelper(ecr.NewECRHelper(ecr.WithLogger(io.Discard))),
			authn.NewKeychainFromHelper(credhelper.NewACRCredentialsHelper()),
		)
	})
	return defaultKeychain
}
