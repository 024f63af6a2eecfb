//go:build e2e

package e2e_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/internal/e2e"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/render"
)

// Everything goldenpath renders is accepted by a real API server: the
// platform objects (kpack ClusterStore/Stack/Lifecycle/Builder, Argo CD
// AppProjects, PrometheusRules) of the default platform and of
// examples/platform/local.yaml, and every application's objects (kpack
// Image, Deployment, Service, Ingress, bindings, Argo CD Application) for
// examples/contracts and the sample apps, plain and pinned to a digest, are
// applied with server-side dry-run after the CRDs of render/testdata/crds
// are installed. Any rejection fails the test.
func TestRenderedObjectsPassServerSideDryRun(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	root := testenv.RepoRoot(t)

	crds, err := filepath.Glob(filepath.Join(root, "render/testdata/crds/*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, crds)
	// The CRDs the cluster did not serve before are removed afterwards: with them installed, Deploy would apply kpack
	// Images and Argo CD Applications (whose finalizer nothing would remove without Argo CD running).
	var added []string
	for _, f := range crds {
		if _, err := c.Kube(ctx, nil, "get", "-f", f, "-o", "name"); err != nil {
			added = append(added, f)
		}
	}
	t.Cleanup(func() {
		if len(added) > 0 {
			args := []string{"delete", "--ignore-not-found", "--timeout=120s"}
			for _, f := range added {
				args = append(args, "-f", f)
			}
			if _, err := c.Kube(context.Background(), nil, args...); err != nil {
				t.Errorf("removing the CRDs: %v", err)
			}
		}
	})
	require.NoError(t, c.InstallCRDs(ctx, crds...), "installing the CRDs of render/testdata/crds")

	local, err := contract.LoadPlatformFile(filepath.Join(root, "examples/platform/local.yaml"))
	require.NoError(t, err)
	platforms := map[string]*contract.Platform{"default": contract.DefaultPlatform(), "local": local}
	contracts := []string{filepath.Join(root, "examples/contracts")}
	for _, s := range samples {
		contracts = append(contracts, filepath.Join(root, "examples/apps", s.app, "goldenpath.yaml"))
	}

	rendered := map[string][]render.Object{}
	var all []render.Object
	for name, p := range platforms {
		objs, err := render.Platform(p)
		require.NoError(t, err)
		reqs, err := goldenpath.LoadRequests(ctx, contracts, goldenpath.WithPlatform(p))
		require.NoError(t, err)
		for _, r := range reqs {
			// as rendered for kpack to keep up to date, and pinned to a digest by the pipeline
			plain, err := render.App(r, p, render.AppOptions{})
			require.NoError(t, err, r.Application)
			pinned, err := render.App(r, p, render.AppOptions{Image: p.Registry + "/" + string(r.Environment) + "/" + r.Application +
				"@sha256:" + strings.Repeat("ab", 32)})
			require.NoError(t, err, r.Application)
			objs = append(append(objs, plain...), pinned...)
		}
		for _, o := range objs {
			if _, ok := e2e.CRDFor(o); ok {
				rendered[name] = append(rendered[name], o)
			}
		}
		require.NotEmpty(t, rendered[name])
		all = append(all, rendered[name]...)
	}

	// Namespaced objects need their namespace to exist, even for a dry run: those missing are made for the test.
	for _, ns := range namespacesOf(all) {
		if phase, err := c.Kube(ctx, nil, "get", "namespace", ns, "-o", "jsonpath={.status.phase}"); err == nil && string(phase) == "Active" {
			continue
		}
		require.NoError(t, c.EnsureNamespace(ctx, ns))
		t.Cleanup(func() { _ = c.DeleteNamespace(context.Background(), ns, false) })
	}

	for _, name := range []string{"default", "local"} {
		t.Run(name, func(t *testing.T) {
			kinds := map[string]int{}
			for _, o := range rendered[name] {
				kinds[o.APIVersion()+" "+o.Kind()]++
			}
			errs := c.ApplyEach(ctx, rendered[name], true)
			for _, err := range errs {
				t.Errorf("rejected by the API server: %v", err)
			}
			var summary []string
			for k, n := range kinds {
				summary = append(summary, fmt.Sprintf("%s: %d", k, n))
			}
			sort.Strings(summary)
			t.Logf("%d objects through server-side dry-run (%s), %d rejected", len(rendered[name]), strings.Join(summary, ", "), len(errs))
		})
	}
}

func namespacesOf(objs []render.Object) []string {
	seen := map[string]bool{}
	var out []string
	for _, o := range objs {
		if ns := o.Namespace(); ns != "" && !seen[ns] {
			seen[ns] = true
			out = append(out, ns)
		}
	}
	sort.Strings(out)
	return out
}
