package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
)

// maxSecretFile bounds what check-secret reads from one file or stdin.
const maxSecretFile = 4 << 20

func newCheckSecretCommand(streams Streams) *cobra.Command {
	var pf platformFlag
	c := &cobra.Command{
		Use:   "check-secret FILE... | -",
		Short: "Check the build service account's Secrets (registry, git) against the platform, without printing them",
		Long: `Check Secrets the platform's build service account lists: the registry Secret
(build.registrySecret: type kubernetes.io/dockerconfigjson with an auths entry
for the platform's registry host) and the git Secrets (build.gitCredentials:
kubernetes.io/basic-auth or kubernetes.io/ssh-auth annotated kpack.io/git with
the server). FILE holds Secret manifests (YAML or JSON, several documents or
a v1 List, as kubectl get -o yaml prints them); - reads stdin. Nothing of a
Secret's values is printed.`,
		Example: `  kubectl -n apps-dev get secret goldenpath-registry goldenpath-git -o yaml | goldenpath platform check-secret --platform platform.yaml -`,
		Args:    cobra.MinimumNArgs(1),
	}
	out := addOutput(c, output.Secrets, "a line per Secret and problem")
	c.RunE = func(c *cobra.Command, args []string) error {
		pr, err := printer(out, output.Secrets)
		if err != nil {
			return err
		}
		popt, err := pf.option()
		if err != nil {
			return err
		}
		var files []goldenpath.SecretFile
		for _, file := range args {
			data, err := readSecretFile(file, streams.In)
			if err != nil {
				return &exitError{code: ExitUsage, err: err}
			}
			files = append(files, goldenpath.SecretFile{Name: file, Data: data})
		}
		rep, err := goldenpath.CheckSecrets(files, popt)
		if err != nil {
			return &exitError{code: ExitUsage, err: err}
		}
		if err := pr.Print(streams.Out, rep); err != nil {
			return err
		}
		if n := rep.Failed(); n > 0 {
			return &exitError{code: ExitFailure, err: fmt.Errorf("%s not of the shape the platform needs", output.Count(n, "Secret"))}
		}
		return nil
	}
	pf.add(c)
	return c
}

// readSecretFile reads a file of Secret manifests (- is in), at most
// maxSecretFile bytes.
func readSecretFile(file string, in io.Reader) ([]byte, error) {
	r := in
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("%s: %s", file, describe(err))
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxSecretFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(data) > maxSecretFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", file, maxSecretFile)
	}
	return data, nil
}
