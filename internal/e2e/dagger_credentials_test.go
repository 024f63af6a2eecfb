//go:build dagger

package e2e_test

import (
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
)

// TestDaggerRegistryCredentials runs the module's registry functions against an enterprise registry: Debian's
// docker-registry with htpasswd basic auth over TLS, its certificate signed by the test enterprise CA (the private CA
// hack/dagger/setup.sh has the engine trust, as Dagger documents for a corporate CA), listening on the Docker
// bridge's gateway where the engine reaches the host. Every function that writes or reads that registry succeeds
// with the credentials as a Dagger secret (--docker-config, a config.json as `docker login` writes it, or
// --username/--password) and, without them, fails with an error that names the registry and says what to pass.
// The dagger CLI runs with an empty DOCKER_CONFIG, so no credential reaches the engine but through the module.
func TestDaggerRegistryCredentials(t *testing.T) {
	testenv.RequireDocker(t)
	d := newDagger(t)
	ca := requireEnv(t, "bash hack/setup.sh dagger", "GOLDENPATH_TEST_CA", "GOLDENPATH_TEST_CA_KEY")
	gateway, _, err := net.SplitHostPort(d.registry)
	require.NoError(t, err)
	reg := testregistry.StartDistribution(t, "corp-ci", "corp-registry-pw",
		testregistry.SignedBy(t, ca["GOLDENPATH_TEST_CA"], ca["GOLDENPATH_TEST_CA_KEY"]), testregistry.ListenOn(gateway))
	E, R := reg.Host, d.registry
	d.env = append(d.env, "DOCKER_CONFIG="+t.TempDir(), "CORP_REGISTRY_PASSWORD="+reg.Password, "SMOKE_KEY_PASSWORD=smoke")
	config := "--docker-config=file://" + filepath.Join(reg.DockerConfig(t), "config.json")
	tag := stamp() // fresh tags: Dagger caches function calls
	work := t.TempDir()

	// The run image, in the enterprise registry (what the platform's stack would be there).
	local, err := name.ParseReference(d.hostRegistry + "/goldenpath/run:bookworm")
	require.NoError(t, err)
	src, err := remote.Image(local)
	require.NoError(t, err)
	runImage := E + "/corp/run:bookworm"
	dst, err := name.ParseReference(runImage)
	require.NoError(t, err)
	require.NoError(t, remote.Write(dst, src, remote.WithAuthFromKeychain(reg.Keychain()), remote.WithTransport(reg.Transport())))

	// refused calls a function without credentials and checks that it fails saying what the module wants.
	refused := func(t *testing.T, args ...string) {
		t.Helper()
		stdout, stderr, err := d.callErr(args...)
		require.Error(t, err, "dagger call %s without credentials for %s succeeded: %s", args[0], E, stdout)
		msg := errorText(stderr)
		assert.Contains(t, msg, "authentication required for "+E+": give the module credentials", "dagger call %s", args[0])
		assert.Contains(t, msg, "--docker-config=file://", "dagger call %s: the error says what to pass", args[0])
	}

	// The module's publish: an image built by docker-build (pushed to the plain registry by the engine) copied to
	// the enterprise registry.
	writeFiles(t, filepath.Join(work, "ctx"), map[string]string{
		"Dockerfile": "FROM " + R + "/goldenpath/run:bookworm\nARG MSG=hi\nRUN echo \"$MSG\" > /tmp/hello.txt\n"})
	built := strings.TrimSpace(d.call(t, "docker-build", "--source="+filepath.Join(work, "ctx"), "--build-arg=MSG="+tag,
		"publish", "--address="+R+"/"+prefix(t)+"dagger-corp/hello:"+tag))
	hello := E + "/corp/hello:" + tag
	publish := []string{"publish", "--ctr=" + built, "--address=" + hello}
	t.Run("publish", func(t *testing.T) {
		refused(t, publish...)
		ref := strings.TrimSpace(d.call(t, append(publish, config)...))
		require.True(t, strings.HasPrefix(ref, hello+"@sha256:"), "publish returned %q", ref)
		// (and with --username/--password instead of a config)
		ref = strings.TrimSpace(d.call(t, "publish", "--ctr="+built, "--address="+hello+"-up", "--username=corp-ci", "--password=env://CORP_REGISTRY_PASSWORD"))
		require.True(t, strings.HasPrefix(ref, hello+"-up@sha256:"), "publish returned %q", ref)
	})

	t.Run("docker-build from the enterprise registry", func(t *testing.T) {
		// A Dockerfile whose FROM is in the enterprise registry: the engine pulls it with the credentials the dagger
		// CLI hands it from the caller's Docker config (what docker login writes), as Dagger does; none, none.
		writeFiles(t, filepath.Join(work, "private-ctx"), map[string]string{
			"Dockerfile": "FROM " + runImage + "\nARG T\nRUN echo \"$T\" > /tmp/private.txt\n"})
		args := []string{"docker-build", "--source=" + filepath.Join(work, "private-ctx"), "--build-arg=T=" + tag,
			"publish", "--address=" + R + "/" + prefix(t) + "dagger-corp/private-from:" + tag}
		_, stderr, err := d.callErr(args...)
		require.Error(t, err, "the engine pulled %s without credentials", runImage)
		assert.Contains(t, errorText(stderr), "401 Unauthorized")
		t.Logf("without credentials: %s", firstLine(errorText(stderr)))
		logged := *d
		logged.env = append(slices.Clone(d.env), "DOCKER_CONFIG="+reg.DockerConfig(t))
		assert.Contains(t, strings.TrimSpace(logged.call(t, args...)), "@sha256:")
	})

	t.Setenv("COSIGN_PASSWORD", "smoke")
	goldenpathCLI(t, work, "keygen", "--out", "keys")
	key, pub := "--key=file://"+filepath.Join(work, "keys/cosign.key"), "--public-key="+filepath.Join(work, "keys/cosign.pub")
	t.Run("sign and verify", func(t *testing.T) {
		image := "--image=" + hello
		refused(t, "sign", image, key, "--key-password=env://SMOKE_KEY_PASSWORD")
		d.call(t, "sign", image, key, "--key-password=env://SMOKE_KEY_PASSWORD", config)
		refused(t, "verify", image, pub)
		d.call(t, "verify", image, pub, config)
	})

	t.Run("buildpack-build, sbom and rebase", func(t *testing.T) {
		bp := []string{"buildpack-build", "--source=" + filepath.Join(d.root, "examples/apps/go"), "--image=" + E + "/corp/sample-go:" + tag,
			"--builder=" + R + "/goldenpath/builder:bookworm", "--run-image=" + runImage, "--insecure-registry=" + R}
		refused(t, bp...)
		ref := strings.TrimSpace(d.call(t, append(bp, config)...))
		require.Contains(t, ref, E+"/corp/sample-go@sha256:")
		built, err := name.ParseReference(ref)
		require.NoError(t, err)
		img, err := remote.Image(built, remote.WithAuthFromKeychain(reg.Keychain()), remote.WithTransport(reg.Transport()))
		require.NoError(t, err, "the built image is in the enterprise registry")
		cfg, err := img.ConfigFile()
		require.NoError(t, err)
		assert.Contains(t, cfg.Config.Labels["io.buildpacks.lifecycle.metadata"], `"reference":"`+E+`/corp/run@sha256:`,
			"built on the enterprise registry's run image")

		refused(t, "sbom", "--image="+ref)
		assert.Contains(t, d.call(t, "sbom", "--image="+ref, config), `"files"`)

		rebase := []string{"rebase", "--image=" + ref, "--run-image=" + runImage, "--dry-run", "--force"}
		refused(t, rebase...)
		d.call(t, append(rebase, config)...)
	})
}

// errorText is the function's error in a dagger call's standard error: from its "Error: " line to the end (the
// lines before are the engine's progress).
func errorText(stderr string) string {
	if i := strings.Index(stderr, "\nError: "); i >= 0 {
		return stderr[i+1:]
	}
	return tail(stderr, 20)
}
