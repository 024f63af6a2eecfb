// Package buildertest holds the builder's scenario tests (tag builder: every sample language built with
// `goldenpath build` on the local builder through the platform's mirrors, run, rebased, measured) and what they
// need: a dependency mirror served over HTTPS with a private CA the test makes, from the files of the mirror
// image (examples/builder/mirror: a Maven repository, a gem source and a Python index made from Debian packages).
package buildertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Mirror is an HTTPS file server for a mirror tree (maven/, gems/, pypi/), with a certificate from its own CA:
// the enterprise mirror with a private CA.
type Mirror struct {
	// URL is the server's base URL (https://ADDR), without a trailing slash.
	URL string
	// CAFile is a PEM file with the CA that signed the server's certificate.
	CAFile string

	mu      sync.Mutex
	served  map[string]int       // successful requests per URL path
	auth    map[string][2]string // top-level folder -> the user name and password it requires
	refused int                  // requests answered 401
}

// RequireBasicAuth makes the mirror answer 401 (a Basic challenge) to requests below folder that do not carry
// user and password: an enterprise repository that wants credentials. An empty user lifts the requirement.
func (m *Mirror) RequireBasicAuth(folder, user, password string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if user == "" {
		delete(m.auth, folder)
		return
	}
	if m.auth == nil {
		m.auth = map[string][2]string{}
	}
	m.auth[folder] = [2]string{user, password}
}

// Refused is the number of requests answered 401 for want of the credentials RequireBasicAuth asks for.
func (m *Mirror) Refused() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.refused
}

// authorized says whether r may be served (true without RequireBasicAuth for its folder); a refusal is counted.
func (m *Mirror) authorized(r *http.Request) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	want, ok := m.auth[topFolder(r.URL.Path)]
	if !ok {
		return true
	}
	if u, p, ok := r.BasicAuth(); ok && u == want[0] && p == want[1] {
		return true
	}
	m.refused++
	return false
}

// topFolder is a URL path's top-level folder ("/maven/org/x" → "maven").
func topFolder(path string) string {
	top, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return top
}

// Hits is the number of successful requests served below a top-level folder (maven, gems, pypi).
func (m *Mirror) Hits(prefix string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for p, c := range m.served {
		if topFolder(p) == prefix {
			n += c
		}
	}
	return n
}

// Served is the number of successful requests for one path (e.g. "/maven/org/apache/maven/.../x.tar.gz").
func (m *Mirror) Served(path string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.served[path]
}

// Requests is the number of successful requests served, below every folder: for a mirror that forwards everything
// (the root-mounted npm mirror), where the top-level folder is a package's name.
func (m *Mirror) Requests() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.served {
		n += c
	}
	return n
}

// StartMirror serves dir over HTTPS on listen (host:port; port 0 picks one) with a certificate for host signed
// by a new CA, until the test ends. upstream maps more top-level folders to upstream mirrors this machine reaches
// (e.g. "npm" to the npm registry): requests below them are forwarded there (the role of an enterprise's
// proxying repository, for clients such as build pods that cannot resolve the upstream's name). The key ""
// forwards every request that no other folder takes, path unchanged: npm needs a registry at the root, since it
// points tarball URLs of registry.npmjs.org at the configured registry's host only.
func StartMirror(t testing.TB, dir, listen string, upstream map[string]string) *Mirror {
	t.Helper()
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, cert := newCA(t, host)
	m := &Mirror{CAFile: filepath.Join(t.TempDir(), "mirror-ca.pem"), served: map[string]int{}}
	if err := os.WriteFile(m.CAFile, caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatal(err)
	}
	files := http.FileServer(http.Dir(dir))
	proxies := map[string]http.Handler{}
	for prefix, target := range upstream {
		u, err := url.Parse(target)
		if err != nil {
			t.Fatal(err)
		}
		rp := httputil.NewSingleHostReverseProxy(u)
		director := rp.Director
		rp.Director = func(r *http.Request) {
			director(r)
			r.Host = u.Host
		}
		if prefix == "" {
			proxies[prefix] = rp
		} else {
			proxies[prefix] = http.StripPrefix("/"+prefix, rp)
		}
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !m.authorized(r) {
				w.Header().Set("WWW-Authenticate", `Basic realm="goldenpath test mirror"`)
				http.Error(w, "authentication required", http.StatusUnauthorized)
				return
			}
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			top := topFolder(r.URL.Path)
			if h, ok := proxies[top]; ok && top != "" {
				h.ServeHTTP(rec, r)
			} else if h, ok := proxies[""]; ok {
				h.ServeHTTP(rec, r)
			} else {
				files.ServeHTTP(rec, r)
			}
			if rec.status == http.StatusOK {
				m.mu.Lock()
				m.served[r.URL.Path]++
				m.mu.Unlock()
			}
		}),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 30 * time.Second,
	}
	go func() { _ = srv.ServeTLS(l, "", "") }()
	t.Cleanup(func() { _ = srv.Close() })
	m.URL = "https://" + l.Addr().String()
	return m
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// newCA makes a CA and a server certificate for host (an IP address or a name) signed by it.
func newCA(t testing.TB, host string) ([]byte, tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "goldenpath builder test mirror CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if ip := net.ParseIP(host); ip != nil {
		leaf.IPAddresses = []net.IP{ip}
	} else {
		leaf.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
