//go:build incluster

package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/goldenpath-dev/goldenpath/pipeline/insight"
	"github.com/goldenpath-dev/goldenpath/render"
)

// TestKpackPrivateRegistryAndGit is issue 18's enterprise case for kpack in the kind cluster: the app's image goes
// to a registry that requires credentials over TLS with the enterprise's private CA, and its source is in a git
// repository that requires credentials to clone (certificate from the same CA). goldenpath's platform names the
// Secrets (build.registrySecret, build.gitCredentials) and renders the build service account that lists them; the
// platform team creates them. The test applies the rendered objects and checks, on the real kpack:
//
//  1. with a Secret the service account lists missing, kpack fails the Build at once (no pod), its Succeeded
//     condition naming the Secret: `secrets "NAME" not found` (the registry's, then the git one);
//  2. with a wrong registry password the build fails in its prepare step (kpack checks write access first), the
//     step's log saying `Error verifying write access to "REPOSITORY": UNAUTHORIZED`;
//  3. with a wrong git password it fails in prepare on the clone: `unable to fetch references for repository:
//     authentication required`;
//  4. with both right the build succeeds and the image is in the private registry (read back with the credentials
//     over the private CA; anonymous reads are refused);
//  5. a pod without an image pull secret cannot pull it (the registry refuses; the node trusts its CA), and the
//     app's Deployment as rendered (imagePullSecrets: the registry Secret) pulls it through the node's containerd
//     (hosts.toml naming the CA) and answers.
//
// kpack trusts the CA because hack/kpack/setup.sh builds it into kpack's images and into the stack build image
// (the build pod's analyze/restore/export steps run the lifecycle in the builder made from it: without it they fail,
// TestKpackBuildImageWithoutTheCA).
//
//	bash hack/setup.sh && bash hack/setup.sh kind git kpack
//	go test -tags incluster -count=1 -v -timeout 30m -run TestKpackPrivateRegistryAndGit ./internal/e2e/
func TestKpackPrivateRegistryAndGit(t *testing.T) {
	s := newPrivateScenario(t, "kpauth", "")
	c, plat, r, reg, ctx := s.c, s.plat, s.r, s.reg, context.Background()
	appNS, byKind := s.appNS, s.objects

	// The platform team's Secrets, checked with the platform's rules (goldenpath platform check-secret).
	checkSecret(t, plat, s.registrySecret(reg.Password))
	checkSecret(t, plat, s.gitSecret(s.git.password))

	// 1. No Secrets: kpack fails the build at once (no pod), naming the first missing Secret.
	f, log := s.buildFails("without the Secrets")
	assert.Equal(t, insight.PodStep, f.Step)
	assert.Contains(t, log, `secrets "`+plat.Build.RegistrySecret+`" not found`)

	// 2. A registry Secret with a wrong password, no git Secret: the git Secret is named.
	s.apply(s.registrySecret("wrong-" + randomHex(4)))
	f, log = s.buildFails("without the git Secret")
	assert.Equal(t, insight.PodStep, f.Step)
	assert.Contains(t, log, `secrets "`+plat.Build.GitCredentials[0].Secret+`" not found`)

	// 3. Both, the registry's password wrong: the prepare step checks write access to the registry first and the
	// registry refuses it.
	s.apply(s.gitSecret("wrong-" + randomHex(4)))
	f, log = s.buildFails("with a wrong registry password")
	assert.Equal(t, "prepare", f.Step)
	assert.Contains(t, log, `Error verifying write access to "`+plat.ImageRepository(r)+`"`)
	assert.Regexp(t, `(?i)unauthorized|authentication required`, log)

	// 4. The registry's right, the git password wrong: the clone is refused.
	s.apply(s.registrySecret(reg.Password))
	f, log = s.buildFails("with a wrong git password")
	assert.Equal(t, "prepare", f.Step)
	assert.Contains(t, log, "authentication required", "the git server refused the credentials (not a TLS or network failure)")

	// 5. Both right: the build succeeds and the image is in the private registry.
	s.apply(s.gitSecret(s.git.password))
	start := time.Now()
	n := s.build()
	latest := s.builds.succeeded(n)
	t.Logf("FIGURE build %d with both Secrets: succeeded in %.1fs: %s", n, time.Since(start).Seconds(), latest)
	require.True(t, strings.HasPrefix(latest, plat.ImageRepository(r)+"@sha256:"), "latest image %s is not in the private registry's %s", latest, plat.ImageRepository(r))
	ref, err := name.ParseReference(latest)
	require.NoError(t, err)
	creds := authn.FromConfig(authn.AuthConfig{Username: reg.User, Password: reg.Password})
	desc, err := remote.Head(ref, remote.WithAuth(creds), remote.WithTransport(s.reg.Transport()))
	require.NoError(t, err, "the private registry serves the built image to its credentials")
	assert.Equal(t, latest[strings.LastIndex(latest, "@")+1:], desc.Digest.String())
	_, err = remote.Head(ref, remote.WithTransport(s.reg.Transport()))
	require.Error(t, err, "anonymous reads of the private registry must be refused")
	assert.Regexp(t, `(?i)unauthorized|authentication required`, err.Error())

	// 6. A pod without the pull secret cannot pull the image: the node's containerd trusts the registry's CA, the
	// registry refuses the anonymous pull, and the pod's status says so.
	start = time.Now()
	nopull := r.Application + "-no-pull-secret"
	s.apply(map[string]any{"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": nopull, "namespace": appNS},
		"spec": map[string]any{"automountServiceAccountToken": false, "containers": []any{map[string]any{
			"name": "app", "image": latest, "securityContext": map[string]any{"runAsNonRoot": true, "allowPrivilegeEscalation": false}}}}})
	var pullFailure insight.Failure
	eventually(t, 5*time.Minute, "pod "+nopull+" to fail its pull", func() bool {
		pod := kubeJSON[corev1.Pod](t, c.Kube, "-n", appNS, "get", "pod", nopull)
		f, ok := insight.FailedStep(&pod)
		pullFailure = f
		return ok && (strings.Contains(f.Reason, "ErrImagePull") || strings.Contains(f.Reason, "ImagePullBackOff"))
	}, func() string { return c.Describe(ctx, appNS) })
	events, err := c.Kube(ctx, nil, "-n", appNS, "get", "events", "--field-selector", "involvedObject.name="+nopull, "-o", "jsonpath={range .items[*]}{.message}{\"\\n\"}{end}")
	require.NoError(t, err)
	t.Logf("FIGURE a pod without the pull secret: %s in %.1fs", pullFailure.Reason, time.Since(start).Seconds())
	assert.Regexp(t, `(?i)401 unauthorized|authorization failed|unauthorized`, pullFailure.Reason+"\n"+string(events))
	assert.NotContains(t, pullFailure.Reason+string(events), "x509", "the node must trust the registry's CA")
	_, err = c.Kube(ctx, nil, "-n", appNS, "delete", "pod", nopull, "--wait=false")
	require.NoError(t, err)

	// 7. The app as rendered runs from the private registry: its pods pull with the registry Secret.
	start = time.Now()
	d := jsonRoundTrip(t, byKind["Deployment"].Value).(map[string]any)
	pullSecrets := d["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["imagePullSecrets"]
	require.Equal(t, []any{map[string]any{"name": plat.Build.RegistrySecret}}, pullSecrets, "the rendered Deployment pulls with the registry Secret")
	deploy := pinned(t, byKind["Deployment"], latest)
	require.NoError(t, c.Apply(ctx, []render.Object{deploy, byKind["Service"]}, false))
	require.NoError(t, c.WaitRollout(ctx, appNS, r.Application, 10*time.Minute))
	pods := kubeJSON[corev1.PodList](t, c.Kube, "-n", appNS, "get", "pods", "-l", "app.kubernetes.io/name="+r.Application+",app.kubernetes.io/component=server")
	require.NotEmpty(t, pods.Items)
	for _, pod := range pods.Items {
		for _, st := range pod.Status.ContainerStatuses {
			assert.Contains(t, st.ImageID, reg.Host+"/", "pod %s runs %s", pod.Name, st.ImageID)
		}
	}
	var body string
	eventually(t, 2*time.Minute, r.Application+" answers through its Service", func() bool {
		out, err := c.Kube(ctx, nil, "get", "--raw", fmt.Sprintf("/api/v1/namespaces/%s/services/%s:http/proxy/", appNS, r.Application))
		body = string(out)
		return err == nil && strings.Contains(body, "hello from goldenpath go app")
	}, func() string { return "last answer: " + body + "\n" + c.Describe(ctx, appNS) })
	t.Logf("FIGURE the pod pulled the image from the private registry and answers: %.1fs", time.Since(start).Seconds())
}

// TestKpackBuildImageWithoutTheCA shows where kpack needs the enterprise CA besides its own images: the same build,
// credentials right, on a builder made from the stack build image without the CA (goldenpath/build, the pack path's)
// passes kpack's prepare step (build-init, whose image bundles the CA) and fails in analyze, the lifecycle's first
// registry access, on the registry's certificate. (With kpack's copy of the build image, hack/kpack/Dockerfile.build,
// TestKpackPrivateRegistryAndGit's build succeeds.)
//
//	go test -tags incluster -count=1 -v -timeout 30m -run TestKpackBuildImageWithoutTheCA ./internal/e2e/
func TestKpackBuildImageWithoutTheCA(t *testing.T) {
	env := requireEnv(t, "bash hack/setup.sh && bash hack/setup.sh kind git kpack", "GOLDENPATH_REGISTRY_CLUSTER")
	s := newPrivateScenario(t, "kpnoca", env["GOLDENPATH_REGISTRY_CLUSTER"]+"/goldenpath/build:bookworm")
	s.apply(s.registrySecret(s.reg.Password))
	s.apply(s.gitSecret(s.git.password))
	f, log := s.buildFails("with both Secrets, on a build image without the CA")
	assert.Equal(t, "analyze", f.Step)
	assert.Contains(t, log, "x509: certificate signed by unknown authority")
	assert.Contains(t, log, s.reg.Host)
}
