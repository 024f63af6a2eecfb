package testregistry

import (
	"crypto/rand"
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

// StartDistribution runs Debian's docker-registry on a free loopback port
// as an enterprise registry is set up: HTTPS with a certificate for
// localhost and 127.0.0.1 from a certificate authority the test makes, and
// htpasswd (bcrypt) basic authentication for user/password on every
// request. The registry is stopped and its storage removed when the test
// ends. The returned Registry's Host is localhost:PORT; its Keychain,
// Transport, DockerConfig and CAFile work as for New (its request log and
// faults do not: the registry is another process). The test is skipped
// when docker-registry is not installed.
func StartDistribution(t testing.TB, user, password string) *Registry {
	t.Helper()
	if _, err := os.Stat(DistributionBinary); err != nil {
		t.Skipf("%s is not installed (apt-get install docker-registry; hack/registry/setup.sh does): %v", DistributionBinary, err)
	}
	dir := t.TempDir()
	cert, caPEM, pool := makeCert(t)
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "htpasswd"), []byte(user+":"+string(hash)+"\n"), 0o600))
	port := freePort(t)
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
  addr: 127.0.0.1:%[2]d
  secret: %[3]s
  tls:
    certificate: %[1]s/cert.pem
    key: %[1]s/key.pem
auth:
  htpasswd:
    realm: enterprise-registry
    path: %[1]s/htpasswd
`, dir, port, hex.EncodeToString(secret))
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
	r := &Registry{Host: "localhost:" + strconv.Itoa(port), User: user, Password: password, CAPEM: caPEM, pool: pool}
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

// freePort is a loopback TCP port nobody listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
