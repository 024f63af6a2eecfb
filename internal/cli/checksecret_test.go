package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/cli"
)

func TestPlatformCheckSecret(t *testing.T) {
	dir := t.TempDir()
	platform := filepath.Join(dir, "platform.yaml")
	require.NoError(t, os.WriteFile(platform, []byte(strings.Replace(string(contract.DefaultPlatformYAML()), "  registrySecret: goldenpath-registry\n",
		"  registrySecret: goldenpath-registry\n  gitCredentials:\n    - {secret: corp-git, server: \"https://git.corp.example\"}\n", 1)), 0o644))
	// What kubectl get secret ... -o yaml prints for two Secrets: a List.
	list := `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  metadata: {name: goldenpath-registry, namespace: apps-dev}
  type: kubernetes.io/dockerconfigjson
  data:
    .dockerconfigjson: eyJhdXRocyI6IHsicmVnaXN0cnkuZ29sZGVucGF0aC5pbyI6IHsiYXV0aCI6ICJjbTlpYjNRNmNIYz0ifX19
- apiVersion: v1
  kind: Secret
  metadata: {name: corp-git, namespace: apps-dev}
  type: kubernetes.io/basic-auth
  stringData: {username: robot, password: hunter2}
`
	var out, errOut strings.Builder
	code := cli.Run(context.Background(), cli.Streams{In: strings.NewReader(list), Out: &out, Err: &errOut}, []string{"platform", "check-secret", "--platform", platform, "-"})
	assert.Equal(t, cli.ExitFailure, code, out.String())
	assert.Contains(t, out.String(), "-: Secret goldenpath-registry: ok")
	assert.Contains(t, out.String(), "-: Secret corp-git: metadata.annotations[kpack.io/git]: missing (kpack finds it by that annotation: kubectl annotate secret corp-git kpack.io/git=https://git.corp.example)")
	assert.Contains(t, errOut.String(), "1 Secret not of the shape the platform needs")
	assert.NotContains(t, out.String()+errOut.String(), "hunter2")

	// -o json: the same report for programs, still without a value.
	out.Reset()
	code = cli.Run(context.Background(), cli.Streams{In: strings.NewReader(list), Out: &out, Err: &errOut}, []string{"platform", "check-secret", "--platform", platform, "-o", "json", "-"})
	assert.Equal(t, cli.ExitFailure, code)
	var rep struct {
		Secrets []struct {
			File, Secret string
			Problems     []string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out.String()), &rep), out.String())
	require.Len(t, rep.Secrets, 2)
	assert.Equal(t, "goldenpath-registry", rep.Secrets[0].Secret)
	assert.Empty(t, rep.Secrets[0].Problems)
	assert.Len(t, rep.Secrets[1].Problems, 1)
	assert.NotContains(t, out.String(), "hunter2")

	fixed := strings.Replace(list, "metadata: {name: corp-git, namespace: apps-dev}", "metadata: {name: corp-git, namespace: apps-dev, annotations: {kpack.io/git: \"https://git.corp.example\"}}", 1)
	file := filepath.Join(dir, "secrets.yaml")
	require.NoError(t, os.WriteFile(file, []byte(fixed), 0o600))
	code, stdout, stderr := run(t, "platform", "check-secret", "--platform", platform, file)
	assert.Equal(t, cli.ExitOK, code, stderr)
	assert.Contains(t, stdout, "Secret corp-git: ok")

	require.NoError(t, os.WriteFile(file, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), 0o600))
	code, _, stderr = run(t, "platform", "check-secret", "--platform", platform, file)
	assert.Equal(t, cli.ExitUsage, code)
	assert.Contains(t, stderr, "document 1: a ConfigMap, not a Secret")
}
