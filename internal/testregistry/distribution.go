package testregistry

import (
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// DistributionBinary is Debian's docker-registry (distribution 2.8), which
// hack/registry/setup.sh installs.
const DistributionBinary = "/usr/bin/docker-registry"

// StartDistribution runs Debian's docker-registry as an enterprise
// registry is set up: HTTPS with a certificate from a private certificate
// authority, and htpasswd (bcrypt) basic authentication for user/password on
// every request. By default it listens on a free loopback port with a
// certificate for localhost and 127.0.0.1 from a CA the test makes (Host is
// localhost:PORT); SignedBy and ListenOn make it a registry that containers
// reach (Host is IP:PORT). The registry is stopped and its storage removed
// when the test ends. The returned Registry's Keychain, Transport,
// DockerConfig and CAFile work as for New (its request log and faults do
// not: the registry is another process). The test is skipped when
// docker-registry is not installed.
func StartDistribution(t testing.TB, user, password string, opts ...DistributionOption) *Registry {
	t.Helper()
	if _, err := os.Stat(DistributionBinary); err != nil {
		t.Skipf("%s is not installed (apt-get install docker-registry; hack/registry/setup.sh does): %v", DistributionBinary, err)
	}
	var cfg distributionConfig
	for _, o := range opts {
		o(&cfg)
	}
	dir := t.TempDir()
	host, listen := "localhost", "127.0.0.1"
	if cfg.ip != nil {
		host, listen = cfg.ip.String(), cfg.ip.String()
	}
	ca, caKey := cfg.ca, cfg.caKey
	if ca == nil {
		ca, caKey = newCA(t)
	}
	cert, caPEM, pool := issueCert(t, ca, caKey, host, net.ParseIP(listen))
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "htpasswd"), []byte(user+":"+string(hash)+"\n"), 0o600))
	port := freePort(t, listen)
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	config := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %[1]s/data
  delete:
    enabled: true
http:
  addr: %[4]s
  secret: %[3]s
  tls:
    certificate: %[1]s/cert.pem
    key: %[1]s/key.pem
auth:
  htpasswd:
    realm: enterprise-registry
    path: %[1]s/htpasswd
`, dir, port, hex.EncodeToString(secret), net.JoinHostPort(listen, strconv.Itoa(port)))
	must(t, os.WriteFile(filepath.Join(dir, "config.yml"), []byte(config), 0o600))
	logFile, err := os.Create(filepath.Join(dir, "registry.log"))
	must(t, err)
	cmd := exec.Command(DistributionBinary, "serve", filepath.Join(dir, "config.yml"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	must(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		_ = logFile.Close()
	})
	r := &Registry{Host: net.JoinHostPort(host, strconv.Itoa(port)), User: user, Password: password, CAPEM: caPEM, pool: pool}
	// Ready when /v2/ asks for credentials over TLS the CA signed.
	client := &http.Client{Timeout: 5 * time.Second, Transport: r.Transport()}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := client.Get("https://" + r.Host + "/v2/")
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
			t.Fatalf("docker-registry on %s did not come up: %v\n%s", r.Host, err, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// freePort is a TCP port of ip nobody listens on now.
func freePort(t testing.TB, ip string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	must(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// DistributionOption configures StartDistribution.
type DistributionOption func(*distributionConfig)

type distributionConfig struct {
	ca    *x509.Certificate
	caKey crypto.Signer
	ip    net.IP
}

// SignedBy has the registry's certificate signed by the CA in certFile and
// keyFile (PEM) instead of one the test makes: a CA the components that
// must reach the registry already trust, as an enterprise's are configured
// to trust its CA (hack/setup.sh's test enterprise CA:
// GOLDENPATH_TEST_CA, GOLDENPATH_TEST_CA_KEY).
func SignedBy(t testing.TB, certFile, keyFile string) DistributionOption {
	t.Helper()
	ca, key := loadCA(t, certFile, keyFile)
	return func(c *distributionConfig) { c.ca, c.caKey = ca, key }
}

// ServerCertificate is a TLS server certificate for ip signed by the CA in
// certFile and keyFile (PEM), for the other TLS services a test starts
// where containers must reach and trust them (a git server).
func ServerCertificate(t testing.TB, certFile, keyFile, ip string) tls.Certificate {
	t.Helper()
	ca, key := loadCA(t, certFile, keyFile)
	cert, _, _ := issueCert(t, ca, key, ip, net.ParseIP(ip))
	return cert
}

// loadCA reads a CA certificate and its private key (PEM files).
func loadCA(t testing.TB, certFile, keyFile string) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	certPEM, err := os.ReadFile(certFile)
	must(t, err)
	keyPEM, err := os.ReadFile(keyFile)
	must(t, err)
	block, _ := pem.Decode(certPEM)
	if block == nil {
		t.Fatalf("%s: no PEM certificate", certFile)
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	must(t, err)
	if block, _ = pem.Decode(keyPEM); block == nil {
		t.Fatalf("%s: no PEM private key", keyFile)
	}
	key, err := parsePrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", keyFile, err)
	}
	return ca, key
}

// ListenOn has the registry listen on ip, an address of this machine that
// containers reach (a Docker network's gateway), instead of 127.0.0.1; its
// certificate names ip and the Registry's Host is ip:PORT.
func ListenOn(ip string) DistributionOption {
	return func(c *distributionConfig) { c.ip = net.ParseIP(ip) }
}

// parsePrivateKey reads a PKCS #8, PKCS #1 (RSA) or SEC 1 (EC) private key.
func parsePrivateKey(der []byte) (crypto.Signer, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
		return nil, fmt.Errorf("a %T private key cannot sign", k)
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, fmt.Errorf("not a PKCS #8, PKCS #1 or EC private key")
}
