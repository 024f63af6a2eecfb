package cli

import (
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
	"github.com/goldenpath-dev/goldenpath/goldenpath/supplychain"
)

func newBuildCommand(streams Streams) *cobra.Command {
	var (
		pf                 platformFlag
		rf                 registryFlags
		req                build.Request
		file               string
		signKey, verifyKey string
		bindings           []string
	)
	c := &cobra.Command{
		Use:   "build -f CONTRACT --source DIR|GIT_URL [--publish REGISTRY] [--out GITOPS_DIR]",
		Short: "Build an application's image from source (buildpacks, or its Dockerfile) and publish it",
		Long: `Run the golden path for the application a contract describes: validate the
contract against the platform's policy; build its image with Cloud Native
Buildpacks on the platform's builder (type buildpack) or with the Docker
engine from its Dockerfile (type dockerfile); with --publish push it to
REGISTRY/<env>/<app> and print its digest; with --sign-key sign the digest
and attach a signed SLSA provenance attestation (password in
$COSIGN_PASSWORD); with --verify-key require a valid signature (and that
provenance) by that key; check that a published buildpack image carries its
SBOM; with --out re-render the GitOps tree pinned to the digest. A step that
fails stops the rest: the tree is never pinned to an image that failed one.
Build logs and a line per step go to stderr; a failed build names the phase
(detect, build, export, push) and shows the end of its output. The Dagger
module's ship runs the same steps.`,
		Example: `  goldenpath build -f examples/apps/go/goldenpath.yaml --source . --platform examples/platform/local.yaml
  goldenpath build -f app.yaml --source . --publish 127.0.0.1:5111/apps --out gitops/
  goldenpath build -f app.yaml --source . --publish 127.0.0.1:5111/apps --out gitops/ --sign-key cosign.key --verify-key cosign.pub`,
	}
	out := addOutput(c, build.Output, "the pinned reference, or the build's report")
	c.RunE = func(c *cobra.Command, args []string) error {
		pr, err := printer(out, build.Output)
		if err != nil {
			return err
		}
		if file == "" || req.Source == "" {
			return usageErrorf("-f CONTRACT and --source DIR|GIT_URL are required")
		}
		if (signKey != "" || verifyKey != "") && req.Publish == "" {
			return usageErrorf("--sign-key and --verify-key need --publish REGISTRY")
		}
		if req.GitOpsDir != "" && req.Publish == "" {
			return usageErrorf("--out needs --publish REGISTRY: the tree is pinned to the published digest")
		}
		paths := []string{file}
		if !build.IsGitSource(req.Source) {
			paths = append(paths, req.Source)
		}
		if err := checkPaths(paths); err != nil {
			return err
		}
		opts, err := platformAndRegistry(&pf, &rf)
		if err != nil {
			return err
		}
		if signKey != "" {
			if req.SignKey, err = readKeyFile("--sign-key", signKey); err != nil {
				return err
			}
		}
		if verifyKey != "" {
			if req.VerifyKey, err = readKeyFile("--verify-key", verifyKey); err != nil {
				return err
			}
		}
		if req.Bindings, err = parseBindings(bindings); err != nil {
			return err
		}
		req.Paths = []string{file}
		opts = append(opts, goldenpath.WithKeyPassword(keyPassword()), goldenpath.WithOutput(streams.Err))
		res, err := build.Ship(c.Context(), req, opts...)
		if err != nil {
			return problems(streams, err)
		}
		return pr.Print(streams.Out, res)
	}
	pf.add(c)
	rf.add(c)
	c.Flags().StringVarP(&file, "file", "f", "", "contract `FILE`")
	c.Flags().StringVar(&req.Application, "app", "", "`APPLICATION` to build when the file holds several requests")
	c.Flags().StringVar(&req.Source, "source", "", "`DIR|GIT_URL`: checkout of the application's repository, or its git URL (https://, ssh://, git@host:path) cloned at the contract's revision with your git credentials (credential helper, ~/.netrc, GIT_ASKPASS, ssh keys); the contract's subPath applies")
	c.Flags().StringVar(&req.Publish, "publish", "", "registry prefix to push to, `REGISTRY[/PATH]`; the image goes to REGISTRY[/PATH]/<env>/<app>")
	c.Flags().StringVar(&req.GitOpsDir, "out", "", "GitOps tree `DIR` to re-render with the Deployment pinned to the published digest")
	c.Flags().StringVar(&signKey, "sign-key", "", "cosign private key `FILE`: sign the published digest and attach a signed SLSA provenance attestation (password in $COSIGN_PASSWORD)")
	c.Flags().StringArrayVar(&bindings, "binding", nil, "`SECRET=DIR`: the folder holding the keys (files username and password) of a Secret the platform names for builds (egress.mirrors[].credentialsSecret), mounted as kpack mounts the Secret (repeatable)")
	c.Flags().StringVar(&verifyKey, "verify-key", "", "cosign public key `FILE`: require a valid signature by it before pinning the GitOps tree")
	return c
}

// keyPassword is the private key's password, from $COSIGN_PASSWORD as
// cosign reads it.
func keyPassword() []byte { return []byte(os.Getenv(supplychain.CosignPasswordEnv)) }

// parseBindings reads --binding SECRET=DIR flags; a Secret given twice, or a value that is not NAME=DIR, is a
// usage error.
func parseBindings(flags []string) (map[string]string, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, f := range flags {
		name, dir, ok := strings.Cut(f, "=")
		if !ok || name == "" || dir == "" {
			return nil, usageErrorf("--binding %q: want SECRET=DIR", f)
		}
		if _, dup := out[name]; dup {
			return nil, usageErrorf("--binding %s given twice: give it once", name)
		}
		out[name] = dir
	}
	return out, nil
}
