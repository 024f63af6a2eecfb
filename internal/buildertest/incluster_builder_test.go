//go:build builder && incluster

package buildertest

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath/supplychain"
	"github.com/goldenpath-dev/goldenpath/internal/e2e"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/render"
)

// The in-cluster part of the language matrix: kpack in the kind cluster (bash hack/setup.sh kind kpack)
// builds every sample language with the development builder's buildpacks through the same build network, rendered
// by goldenpath for kpack (Image spec.build.env and spec.build.services): the test's mirror with its private CA
// (a Secret of type ca-certificates) on the kind network's gateway, forwarding npm and the Go proxy to the
// machine's upstreams (build pods have no DNS). Each image runs and answers; after the ClusterStack's run image is
// patched, kpack rebases each and it still answers. Objects are named bp-* in the namespaces buildpacks-incluster (the apps) and buildpacks-incluster-build.
//
//	go test -tags builder,incluster -count=1 -v -timeout 90m -run TestLanguagesInCluster ./internal/buildertest/
const inclusterNamespace = "buildpacks-incluster"

// inclusterBuildNamespace is the platform's build namespace (the ClusterBuilder's service account): the platform
// refuses an environment in it, so the apps' namespace is another.
const inclusterBuildNamespace = "buildpacks-incluster-build"

type kube struct {
	kubectl, kubeconfig, gateway string // gateway: the registry as pods reach it (<gateway ip>:<port>)
}

func (k kube) run(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	cmd := exec.Command(k.kubectl, append([]string{"--kubeconfig", k.kubeconfig}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (k kube) get(args ...string) string {
	out, _ := exec.Command(k.kubectl, append([]string{"--kubeconfig", k.kubeconfig}, args...)...).Output()
	return strings.TrimSpace(string(out))
}

// kindEnv reads what hack/kind/setup.sh wrote (e2e.Env: $GOLDENPATH_CACHE/env.sh and its sections).
func kindEnv(t *testing.T) kube {
	t.Helper()
	vars, err := e2e.Require("bash hack/setup.sh kind kpack", "GOLDENPATH_KUBECTL", "GOLDENPATH_KUBECONFIG", "GOLDENPATH_KIND_REGISTRY_GATEWAY")
	require.NoError(t, err)
	k := kube{kubectl: vars["GOLDENPATH_KUBECTL"], kubeconfig: vars["GOLDENPATH_KUBECONFIG"], gateway: vars["GOLDENPATH_KIND_REGISTRY_GATEWAY"]}
	k.run(t, nil, "get", "--raw", "/readyz")
	return k
}

// local turns a reference as pods see it (gateway:port/...) into the same image as this machine sees it.
func (k kube) local(ref, registry string) string {
	return strings.Replace(ref, k.gateway, registry, 1)
}

func TestLanguagesInCluster(t *testing.T) {
	testenv.RequireDocker(t)
	reg := testenv.Registry(t)
	k := kindEnv(t)
	kp, err := contract.LoadPlatformFile(getenv("GOLDENPATH_KPACK_PLATFORM", filepath.Join(getenv("GOLDENPATH_CACHE", "/var/cache/goldenpath"), "kpack", "platform.yaml")))
	require.NoError(t, err, "hack/kpack/setup.sh writes the cluster's platform")
	lifecycle := kp.Builders[contract.DefaultBuilder].Lifecycle
	require.NotEmpty(t, lifecycle)

	gwHost, _, err := net.SplitHostPort(k.gateway)
	require.NoError(t, err)
	m := StartMirror(t, mirrorFiles(t), gwHost+":0", map[string]string{
		"goproxy": getenv("GOLDENPATH_TEST_GOPROXY", "https://proxy.golang.org"),
	})
	// npm's own mirror, at the root (npm points registry.npmjs.org tarball URLs at the registry's host only).
	npm := StartMirror(t, t.TempDir(), gwHost+":0", map[string]string{"": getenv("GOLDENPATH_TEST_NPM_REGISTRY", "https://registry.npmjs.org/")})
	caPEM, err := os.ReadFile(m.CAFile)
	require.NoError(t, err)
	npmCA, err := os.ReadFile(npm.CAFile)
	require.NoError(t, err)

	// The development builder's images, as pods reach them.
	pod := func(envName, def string) string { return k.gateway + "/" + getenv(envName, def) }
	prefix := fmt.Sprintf("%s/buildpacks-incluster-%d", k.gateway, time.Now().Unix())
	platform := fmt.Sprintf(`apiVersion: goldenpath.io/v1
kind: Platform
name: bp-incluster
registry: %[1]s
build:
  namespace: %[2]s
  serviceAccount: bp-build
  registrySecret: bp-registry
  cache: {kind: registry}
  successHistoryLimit: 2
  failedHistoryLimit: 2
builders:
  default: &b
    tag: %[1]s/builders/bp-langs
    stack: {id: io.goldenpath.stacks.bookworm, buildImage: %[3]s, runImage: %[4]s}
    lifecycle: %[5]s
    buildpacks: [%[6]s]
    order:
%[10]s      - {language: procfile, buildpacks: [{id: goldenpath/procfile}]}
  bp-langs: *b
egress:
  mirrors:
    goProxy: {url: "%[7]s/goproxy"}
    npmRegistry: {url: "%[8]s/"}
    mavenRepository: {url: "%[7]s/maven/"}
    gemSource: {url: "%[7]s/gems/"}
    pythonIndex: {url: "%[7]s/pypi/simple/"}
  caCertificates:
    bundles: [{secret: bp-mirror-ca}]
environments:
  dev:
    namespace: %[9]s
    ingressDomain: dev.goldenpath.io
    gitops: {repoURL: "https://git.example/gitops"}
`, prefix, inclusterBuildNamespace,
		pod("GOLDENPATH_BUILD_IMAGE", "goldenpath/build:bookworm"), pod("GOLDENPATH_RUN_IMAGE", "goldenpath/run:bookworm"),
		lifecycle, pod("GOLDENPATH_BUILDER", "goldenpath/builder:bookworm"), m.URL, npm.URL, inclusterNamespace, languageOrder)
	p, err := contract.LoadPlatform("bp-incluster.yaml", []byte(platform))
	require.NoError(t, err, platform)

	// Namespace, service account, the CA Secret; then the bp-langs ClusterStore/Stack/Lifecycle/Builder.
	t.Cleanup(func() {
		if os.Getenv("GOLDENPATH_KEEP") == "" {
			k.get("delete", "namespace", inclusterNamespace, "--wait=false")
			k.get("delete", "namespace", inclusterBuildNamespace, "--wait=false")
			for _, kind := range []string{"clusterbuilder", "clusterstack", "clusterstore", "clusterlifecycle"} {
				k.get("delete", kind, "bp-langs", "--wait=false")
			}
		}
	})
	secret, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "Secret",
		"metadata":   map[string]any{"name": "bp-mirror-ca", "namespace": inclusterNamespace},
		"stringData": map[string]string{"type": contract.BindingTypeCA, "mirror-ca.pem": string(caPEM), "npm-mirror-ca.pem": string(npmCA)}})
	require.NoError(t, err)
	// The build service account in both namespaces: the ClusterBuilder's in the build namespace, the Images' in the
	// apps' namespace (what platform render puts there).
	for _, ns := range []string{inclusterBuildNamespace, inclusterNamespace} {
		waitFor(t, 5*time.Minute, "namespace "+ns+" of an earlier run to be gone", func() bool {
			return k.get("get", "namespace", ns, "-o", "jsonpath={.status.phase}") != "Terminating"
		})
		k.run(t, []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"`+ns+`"}}`), "apply", "-f", "-")
		k.run(t, []byte(`{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"bp-build","namespace":"`+ns+`"}}`), "apply", "-f", "-")
	}
	k.run(t, secret, "apply", "-f", "-")
	objs, err := render.Platform(p)
	require.NoError(t, err)
	for _, o := range objs {
		if strings.HasPrefix(o.APIVersion(), "kpack.io/") && o.Name() == "bp-langs" {
			data, err := json.Marshal(o.Value)
			require.NoError(t, err)
			k.run(t, data, "apply", "-f", "-")
		}
	}
	waitFor(t, 10*time.Minute, "ClusterBuilder bp-langs ready", func() bool {
		return k.get("get", "clusterbuilder", "bp-langs", "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`) == "True"
	})

	type built struct{ name, latest string }
	images := map[string]built{} // app -> kpack Image and its latest image (as pods see it)
	for _, l := range languages {
		if !l.selected() {
			continue
		}
		t.Run(l.app, func(t *testing.T) {
			c, dir := (&env{}).app(t, l.app)
			reqs, err := contract.LoadFile(c)
			require.NoError(t, err)
			r := reqs[0]
			r.Spec.Build.Builder = "bp-langs"
			appObjs, err := render.App(r, p, render.AppOptions{})
			require.NoError(t, err)
			var img map[string]any
			for _, o := range appObjs {
				if o.Kind() == "Image" {
					img = o.Value
				}
			}
			require.NotNil(t, img, "rendered kpack Image")
			src := pushSource(t, dir, k.local(prefix, reg)+"/source/"+l.app)
			img["spec"].(map[string]any)["source"] = map[string]any{"registry": map[string]any{"image": strings.Replace(src, reg, k.gateway, 1)}}
			data, err := json.Marshal(img)
			require.NoError(t, err)
			k.run(t, data, "apply", "-f", "-")
			imgName := img["metadata"].(map[string]any)["name"].(string)
			start := time.Now()
			waitFor(t, 30*time.Minute, "kpack Image "+imgName+" ready", func() bool {
				cond := k.get("get", "image.kpack.io", imgName, "-n", inclusterNamespace, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
				if cond == "False" && strings.Contains(k.get("get", "image.kpack.io", imgName, "-n", inclusterNamespace, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].message}`), "failed") {
					t.Fatalf("kpack build failed: %s", k.get("logs", "-n", inclusterNamespace, "-l", "image.kpack.io/image="+imgName, "--all-containers", "--tail=60"))
				}
				return cond == "True"
			})
			latest := k.get("get", "image.kpack.io", imgName, "-n", inclusterNamespace, "-o", "jsonpath={.status.latestImage}")
			require.NotEmpty(t, latest)
			images[l.app] = built{imgName, latest}
			fmt.Printf("builder figures (kpack): %-12s first build %.0fs\n", l.app, time.Since(start).Seconds())
			local := k.local(latest, reg)
			dockerRun(t, 5*time.Minute, "pull", local)
			assert.Equal(t, l.body, strings.TrimSpace(testenv.Get(t, testenv.RunImage(t, local)+"/", 2*time.Minute)))
			sbom, err := supplychain.SBOM(context.Background(), local)
			require.NoError(t, err)
			var all strings.Builder
			for _, f := range sbom.Files {
				all.Write(f.Data)
			}
			assert.Contains(t, all.String(), l.purl)
		})
	}

	// A patched run image under the test's own name: kpack rebases every Image when the ClusterStack changes.
	patched := pushPatchedImage(t, k.local(p.Builders["bp-langs"].Stack.RunImage, reg), k.local(prefix, reg)+"/run:patched")
	k.run(t, nil, "patch", "clusterstack", "bp-langs", "--type=merge", "-p", `{"spec":{"runImage":{"image":"`+strings.Replace(patched, reg, k.gateway, 1)+`"}}}`)
	for _, l := range languages {
		b, ok := images[l.app]
		if !ok {
			continue
		}
		t.Run("rebase "+l.app, func(t *testing.T) {
			var latest string
			waitFor(t, 10*time.Minute, b.name+" rebased onto the patched run image", func() bool {
				latest = k.get("get", "image.kpack.io", b.name, "-n", inclusterNamespace, "-o", "jsonpath={.status.latestImage}")
				return latest != "" && latest != b.latest
			})
			local := k.local(latest, reg)
			dockerRun(t, 5*time.Minute, "pull", local)
			assert.Equal(t, l.body, strings.TrimSpace(testenv.Get(t, testenv.RunImage(t, local)+"/", 2*time.Minute)))
			assert.Contains(t, dockerRun(t, time.Minute, "run", "--rm", "--entrypoint", "cat", local, "/etc/goldenpath-patch"), "buildertest")
		})
	}
}

func waitFor(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(3 * time.Second)
	}
	t.Fatalf("timed out after %s waiting for %s", within, what)
}

// pushSource pushes dir as a one-layer image (kpack's source.registry) and returns its digest reference.
func pushSource(t *testing.T, dir, repo string) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		hdr.ModTime = time.Unix(0, 0)
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if d.Type().IsRegular() {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(tw, f)
			return err
		}
		return nil
	}))
	require.NoError(t, tw.Close())
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	require.NoError(t, err)
	img, err := mutate.AppendLayers(empty.Image, layer)
	require.NoError(t, err)
	ref, err := name.ParseReference(repo+":latest", name.Insecure)
	require.NoError(t, err)
	require.NoError(t, remote.Write(ref, img))
	d, err := img.Digest()
	require.NoError(t, err)
	return ref.Context().Digest(d.String()).String()
}
