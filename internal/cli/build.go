package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
)

func newBuildCommand(streams Streams) *cobra.Command {
	var (
		pf     platformFlag
		req    goldenpath.BuildRequest
		output string
	)
	c := &cobra.Command{
		Use:   "build -f CONTRACT --source DIR|GIT_URL [--publish REGISTRY] [--out GITOPS_DIR]",
		Short: "Build an application's image from source (buildpacks, or its Dockerfile) and publish it",
		Long: `Build the image of the application a contract describes: with Cloud Native
Buildpacks on the platform's builder (type buildpack), or with the Docker
engine from its Dockerfile (type dockerfile). Build logs stream to stderr; a
failure names the phase (detect, build, export, push) and shows the end of
the output. With --publish the image is pushed to REGISTRY/<env>/<app> and
its digest printed; with --out the GitOps tree is re-rendered pinned to it.
With --sign-key the published digest is signed and a signed SLSA provenance
attestation attached (password in $COSIGN_PASSWORD); with --verify-key it must
then carry a valid signature by that key before the tree is pinned, else the
build fails and the tree is left untouched.`,
		Example: `  goldenpath build -f examples/apps/go/goldenpath.yaml --source . --platform examples/platform/local.yaml
  goldenpath build -f app.yaml --source . --publish 127.0.0.1:5111/apps --out gitops/
  goldenpath build -f app.yaml --source . --publish 127.0.0.1:5111/apps --out gitops/ --sign-key cosign.key --verify-key cosign.pub`,
		RunE: func(c *cobra.Command, args []string) error {
			if req.Contract == "" || req.Source == "" {
				return usageErrorf("-f CONTRACT and --source DIR are required")
			}
			if output != "text" && output != "json" {
				return usageErrorf("unknown output format %q (use text or json)", output)
			}
			popt, err := pf.option()
			if err != nil {
				return err
			}
			if (req.SignKey != "" || req.VerifyKey != "") && req.Publish == "" {
				return usageErrorf("--sign-key and --verify-key need --publish REGISTRY")
			}
			req.KeyPassword = keyPassword()
			req.Output = streams.Err
			res, err := goldenpath.Build(c.Context(), req, popt)
			if err != nil {
				return problems(streams, err)
			}
			if output == "json" {
				enc := json.NewEncoder(streams.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			if res.Reference != "" {
				fmt.Fprintln(streams.Out, res.Reference)
			} else {
				fmt.Fprintf(streams.Out, "%s %s\n", res.Tag, res.Digest)
			}
			return nil
		},
	}
	pf.add(c)
	c.Flags().StringVarP(&req.Contract, "file", "f", "", "contract file")
	c.Flags().StringVar(&req.Application, "app", "", "application to build when the file holds several requests")
	c.Flags().StringVar(&req.Source, "source", "", "checkout of the application's repository, or its git URL (https://, ssh://, git@host:path) cloned at the contract's revision with your git credentials (credential helper, ~/.netrc, GIT_ASKPASS, ssh keys); the contract's subPath applies")
	c.Flags().StringVar(&req.Publish, "publish", "", "registry prefix to push to (REGISTRY[/path]); the image goes to REGISTRY/<env>/<app>")
	c.Flags().StringVar(&req.GitOpsDir, "out", "", "GitOps tree to re-render with the Deployment pinned to the published digest")
	c.Flags().StringVarP(&output, "output", "o", "text", "output format: text (the pinned reference) or json")
	c.Flags().StringVar(&req.SignKey, "sign-key", "", "cosign private key: sign the published digest and attach a signed SLSA provenance attestation (password in $COSIGN_PASSWORD)")
	c.Flags().StringVar(&req.VerifyKey, "verify-key", "", "cosign public key: require a valid signature by it before pinning the GitOps tree")
	return c
}
