//go:build incluster

package e2e_test

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/gitserver"
	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
)

// The enterprise's services for the private-registry scenario (incluster_private_test.go): a registry that requires
// basic auth over TLS (testregistry.StartDistribution) and a git server that requires auth to clone, both on the
// kind network's gateway (where pods and the node's containerd reach the host) with certificates signed by the test
// enterprise CA that hack/kpack/setup.sh makes kpack trust (GOLDENPATH_TEST_CA).

// trustOnNode makes the kind node's containerd pull from host over TLS with the enterprise CA, as a platform team
// configures its nodes for a private registry: certsD/HOST/hosts.toml naming the CA file next to it (certsD is the
// node's /etc/containerd/certs.d, bind-mounted; containerd reads it at each pull). Removed when the test ends.
func trustOnNode(t *testing.T, certsD, host string, caPEM []byte) {
	t.Helper()
	dir := filepath.Join(certsD, host)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.NoError(t, os.WriteFile(filepath.Join(dir, "enterprise-ca.crt"), caPEM, 0o644))
	toml := fmt.Sprintf("# Written by the goldenpath test %s (removed after it).\nserver = \"https://%[2]s\"\n\n[host.\"https://%[2]s\"]\n  capabilities = [\"pull\", \"resolve\"]\n  ca = \"/etc/containerd/certs.d/%[2]s/enterprise-ca.crt\"\n", t.Name(), host)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(toml), 0o644))
}

// privateGit is a git server (internal/gitserver) that requires basic auth to clone and push, served over TLS on
// ip (what pods reach) and over plain HTTP on 127.0.0.1 (the test pushes there).
type privateGit struct {
	root, user, password string
	clusterURL           string // https://IP:PORT
	hostURL              string // http://user:password@127.0.0.1:PORT
}

func startPrivateGit(t *testing.T, caFile, caKeyFile, ip string) *privateGit {
	t.Helper()
	g := &privateGit{root: t.TempDir(), user: "kpauth-dev", password: randomHex(12)}
	h, err := gitserver.NewHandler(g.root, gitserver.Options{
		Users:     map[string]string{g.user: g.password},
		AuthFetch: true,
		Logf:      func(format string, args ...any) { t.Logf("git server: "+format, args...) },
	})
	require.NoError(t, err)
	serve := func(addr string, cfg *tls.Config) string {
		l, err := net.Listen("tcp", addr)
		require.NoError(t, err)
		if cfg != nil {
			l = tls.NewListener(l, cfg)
		}
		s := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = s.Serve(l) }()
		t.Cleanup(func() { _ = s.Close() })
		return l.Addr().String()
	}
	g.hostURL = "http://" + g.user + ":" + g.password + "@" + serve("127.0.0.1:0", nil)
	cert := testregistry.ServerCertificate(t, caFile, caKeyFile, ip)
	g.clusterURL = "https://" + serve(ip+":0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	return g
}

// server is the git credential's server as kpack matches it (https://HOST:PORT).
func (g *privateGit) server() string { return g.clusterURL }
