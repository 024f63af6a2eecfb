//go:build e2e

package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
	"github.com/goldenpath-dev/goldenpath/internal/e2e"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/pipeline/fleet"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

var samples = []struct{ app, body string }{
	{"go", "hello from goldenpath go app"},
	{"nodejs", "hello from goldenpath nodejs app"},
	{"python", "hello from goldenpath python app"},
	{"dockerfile", "hello from goldenpath dockerfile app"},
}

// localPlatform is examples/platform/local.yaml with prefixed namespaces.
func localPlatform(t *testing.T) *contract.Platform {
	t.Helper()
	p, err := contract.LoadPlatformFile(filepath.Join(testenv.RepoRoot(t), "examples/platform/local.yaml"))
	require.NoError(t, err)
	return prefixNamespaces(t, p)
}

// prefixNamespaces returns a copy of p whose environments' namespaces start
// with the test prefix (GOLDENPATH_E2E_PREFIX), so that runs of several
// people on one cluster stay apart.
func prefixNamespaces(t *testing.T, p *contract.Platform) *contract.Platform {
	t.Helper()
	cp := *p
	cp.Environments = map[contract.Environment]contract.EnvironmentConfig{}
	for name, e := range p.Environments {
		e.Namespace = prefix(t) + e.Namespace
		cp.Environments[name] = e
	}
	return &cp
}

// Each sample app goes from its contract to a running, reachable app on the
// cluster: build with the pipeline and publish, render pinned to the
// digest, apply, roll out, answer over HTTP through a NodePort. Then the run
// image is patched, the buildpack apps are rebased onto it, re-rendered
// pinned to the rebased digests and rolled out again: they still answer,
// and run on the patched base.
func TestSampleAppsFromContractToRunningApp(t *testing.T) {
	testenv.RequireDocker(t)
	reg := testenv.Registry(t)
	c := connect(t)
	root := testenv.RepoRoot(t)
	p := localPlatform(t)
	publish := reg + "/" + prefix(t) + "e2e"
	ctx := context.Background()

	type running struct {
		d     *e2e.Deployed
		built *build.Result
	}
	apps := map[string]*running{}
	var namespaces sync.Map
	t.Cleanup(func() {
		// Deployed.Cleanup ran per app; the namespaces go last.
		namespaces.Range(func(k, _ any) bool {
			if err := c.DeleteNamespace(context.Background(), k.(string), false); err != nil {
				t.Logf("cleanup (not a failure): %v", err)
			}
			return true
		})
	})

	top := t // the apps keep running for the rebase below: their cleanup belongs to the whole test
	for _, s := range samples {
		t.Run(s.app, func(t *testing.T) {
			start := time.Now()
			var out bytes.Buffer
			d, built, err := c.Run(ctx, e2e.RunRequest{
				Platform: p, Contract: filepath.Join(root, "examples/apps", s.app, "goldenpath.yaml"),
				Source: root, Publish: publish, Expect: s.body, Output: &out,
			})
			if d != nil {
				top.Cleanup(d.Cleanup)
				if d.Namespace != "" {
					namespaces.Store(d.Namespace, true)
				}
			}
			require.NoError(t, err, "build output:\n%s", tail(out.String(), 40))
			require.NotNil(t, built)
			assert.Equal(t, built.Reference, d.Image, "the Deployment is pinned to the published digest")
			assert.Contains(t, d.Image, "@sha256:")
			assert.Contains(t, d.Body, s.body)
			// The running pod runs exactly that digest.
			imageID, err := c.Kube(ctx, nil, "-n", d.Namespace, "get", "pods", "-l", "app.kubernetes.io/name="+d.Name,
				"-o", "jsonpath={.items[*].status.containerStatuses[*].imageID}")
			require.NoError(t, err)
			assert.Contains(t, string(imageID), built.Digest)
			t.Logf("%s: built %s, rollout %.1fs, first answer after %.1fs, total %.1fs: %q",
				s.app, d.Image, d.RolloutSeconds, d.ReachSeconds, time.Since(start).Seconds(), strings.TrimSpace(d.Body))
			apps[s.app] = &running{d, built}
		})
	}

	t.Run("rebase onto a patched run image", func(t *testing.T) {
		var cnb []string
		for _, s := range samples {
			if r := apps[s.app]; r != nil && r.d.Request.Spec.Build.Type != contract.BuildTypeDockerfile {
				cnb = append(cnb, s.app)
			}
		}
		require.NotEmpty(t, cnb, "no buildpack app is running")
		// The patched run image goes to a repository of the test's own (the shared run image's tag never moves):
		// the rebase names it, with Force since the apps' metadata names the builder's run image.
		patchID := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
		runImage := publish + "/run-patched:" + patchID
		digest, err := e2e.PatchImage(ctx, reg+"/goldenpath/run:bookworm", runImage, patchID)
		require.NoError(t, err)
		t.Logf("patched run image %s@%s", runImage, digest)

		rebaser, err := fleet.NewRegistryRebaser(registry.WithInsecureRegistries(reg))
		require.NoError(t, err)
		spec := &fleet.RebaseSpec{RunImage: runImage, Force: true}
		for _, app := range cnb {
			spec.Images = append(spec.Images, apps[app].d.Image)
		}
		start := time.Now()
		rep, err := rebaser.Rebase(ctx, spec)
		require.NoError(t, err)
		require.NoError(t, rep.Err())
		t.Logf("rebased %d images in %.2fs", len(cnb), time.Since(start).Seconds())

		for i, app := range cnb {
			res := rep.Results[i]
			r := apps[app]
			t.Run(app, func(t *testing.T) {
				require.Equal(t, fleet.RebaseRebased, res.Status, "%+v", res)
				require.NotNil(t, res.From)
				require.NotNil(t, res.To)
				assert.NotEqual(t, res.From.TopLayer, res.To.TopLayer, "runImage.topLayer changes")
				assert.NotEqual(t, res.Digest, res.NewDigest)
				repo, _, _ := strings.Cut(r.d.Image, "@")
				rebased := repo + "@" + res.NewDigest
				start := time.Now()
				require.NoError(t, r.d.Roll(ctx, rebased))
				assert.Equal(t, rebased, r.d.Image)
				assert.Contains(t, r.d.Body, "hello from goldenpath "+app+" app")
				// The new pod runs on the patched base.
				patch, err := c.Exec(ctx, r.d.Namespace, r.d.Name, "cat", e2e.PatchFile)
				require.NoError(t, err)
				assert.Equal(t, patchID, strings.TrimSpace(string(patch)))
				t.Logf("%s: rebased to %s (top layer %s -> %s), rolled out in %.1fs, total %.1fs",
					app, rebased, short(res.From.TopLayer), short(res.To.TopLayer), r.d.RolloutSeconds, time.Since(start).Seconds())
			})
		}
	})
}
