package build_test

import (
	"context"
	"fmt"
	"os"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
)

// Ship one application: validate, build with the Docker engine and pack,
// publish, sign and attest, verify, check the SBOM, pin the GitOps tree.
// (Not run here: it needs a Docker engine and a registry; see
// `goldenpath build` and the integration tests.)
func ExampleShip() {
	platform, err := contract.LoadPlatformFile("examples/platform/local.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	signKey, _ := os.ReadFile("keys/cosign.key")
	verifyKey, _ := os.ReadFile("keys/cosign.pub")
	res, err := build.Ship(context.Background(), build.Request{
		Paths:     []string{"examples/apps/go/goldenpath.yaml"},
		Source:    ".",
		Publish:   "127.0.0.1:5111/apps",
		GitOpsDir: "gitops",
		SignKey:   signKey,
		VerifyKey: verifyKey,
	}, goldenpath.WithPlatform(platform), goldenpath.WithKeyPassword([]byte(os.Getenv("COSIGN_PASSWORD"))), goldenpath.WithOutput(os.Stderr))
	if err != nil {
		fmt.Println(err)
		return
	}
	p, _ := build.Output.Get("text")
	_ = p.Print(os.Stdout, res)
}
