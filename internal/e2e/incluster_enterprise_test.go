//go:build incluster

package e2e_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/goldenpath-dev/goldenpath/internal/gitserver"
)

// The enterprise's services for the private-registry scenario (incluster_private_test.go): a registry that requires
// basic auth over TLS and a git server that requires auth to clone, both on the kind network's gateway (where pods and
// the node's containerd reach the host) with certificates signed by the test enterprise CA that hack/kpack/setup.sh
// makes kpack trust (GOLDENPATH_TEST_CA). (internal/testregistry.StartDistribution makes its own CA and listens on
// 127.0.0.1: the registry here is a local stand-in until it takes a CA and an address.)

// enterpriseCA is the test enterprise CA, read from the files hack/lib.sh enterprise_ca made.
type enterpriseCA struct {
	cert    *x509.Certificate
	key     any
	pem     []byte
	pool    *x509.CertPool
	crtFile string
}

func loadEnterpriseCA(t *testing.T, crtFile, keyFile string) *enterpriseCA {
	t.Helper()
	crtPEM, err := os.ReadFile(crtFile)
	require.NoError(t, err, "the test enterprise CA: run bash hack/setup.sh kpack")
	keyPEM, err := os.ReadFile(keyFile)
	require.NoError(t, err, "the test enterprise CA's key: run bash hack/setup.sh kpack")
	cb, _ := pem.Decode(crtPEM)
	require.NotNil(t, cb, "no PEM certificate in %s", crtFile)
	cert, err := x509.ParseCertificate(cb.Bytes)
	require.NoError(t, err)
	kb, _ := pem.Decode(keyPEM)
	require.NotNil(t, kb, "no PEM key in %s", keyFile)
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		key, err = x509.ParsePKCS1PrivateKey(kb.Bytes)
	}
	require.NoError(t, err, "the key in %s (PKCS#8 or PKCS#1)", keyFile)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &enterpriseCA{cert: cert, key: key, pem: crtPEM, pool: pool, crtFile: crtFile}
}

// serverCert is a server certificate for ips signed by the CA.
func (ca *enterpriseCA) serverCert(t *testing.T, ips ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"goldenpath tests"}, CommonName: ips[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, ip := range ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key}
}

// transport trusts the CA only.
func (ca *enterpriseCA) transport() *http.Transport {
	return &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool, MinVersion: tls.VersionTLS12}}
}

// authRegistry is Debian's docker-registry (distribution 2.8, hack/registry/setup.sh installs it) with htpasswd
// basic auth on every request and TLS, listening on ip.
type authRegistry struct {
	host, user, password string
}

func startAuthRegistry(t *testing.T, ca *enterpriseCA, ip string) *authRegistry {
	t.Helper()
	const binary = "/usr/bin/docker-registry"
	_, err := os.Stat(binary)
	require.NoError(t, err, "Debian's docker-registry: run bash hack/setup.sh registry")
	dir := t.TempDir()
	cert := ca.serverCert(t, ip, "127.0.0.1")
	var chain []byte
	for _, der := range cert.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cert.pem"), chain, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	r := &authRegistry{user: "kpauth-" + randomHex(3), password: randomHex(12)}
	hash, err := bcrypt.GenerateFromPassword([]byte(r.password), bcrypt.DefaultCost)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "htpasswd"), []byte(r.user+":"+string(hash)+"\n"), 0o600))
	l, err := net.Listen("tcp", ip+":0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	r.host = net.JoinHostPort(ip, strconv.Itoa(port))
	config := fmt.Sprintf(`version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: %[1]s/data
  delete:
    enabled: true
http:
  addr: %[2]s
  secret: %[3]s
  tls:
    certificate: %[1]s/cert.pem
    key: %[1]s/key.pem
auth:
  htpasswd:
    realm: enterprise-registry
    path: %[1]s/htpasswd
`, dir, r.host, randomHex(16))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.yml"), []byte(config), 0o600))
	logFile, err := os.Create(filepath.Join(dir, "registry.log"))
	require.NoError(t, err)
	cmd := exec.Command(binary, "serve", filepath.Join(dir, "config.yml"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		_ = logFile.Close()
	})
	// Ready when /v2/ asks for credentials over TLS the enterprise CA signed.
	client := &http.Client{Timeout: 5 * time.Second, Transport: ca.transport()}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := client.Get("https://" + r.host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return r
			}
			err = fmt.Errorf("GET /v2/: %s", resp.Status)
		}
		select {
		case werr := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "registry.log"))
			t.Fatalf("docker-registry exited (%v): %s", werr, log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "registry.log"))
			t.Fatalf("docker-registry on %s did not come up: %v\n%s", r.host, err, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// trustOnNode makes the kind node's containerd pull from host over TLS with the enterprise CA, as a platform team
// configures its nodes for a private registry: certsD/HOST/hosts.toml naming the CA file next to it (certsD is the
// node's /etc/containerd/certs.d, bind-mounted; containerd reads it at each pull). Removed when the test ends.
func trustOnNode(t *testing.T, certsD, host string, ca *enterpriseCA) {
	t.Helper()
	dir := filepath.Join(certsD, host)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.NoError(t, os.WriteFile(filepath.Join(dir, "enterprise-ca.crt"), ca.pem, 0o644))
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

func startPrivateGit(t *testing.T, ca *enterpriseCA, ip string) *privateGit {
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
	cert := ca.serverCert(t, ip)
	g.clusterURL = "https://" + serve(ip+":0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	return g
}

// server is the git credential's server as kpack matches it (https://HOST:PORT).
func (g *privateGit) server() string { return g.clusterURL }
