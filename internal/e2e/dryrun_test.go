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
// applied with server-side dry-run. The CRDs of render/testdata/crds the
// cluster does not serve yet are installed first and left installed (never
// deleted and re-created per run: deleting a CRD waits for all its objects
// and took minutes on a fresh cluster); the ones it serves already, kpack's
// and Argo CD's own when they run there, are used as they are, with their
// admission webhooks. Any rejection fails the test.
func TestRenderedObjectsPassServerSideDryRun(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	root := testenv.RepoRoot(t)

	crds, err := filepath.Glob(filepath.Join(root, "render/testdata/crds/*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, crds)
	added, err := c.EnsureCRDs(ctx, crds...)
	require.NoError(t, err, "installing the CRDs of render/testdata/crds")
	t.Logf("CRDs installed for the test (left installed): %d of %d", len(added), len(crds))

	platforms := map[string]*contract.Platform{"default": prefixNamespaces(t, contract.DefaultPlatform()), "local": localPlatform(t)}
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
	// The environments' namespaces (prefixed) are deleted afterwards; others, such as argocd or goldenpath-system,
	// stay: a setup script may be installing into them at the same time.
	ours := map[string]bool{}
	for _, p := range platforms {
		for _, e := range p.Environments {
			ours[e.Namespace] = true
		}
	}
	for _, ns := range namespacesOf(all) {
		if phase, err := c.Kube(ctx, nil, "get", "namespace", ns, "-o", "jsonpath={.status.phase}"); err == nil && string(phase) == "Active" {
			continue
		}
		require.NoError(t, c.EnsureNamespace(ctx, ns))
		if !ours[ns] {
			continue
		}
		t.Cleanup(func() {
			if err := c.DeleteNamespace(context.Background(), ns, false); err != nil {
				t.Logf("cleanup (not a failure): %v", err)
			}
		})
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
