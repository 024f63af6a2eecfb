package supplychain_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/supplychain"
)

// Sign an image in its registry with a new key pair, then verify it with
// the public key; another key does not verify it. Keys are bytes: write
// them where you keep secrets (the CLI writes cosign.key, mode 0600).
func ExampleSign() {
	ctx := context.Background()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	img, _ := mutate.AppendLayers(empty.Image, static.NewLayer([]byte("the app"), types.DockerLayer))
	tag, _ := name.ParseReference(host + "/apps/dev/web:latest")
	if err := remote.Write(tag, img); err != nil {
		fmt.Println(err)
		return
	}

	password := goldenpath.WithKeyPassword([]byte("s3cret"))
	keys, err := supplychain.GenerateKeys(password)
	if err != nil {
		fmt.Println(err)
		return
	}
	signed, err := supplychain.Sign(ctx, tag.String(), keys.PrivateKey, password)
	if err != nil {
		fmt.Println(err)
		return
	}
	verified, err := supplychain.Verify(ctx, tag.String(), keys.PublicKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("signed and verified the same digest:", signed.Digest == verified.Digest, verified.KeyID == keys.KeyID)

	other, _ := supplychain.GenerateKeys()
	_, err = supplychain.Verify(ctx, tag.String(), other.PublicKey)
	var ve *supplychain.VerificationError
	fmt.Println("another key:", errors.As(err, &ve) && ve.Kind == supplychain.FailureKeyMismatch)
	// Output:
	// signed and verified the same digest: true true
	// another key: true
}
