//go:build dagger

package e2e_test

import (
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/gitserver"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
)

// TestDaggerPrivateGitSource builds with the module from a private git repository named by URL (--source
// https://HOST/REPO.git#BRANCH): Dagger clones it in the engine with the caller's git credentials (its client asks
// the caller's git credential helper, then ~/.netrc: where `goldenpath build --source GIT_URL` finds them too). The
// git server (internal/gitserver, clones need basic auth) serves HTTPS with a certificate signed by the test
// enterprise CA, on the Docker bridge's gateway where the engine reaches it. Without credentials the call fails.
func TestDaggerPrivateGitSource(t *testing.T) {
	testenv.RequireDocker(t)
	d := newDagger(t)
	ca := requireEnv(t, "bash hack/setup.sh dagger", "GOLDENPATH_TEST_CA", "GOLDENPATH_TEST_CA_KEY")
	gateway, _, err := net.SplitHostPort(d.registry)
	require.NoError(t, err)
	const user, password = "corp-ci", "corp-git-pw"

	// The repository: the sample at its subPath, on branch main.
	repos, work := t.TempDir(), t.TempDir()
	bare, err := gitserver.Init(repos, "sample", "main")
	require.NoError(t, err)
	copyTree(t, d.root, "examples/apps/go", work)
	for _, args := range [][]string{{"init", "--quiet", "--initial-branch=main"}, {"add", "."},
		{"-c", "user.name=corp", "-c", "user.email=corp@example.com", "commit", "--quiet", "-m", "sample"}, {"push", "--quiet", bare, "main"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = work
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %s: %s", strings.Join(args, " "), out)
	}
	srv, err := gitserver.NewHandler(repos, gitserver.Options{Users: map[string]string{user: password}, AuthFetch: true})
	require.NoError(t, err)
	l, err := net.Listen("tcp", net.JoinHostPort(gateway, "0"))
	require.NoError(t, err)
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: time.Minute, TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12,
		Certificates: []tls.Certificate{testregistry.ServerCertificate(t, ca["GOLDENPATH_TEST_CA"], ca["GOLDENPATH_TEST_CA_KEY"], gateway)}}}
	go func() { _ = hs.ServeTLS(l, "", "") }()
	t.Cleanup(func() { _ = hs.Close() })
	repo := "https://" + l.Addr().String() + "/sample.git"

	// The caller's git configuration: none at first (no helper, no ~/.netrc), then the store helper with the
	// credentials, as `git credential approve` leaves them.
	home := t.TempDir()
	d.env = append(d.env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+filepath.Join(home, ".gitconfig"))
	args := []string{"buildpack-build", "--source=" + repo + "#main", "--contracts=" + filepath.Join(work, "examples/apps/go"),
		"--image=" + d.registry + "/" + prefix(t) + "dagger-git/sample-go:" + stamp(), "--builder=" + d.registry + "/goldenpath/builder:bookworm",
		"--run-image=" + d.registry + "/goldenpath/run:bookworm", "--insecure-registry=" + d.registry}

	_, stderr, err := d.callErr(args...)
	require.Error(t, err, "a clone of the private repository without credentials must fail")
	assert.Contains(t, errorText(stderr), "git authentication failed")
	t.Logf("without credentials: %s", firstLine(errorText(stderr)))

	require.NoError(t, os.WriteFile(filepath.Join(home, ".gitconfig"), []byte("[credential]\n\thelper = store\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(home, ".git-credentials"), []byte("https://"+user+":"+password+"@"+l.Addr().String()+"\n"), 0o600))
	ref := strings.TrimSpace(d.call(t, args...))
	assert.Regexp(t, `^`+d.registry+`/.+/sample-go@sha256:[0-9a-f]{64}$`, ref)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
