package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
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
		RunE: func(c *cobra.Command, args []string) error {
			p, err := goldenpath.LoadPlatformFile(pf.path)
			if err != nil {
				return &exitError{code: ExitUsage, err: err}
			}
			bad := 0
			for _, file := range args {
				secrets, err := readSecrets(file, streams.In)
				if err != nil {
					return &exitError{code: ExitUsage, err: err}
				}
				for _, s := range secrets {
					errs := p.CheckBuildSecret(s)
					if len(errs) == 0 {
						fmt.Fprintf(streams.Out, "%s: Secret %s: ok\n", file, s.Name)
						continue
					}
					bad++
					for _, e := range errs {
						fmt.Fprintf(streams.Err, "%s: Secret %s: %s\n", file, s.Name, e.Error())
					}
				}
			}
			if bad > 0 {
				return &exitError{code: ExitFailure, err: fmt.Errorf("%d Secret(s) do not have the shape the platform needs", bad)}
			}
			return nil
		},
	}
	pf.add(c)
	return c
}

// readSecrets reads the Secrets of a manifest file (- is in): documents of
// kind Secret, or a List of them; anything else is an error.
func readSecrets(file string, in io.Reader) ([]*corev1.Secret, error) {
	var r io.Reader = in
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
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
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*corev1.Secret
	for doc := 1; ; doc++ {
		var raw map[string]any
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, doc, err)
		}
		if raw == nil {
			continue
		}
		items := []any{raw}
		if raw["kind"] == "List" || raw["kind"] == "SecretList" {
			items, _ = raw["items"].([]any)
		}
		for _, it := range items {
			m, _ := it.(map[string]any)
			if m["kind"] != "Secret" {
				return nil, fmt.Errorf("%s: document %d: a %v, not a Secret", file, doc, m["kind"])
			}
			b, err := yaml.Marshal(m)
			if err != nil {
				return nil, fmt.Errorf("%s: document %d: %w", file, doc, err)
			}
			var s corev1.Secret
			if err := yaml.UnmarshalStrict(b, &s); err != nil {
				return nil, fmt.Errorf("%s: document %d: %w", file, doc, err)
			}
			out = append(out, &s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no Secret", file)
	}
	return out, nil
}
