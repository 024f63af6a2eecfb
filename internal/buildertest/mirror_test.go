package buildertest

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The mirror serves its files and forwards upstream folders over TLS that only its own CA validates.
func TestMirrorServesOverItsOwnCA(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "pypi", "simple"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pypi", "simple", "index.html"), []byte("<html></html>\n"), 0o644))
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "upstream "+r.Host+" "+r.URL.Path)
	}))
	defer up.Close()
	m := StartMirror(t, dir, "127.0.0.1:0", map[string]string{"npm": up.URL + "/registry"})

	_, err := http.Get(m.URL + "/pypi/simple/")
	require.Error(t, err, "the system roots do not know the mirror's CA")

	ca, err := os.ReadFile(m.CAFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(ca))
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	get := func(path string) (int, string) {
		resp, err := c.Get(m.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	code, body := get("/pypi/simple/")
	assert.Equal(t, 200, code)
	assert.Equal(t, "<html></html>\n", body)
	code, _ = get("/pypi/nothing-here")
	assert.Equal(t, 404, code)
	code, body = get("/npm/ms")
	assert.Equal(t, 200, code)
	assert.Equal(t, "upstream "+up.Listener.Addr().String()+" /registry/ms", body, "forwarded with the upstream's host and path")
	assert.Equal(t, 1, m.Hits("pypi"), "only successful requests count")
	assert.Equal(t, 1, m.Hits("npm"))
	assert.Equal(t, 2, m.Requests(), "every folder's successful requests")
}

// A mirror whose root forwards to an upstream, as npm needs.
func TestMirrorRootUpstream(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "upstream "+r.URL.Path)
	}))
	defer up.Close()
	m := StartMirror(t, t.TempDir(), "127.0.0.1:0", map[string]string{"": up.URL})
	ca, err := os.ReadFile(m.CAFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(ca))
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(m.URL + "/ms/-/ms-2.1.3.tgz")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "upstream /ms/-/ms-2.1.3.tgz", string(body))
	assert.Equal(t, 1, m.Requests(), "a forwarded request below a package's folder counts")
}
