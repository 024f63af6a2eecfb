package e2e

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/render"
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// The objects Deploy applies: built-in kinds always, custom kinds only with
// their CRD, the kustomization file never.
func TestCRDFor(t *testing.T) {
	for _, tc := range []struct {
		apiVersion, kind, crd string
		api                   bool
	}{
		{"apps/v1", "Deployment", "", true},
		{"v1", "Service", "", true},
		{"networking.k8s.io/v1", "Ingress", "", true},
		{"kpack.io/v1alpha2", "Image", "images.kpack.io", true},
		{"argoproj.io/v1alpha1", "Application", "applications.argoproj.io", true},
		{"servicebinding.io/v1", "ServiceBinding", "servicebindings.servicebinding.io", true},
		{"kustomize.config.k8s.io/v1beta1", "Kustomization", "", false},
	} {
		crd, api := CRDFor(render.Object{Value: map[string]any{"apiVersion": tc.apiVersion, "kind": tc.kind}})
		assert.Equal(t, tc.crd, crd, tc.kind)
		assert.Equal(t, tc.api, api, tc.kind)
	}
}

// A binding projected as a Secret volume gets a test Secret of that name, in
// the servicebinding.io layout.
func TestBindingSecrets(t *testing.T) {
	root := repoRoot()
	p, err := contract.LoadPlatformFile(filepath.Join(root, "examples/platform/local.yaml"))
	require.NoError(t, err)
	reqs, err := contract.LoadFile(filepath.Join(root, "examples/contracts/dev/payments-api.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, reqs[0].Spec.Bindings)
	objs, err := render.App(reqs[0], p, render.AppOptions{})
	require.NoError(t, err)
	var deployment render.Object
	for _, o := range objs {
		if o.Kind() == "Deployment" {
			deployment = o
		}
	}
	secrets := bindingSecrets(reqs[0], deployment)
	require.Len(t, secrets, len(reqs[0].Spec.Bindings))
	b := reqs[0].Spec.Bindings[0]
	assert.Equal(t, b.Name, secrets[0].Name())
	assert.Equal(t, deployment.Namespace(), secrets[0].Namespace())
	assert.Equal(t, "servicebinding.io/"+b.Type, secrets[0].Value["type"])
	assert.Equal(t, b.Type, secrets[0].Value["stringData"].(map[string]any)["type"])
}

func TestSettingsFromEnvFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GOLDENPATH_CACHE", dir)
	for _, k := range []string{"GOLDENPATH_KIND_CLUSTER", "GOLDENPATH_KIND_NODE", "GOLDENPATH_KUBECTL", "GOLDENPATH_KUBECONFIG", "GOLDENPATH_KIND_NODEPORTS"} {
		t.Setenv(k, "")
	}
	_, err := Settings()
	require.Error(t, err, "no env file, no variables")
	assert.Contains(t, err.Error(), "hack/setup-kind.sh")

	require.NoError(t, writeFile(filepath.Join(dir, EnvFile), "# comment\nexport GOLDENPATH_KUBECTL=/k/kubectl\nexport GOLDENPATH_KUBECONFIG=/k/config\nexport GOLDENPATH_KIND_NODEPORTS=\"30080=127.0.0.1:1234 30081=127.0.0.1:1235\"\n"))
	env, err := Settings()
	require.NoError(t, err)
	assert.Equal(t, "/k/kubectl", env["GOLDENPATH_KUBECTL"])
	assert.Equal(t, "30080=127.0.0.1:1234 30081=127.0.0.1:1235", env["GOLDENPATH_KIND_NODEPORTS"])

	t.Setenv("GOLDENPATH_KUBECONFIG", "/other")
	env, err = Settings()
	require.NoError(t, err)
	assert.Equal(t, "/other", env["GOLDENPATH_KUBECONFIG"], "the environment wins")
}

func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}
