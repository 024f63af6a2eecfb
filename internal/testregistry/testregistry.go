// Package testregistry is the tests' one in-process registry:
// go-containerregistry's pkg/registry behind httptest, with a request log,
// a switchable fault injector and, when asked, basic authentication over
// TLS with a private certificate authority the test makes.
package testregistry

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Registry is a running in-process registry.
type Registry struct {
	// Host is host:port (127.0.0.1 with plain HTTP; "localhost" with TLS,
	// so that the test's certificate names it).
	Host string
	// User and Password are the basic-auth credentials (WithBasicAuth).
	User, Password string
	// CAPEM is the PEM certificate of the private CA (WithTLS).
	CAPEM []byte

	pool  *x509.CertPool
	fault atomic.Pointer[func(r *http.Request) bool]
	mu    sync.Mutex
	log   []string // "METHOD /path?query"
}

type config struct {
	tls        bool
	user, pass string
}

// Option configures the registry.
type Option func(*config)

// WithTLS serves HTTPS with a certificate for localhost and 127.0.0.1 from
// a certificate authority made for this registry.
func WithTLS() Option { return func(c *config) { c.tls = true } }

// WithBasicAuth requires the credentials on every /v2/ request (401 with a
// Basic challenge without them).
func WithBasicAuth(user, password string) Option {
	return func(c *config) { c.user, c.pass = user, password }
}

// New starts a registry that stops when the test ends.
func New(t testing.TB, opts ...Option) *Registry {
	t.Helper()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	r := &Registry{User: cfg.user, Password: cfg.pass}
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	handler := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.log = append(r.log, req.Method+" "+req.URL.Path+"?"+req.URL.RawQuery)
		r.mu.Unlock()
		if f := r.fault.Load(); f != nil && (*f)(req) {
			http.Error(w, `{"errors":[{"code":"UNAVAILABLE","message":"injected fault"}]}`, http.StatusServiceUnavailable)
			return
		}
		if cfg.user != "" {
			u, p, ok := req.BasicAuth()
			if !ok || u != cfg.user || p != cfg.pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="testregistry"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
		}
		h.ServeHTTP(w, req)
	})
	if !cfg.tls {
		srv := httptest.NewServer(handler)
		t.Cleanup(srv.Close)
		r.Host = strings.TrimPrefix(srv.URL, "http://")
		return r
	}
	srv := httptest.NewUnstartedServer(handler)
	cert, caPEM, pool := makeCert(t)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	r.Host = "localhost:" + port
	r.CAPEM, r.pool = caPEM, pool
	return r
}

// makeCert makes a CA and a server certificate for localhost it signs.
func makeCert(t testing.TB) (tls.Certificate, []byte, *x509.CertPool) {
	t.Helper()
	ca, caKey := newCA(t)
	return issueCert(t, ca, caKey, "localhost", net.IPv4(127, 0, 0, 1))
}

// newCA makes a certificate authority for one test.
func newCA(t testing.TB) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "goldenpath test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	must(t, err)
	caCert, err := x509.ParseCertificate(caDER)
	must(t, err)
	return caCert, caKey
}

// issueCert makes a server certificate for name and ip signed by ca; it returns it with ca's PEM and a pool of ca.
func issueCert(t testing.TB, ca *x509.Certificate, caKey crypto.Signer, name string, ip net.IP) (tls.Certificate, []byte, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	must(t, err)
	leaf := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{name}, IPAddresses: []net.IP{ip},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	must(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}), pool
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Transport trusts the registry's CA (http.DefaultTransport's clone
// otherwise).
func (r *Registry) Transport() http.RoundTripper {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if r.pool != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: r.pool, MinVersion: tls.VersionTLS12}
	}
	return tr
}

// Keychain holds the registry's credentials (anonymous without).
func (r *Registry) Keychain() authn.Keychain {
	if r.User == "" {
		return authn.NewMultiKeychain()
	}
	return staticKeychain{host: r.Host, auth: authn.FromConfig(authn.AuthConfig{Username: r.User, Password: r.Password})}
}

type staticKeychain struct {
	host string
	auth authn.Authenticator
}

func (k staticKeychain) Resolve(res authn.Resource) (authn.Authenticator, error) {
	if res.RegistryStr() == k.host {
		return k.auth, nil
	}
	return authn.Anonymous, nil
}

// DockerConfig writes a Docker config folder holding the registry's
// credentials (what `docker login` writes), for DOCKER_CONFIG.
func (r *Registry) DockerConfig(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(r.User + ":" + r.Password))
	data, err := json.Marshal(map[string]any{"auths": map[string]any{r.Host: map[string]string{"auth": auth}}})
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600))
	return dir
}

// CAFile writes the CA certificate to a file (for SSL_CERT_FILE).
func (r *Registry) CAFile(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.pem")
	must(t, os.WriteFile(p, r.CAPEM, 0o600))
	return p
}

// SetFault makes the registry answer 503 to the requests f picks (nil:
// none).
func (r *Registry) SetFault(f func(*http.Request) bool) {
	if f == nil {
		r.fault.Store(nil)
		return
	}
	r.fault.Store(&f)
}

// Count returns how many logged requests match method and contain part
// (path or query).
func (r *Registry) Count(method, part string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, l := range r.log {
		if strings.HasPrefix(l, method+" ") && strings.Contains(l, part) {
			n++
		}
	}
	return n
}

// ResetLog forgets the requests served so far.
func (r *Registry) ResetLog() {
	r.mu.Lock()
	r.log = nil
	r.mu.Unlock()
}

// Requests returns the requests served so far as "METHOD /path" and
// forgets them.
func (r *Registry) Requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.log))
	for i, l := range r.log {
		out[i], _, _ = strings.Cut(l, "?")
	}
	r.log = nil
	return out
}

// Ref parses a reference to this registry (plain HTTP without TLS).
func (r *Registry) Ref(t testing.TB, s string) name.Reference {
	t.Helper()
	var opts []name.Option
	if r.pool == nil {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(s, opts...)
	must(t, err)
	return ref
}

// Options are the remote options that reach this registry (its CA, its
// credentials).
func (r *Registry) Options() []remote.Option {
	return []remote.Option{remote.WithTransport(r.Transport()), remote.WithAuthFromKeychain(r.Keychain())}
}

// Push writes img to ref and returns its digest.
func (r *Registry) Push(t testing.TB, ref string, img v1.Image) string {
	t.Helper()
	must(t, remote.Write(r.Ref(t, ref), img, r.Options()...))
	d, err := img.Digest()
	must(t, err)
	return d.String()
}

// Get reads the image at ref.
func (r *Registry) Get(t testing.TB, ref string) v1.Image {
	t.Helper()
	img, err := remote.Image(r.Ref(t, ref), r.Options()...)
	must(t, err)
	return img
}

// Anonymous is a keychain with no credentials for any registry (the
// machine's Docker config is not read).
var Anonymous authn.Keychain = authn.NewMultiKeychain()
