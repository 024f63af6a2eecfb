package contract_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/golden"
)

// editPlatform returns the default platform's YAML with each old string
// replaced by its new one; each old string must occur exactly once.
func editPlatform(t *testing.T, edits ...string) string {
	t.Helper()
	return edited(t, string(contract.DefaultPlatformYAML()), edits...)
}

// Edits of the default platform that are common to the cases.
const (
	devEnv     = "  dev:\n    namespace: apps-dev\n    ingressDomain: dev.goldenpath.io\n    gitops:\n      repoURL: https://github.com/goldenpath-dev/gitops\n"
	devGitOps  = "  dev:\n    namespace: apps-dev\n    ingressDomain: dev.goldenpath.io\n    gitops:\n"
	testGitOps = "  test:\n    namespace: apps-test\n    ingressDomain: test.goldenpath.io\n    gitops:\n"
	devRepo    = devGitOps + "      repoURL: https://github.com/goldenpath-dev/gitops\n"
)

// withDev replaces the dev environment's settings after its namespace.
func withDev(lines string) []string {
	return []string{devEnv, "  dev:\n" + lines}
}

// TestPlatformRefusals: each platform the validator refuses (issue 14.2,
// 14.8 and their siblings), with every problem found in
// testdata/platform-refusals.golden.
func TestPlatformRefusals(t *testing.T) {
	cases := []struct {
		name  string
		path  string // the field the refusal is about
		edits []string
	}{
		// gitops.path: per-environment repositories with apps/{application}
		// merge dev and test into one folder of the rendered tree.
		{"gitops path shared by two environments", "environments.test.gitops.path", []string{
			devRepo, devRepo + "      path: apps/{application}\n",
			testGitOps + "      repoURL: https://github.com/goldenpath-dev/gitops\n", testGitOps + "      repoURL: https://github.com/goldenpath-dev/gitops-test\n      path: apps/{application}\n"}},
		{"gitops path swapping the placeholders", "environments.test.gitops.path", []string{
			devRepo, devRepo + "      path: \"{application}/{environment}\"\n"}},
		{"gitops path climbing out of the application's folder", "environments.dev.gitops.path", []string{devRepo, devRepo + "      path: \"{environment}/{application}/..\"\n"}},
		{"gitops path into .git", "environments.dev.gitops.path", []string{devRepo, devRepo + "      path: \"{environment}/{application}/.git\"\n"}},
		{"gitops path absolute", "environments.dev.gitops.path", []string{devRepo, devRepo + "      path: \"/srv/{environment}/{application}\"\n"}},
		{"gitops path inside argocd/", "environments.dev.gitops.path", []string{devRepo, devRepo + "      path: \"argocd/{environment}/{application}\"\n"}},
		{"gitops path with a placeholder inside a name", "environments.dev.gitops.path", []string{devRepo, devRepo + "      path: \"{environment}-{application}\"\n"}},
		{"gitops path with an empty folder", "environments.dev.gitops.path", []string{devRepo, devRepo + "      path: \"{environment}//{application}\"\n"}},
		{"gitops path without the application", "environments.dev.gitops.path", []string{devRepo, devRepo + "      path: \"{environment}\"\n"}},
		// repoURL: a token would be committed into every Application.
		{"gitops repoURL with a token", "environments.dev.gitops.repoURL", withDev("    namespace: apps-dev\n    ingressDomain: dev.goldenpath.io\n    gitops:\n      repoURL: https://x-access-token:ghp_secret@github.com/goldenpath-dev/gitops\n")},
		{"gitops repoURL with a user", "environments.dev.gitops.repoURL", withDev("    namespace: apps-dev\n    ingressDomain: dev.goldenpath.io\n    gitops:\n      repoURL: https://deploy@github.com/goldenpath-dev/gitops\n")},
		{"gitops repoURL with an option for a user", "environments.dev.gitops.repoURL", withDev("    namespace: apps-dev\n    ingressDomain: dev.goldenpath.io\n    gitops:\n      repoURL: ssh://-oProxyCommand=touch@github.com/goldenpath-dev/gitops\n")},
		{"gitops repoURL over file://", "environments.dev.gitops.repoURL", withDev("    namespace: apps-dev\n    ingressDomain: dev.goldenpath.io\n    gitops:\n      repoURL: file:///srv/gitops\n")},
		// cluster: the Argo CD destination server is an https URL.
		{"cluster is a file", "environments.dev.cluster", withDev("    cluster: file:///etc/passwd\n    namespace: apps-dev\n    ingressDomain: dev.goldenpath.io\n    gitops:\n      repoURL: https://github.com/goldenpath-dev/gitops\n")},
		{"cluster with credentials", "environments.dev.cluster", withDev("    cluster: https://admin:secret@k8s.example.com\n    namespace: apps-dev\n    ingressDomain: dev.goldenpath.io\n    gitops:\n      repoURL: https://github.com/goldenpath-dev/gitops\n")},
		{"cluster with a port out of range", "environments.dev.cluster", withDev("    cluster: https://k8s.example.com:99999\n    namespace: apps-dev\n    ingressDomain: dev.goldenpath.io\n    gitops:\n      repoURL: https://github.com/goldenpath-dev/gitops\n")},
		// registry: the image references rendered under it must parse.
		{"registry with a scheme", "registry", []string{"registry: registry.goldenpath.io/apps", "registry: https://registry.example.com/apps"}},
		{"registry with an empty path component", "registry", []string{"registry: registry.goldenpath.io/apps", "registry: host//apps"}},
		{"registry with a port out of range", "registry", []string{"registry: registry.goldenpath.io/apps", "registry: 127.0.0.1:99999/apps"}},
		{"registry without a host", "registry", []string{"registry: registry.goldenpath.io/apps", "registry: apps"}},
		{"registry too long for the longest image", "registry", []string{"registry: registry.goldenpath.io/apps", "registry: registry.goldenpath.io/" + strings.Repeat("a", 180)}},
		{"builder image with a port out of range", "builders.default.stack.runImage", []string{"runImage: registry.goldenpath.io/platform/stacks/jammy-run:latest", "runImage: registry.goldenpath.io:70000/platform/stacks/jammy-run:latest"}},
		// environments sharing what they must not.
		{"two environments in one namespace", "environments.test.namespace", []string{"namespace: apps-test", "namespace: apps-dev"}},
		{"two environments with one ingress domain", "environments.test.ingressDomain", []string{"ingressDomain: test.goldenpath.io", "ingressDomain: dev.goldenpath.io"}},
		{"two environments with one Argo CD project", "environments.test.argoProject", []string{"  test:\n    namespace: apps-test\n", "  test:\n    argoProject: goldenpath-dev\n    namespace: apps-test\n"}},
		{"applications in kube-system", "environments.dev.namespace", []string{"namespace: apps-dev", "namespace: kube-system"}},
		{"applications in the build namespace", "environments.dev.namespace", []string{"namespace: apps-dev", "namespace: goldenpath-system"}},
		{"applications in the Argo CD namespace", "environments.dev.namespace", []string{"namespace: apps-dev", "namespace: argocd"}},
		// the binding catalogue never hands out the platform's Secrets.
		{"catalogue hands out the registry Secret", "bindings.payments-db.secret", []string{"    secret: payments-db\n", "    secret: goldenpath-registry\n"}},
		{"catalogue names the registry Secret", "bindings.goldenpath-registry", []string{"bindings:\n", "bindings:\n  goldenpath-registry: {type: registry, secret: registry-copy}\n"}},
		{"catalogue offers to an unknown environment", "bindings.payments-db.environments[3]", []string{"    secret: payments-db\n    provider: postgresql\n    environments: [dev, test, staging]", "    secret: payments-db\n    provider: postgresql\n    environments: [dev, test, staging, qa]"}},
		{"catalogue binding too long to be named", "bindings." + strings.Repeat("b", 56), []string{"bindings:\n", "bindings:\n  " + strings.Repeat("b", 56) + ": {type: database, secret: long}\n"}},
		{"policy both closes and opens the catalogue", "environments.prod.policy.allowUncataloguedBindings", []string{"      forbidDockerfile: true\n", "      forbidDockerfile: true\n      requireCatalogBindings: true\n      allowUncataloguedBindings: true\n"}},
	}
	var out bytes.Buffer
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := contract.LoadPlatform("platform.yaml", []byte(editPlatform(t, tc.edits...)))
			require.Error(t, err, "the platform must be refused")
			paths := map[string]bool{}
			fmt.Fprintf(&out, "== %s\n", tc.name)
			for _, e := range contract.AsErrors(err) {
				paths[e.Path] = true
				fmt.Fprintln(&out, e.Error())
				assert.Regexp(t, `^platform\.yaml:\d+:\d+: `, e.Error(), "every problem has its position")
			}
			assert.True(t, paths[tc.path], "no problem at %s in\n%v", tc.path, err)
		})
	}
	golden.Assert(t, "testdata/platform-refusals.golden", out.Bytes())
}

// The platforms of the repository stay valid under the new rules.
func TestPlatformsStillValid(t *testing.T) {
	for _, f := range []string{"../examples/platform/local.yaml", "../render/testdata/platform.yaml"} {
		_, err := contract.LoadPlatformFile(f)
		assert.NoError(t, err, f)
	}
	// Environments on different clusters may share a namespace name.
	_, err := contract.LoadPlatform("platform.yaml", []byte(editPlatform(t, "namespace: apps-test", "namespace: apps-dev\n    cluster: https://test.k8s.example.com")))
	assert.NoError(t, err)
	// A platform may put its GitOps repository anywhere, loopback included.
	_, err = contract.LoadPlatform("platform.yaml", []byte(editPlatform(t, withDev("    namespace: apps-dev\n    ingressDomain: dev.goldenpath.io\n    gitops:\n      repoURL: http://127.0.0.1:9480/gitops.git\n")...)))
	assert.NoError(t, err)
}
