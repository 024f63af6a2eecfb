package e2e

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
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
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "GOLDENPATH_") && k != "GOLDENPATH_CACHE" {
			t.Setenv(k, "")
		}
	}
	_, err := Settings()
	require.Error(t, err, "no env file, no variables")
	assert.Contains(t, err.Error(), "hack/setup.sh kind")

	require.NoError(t, writeFile(filepath.Join(dir, EnvFile), "# comment\nexport GOLDENPATH_KUBECTL=/k/kubectl\nexport GOLDENPATH_KUBECONFIG=/k/config\nexport PATH=/x:${PATH}\nexport GOLDENPATH_KIND_NODEPORTS=\"30080=127.0.0.1:1234 30081=127.0.0.1:1235\"\n"))
	env, err := Settings()
	require.NoError(t, err)
	assert.Equal(t, "/k/kubectl", env["GOLDENPATH_KUBECTL"])
	assert.Equal(t, "30080=127.0.0.1:1234 30081=127.0.0.1:1235", env["GOLDENPATH_KIND_NODEPORTS"])
	assert.NotContains(t, env, "PATH", "only GOLDENPATH_ variables")

	// A section under env.d wins over env.sh (an older env.sh, overwritten by a script of the earlier layout).
	require.NoError(t, writeFile(filepath.Join(dir, "env.d", "kind.sh"), "export GOLDENPATH_KUBECONFIG=/k/section\n"))
	env, err = Settings()
	require.NoError(t, err)
	assert.Equal(t, "/k/section", env["GOLDENPATH_KUBECONFIG"])

	t.Setenv("GOLDENPATH_KUBECONFIG", "/other")
	env, err = Settings()
	require.NoError(t, err)
	assert.Equal(t, "/other", env["GOLDENPATH_KUBECONFIG"], "the environment wins")

	_, err = Require("bash hack/setup.sh argocd", "GOLDENPATH_KUBECTL", "GOLDENPATH_ARGOCD_NAMESPACE")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "GOLDENPATH_ARGOCD_NAMESPACE not set")
	assert.NotContains(t, err.Error(), "GOLDENPATH_KUBECTL,")
}

// hack/versions.sh is the one place the setup takes versions from; the Go
// modules name some of the same components, and both must agree.
func TestVersionsFileMatchesTheModules(t *testing.T) {
	root := repoRoot()
	data, err := os.ReadFile(filepath.Join(root, "hack/versions.sh"))
	require.NoError(t, err)
	versions := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^([A-Z0-9_]+)=\$\{[A-Z0-9_]+:-([^}]+)\}$`).FindAllStringSubmatch(string(data), -1) {
		versions[m[1]] = m[2]
	}
	for _, k := range []string{"LIFECYCLE_VERSION", "PACK_VERSION", "KIND_VERSION", "K8S_VERSION", "ETCD_VERSION",
		"KPACK_VERSION", "ARGOCD_VERSION", "KUSTOMIZE_VERSION", "DAGGER_VERSION"} {
		require.NotEmpty(t, versions[k], "%s in hack/versions.sh", k)
	}
	goMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	daggerJSON, err := os.ReadFile(filepath.Join(root, "dagger/dagger.json"))
	require.NoError(t, err)
	required := func(mod []byte, path string) string {
		m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(path) + ` (v\S+)`).FindSubmatch(mod)
		require.NotNil(t, m, "%s in go.mod", path)
		return string(m[1])
	}
	assert.Equal(t, "v"+versions["PACK_VERSION"], required(goMod, "github.com/buildpacks/pack"))
	assert.Equal(t, "v"+versions["LIFECYCLE_VERSION"], required(goMod, "github.com/buildpacks/lifecycle"))
	assert.Equal(t, "v"+versions["KPACK_VERSION"], required(goMod, "github.com/pivotal/kpack"))
	assert.Contains(t, string(daggerJSON), `"engineVersion": "v`+versions["DAGGER_VERSION"]+`"`)
}

func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}

// PatchImage adds one layer holding the patch file and the patch label, and
// leaves the source image as it was.
func TestPatchImage(t *testing.T) {
	reg := testregistry.New(t).Host
	ctx := context.Background()
	base, err := random.Image(512, 2)
	require.NoError(t, err)
	src := reg + "/base/run:latest"
	require.NoError(t, remote.Write(mustRef(t, src), base))
	before, err := base.Digest()
	require.NoError(t, err)

	digest, err := PatchImage(ctx, src, reg+"/patched/run:latest", "cve-1")
	require.NoError(t, err)
	img, err := remote.Image(mustRef(t, reg+"/patched/run@"+digest))
	require.NoError(t, err)
	layers, err := img.Layers()
	require.NoError(t, err)
	require.Len(t, layers, 3)
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	assert.Equal(t, "cve-1", cf.Config.Labels[PatchLabel])
	files := map[string]string{}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		data, err := io.ReadAll(tr)
		require.NoError(t, err)
		files[h.Name] = string(data)
		if h.Name == PatchFile[1:] {
			assert.Equal(t, int64(0o644), h.Mode, "readable by the app's non-root user")
		}
	}
	assert.Equal(t, "cve-1\n", files[PatchFile[1:]])

	again, err := PatchImage(ctx, src, reg+"/patched/run:latest", "cve-2")
	require.NoError(t, err)
	assert.NotEqual(t, digest, again, "another patch, another digest")
	unchanged, err := remote.Head(mustRef(t, src))
	require.NoError(t, err)
	assert.Equal(t, before, unchanged.Digest, "the source image is left alone")
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(s)
	require.NoError(t, err)
	return ref
}
