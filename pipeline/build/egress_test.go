package build

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
)

func testCAPEM(t *testing.T) (cert, key []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "goldenpath test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(k)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func networkPlatform(t *testing.T, caFile string) *contract.Platform {
	t.Helper()
	data := string(contract.DefaultPlatformYAML()) + `egress:
  mirrors:
    npmRegistry: {url: "https://npm.corp.example/"}
  caCertificates:
    bundles: [{file: "` + caFile + `"}]
  proxy: {httpsProxy: "http://proxy.corp.example:3128"}
`
	p, err := contract.LoadPlatform("platform.yaml", []byte(data))
	require.NoError(t, err)
	return p
}

func TestEgressStagesCABindings(t *testing.T) {
	cert, key := testCAPEM(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	// A careless bundle with the CA's private key in it: only the certificate may reach the build.
	require.NoError(t, os.WriteFile(caFile, append(append([]byte("junk\n"), cert...), key...), 0o600))
	n, err := newEgress(networkPlatform(t, caFile), "default",
		map[string]string{"BP_GO_TARGET": "./cmd/app", "GOLDENPATH_MIRROR_NPM": "https://evil.example/"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "https://npm.corp.example/", n.Env["GOLDENPATH_MIRROR_NPM"], "the platform's mirror wins over an app's env")
	assert.Equal(t, "./cmd/app", n.Env["BP_GO_TARGET"])
	assert.Equal(t, "http://proxy.corp.example:3128", n.Env["HTTPS_PROXY"])
	require.Len(t, n.Volumes, 2)
	host, target, ok := strings.Cut(n.Volumes[0], ":")
	require.True(t, ok)
	assert.Equal(t, "/platform/bindings/goldenpath-ca-1:ro", target)
	// (and the certificate, for the lifecycle's own registry traffic, where Go reads its roots)
	assert.Equal(t, filepath.Join(host, "ca.pem")+":/etc/ssl/certs/goldenpath-ca-1.pem:ro", n.Volumes[1])
	typ, err := os.ReadFile(filepath.Join(host, "type"))
	require.NoError(t, err)
	assert.Equal(t, "ca-certificates", string(typ))
	staged, err := os.ReadFile(filepath.Join(host, "ca.pem"))
	require.NoError(t, err)
	assert.Equal(t, string(cert), string(staged), "the certificate only, without the junk and the private key")
	info, err := os.Stat(filepath.Join(host, "ca.pem"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), info.Mode().Perm(), "readable by the build's user")
	n.Close()
	_, err = os.Stat(host)
	assert.True(t, os.IsNotExist(err), "Close removes the staged bindings")
}

func TestEgressRefusesBadCAFiles(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello"), 0o644))
	_, err := newEgress(networkPlatform(t, notPEM), "default", nil, nil)
	assert.ErrorContains(t, err, "platform egress.caCertificates: CA bundle 1: holds no PEM certificate")
	_, err = newEgress(networkPlatform(t, filepath.Join(dir, "missing.pem")), "default", nil, nil)
	assert.ErrorContains(t, err, "reading CA bundle")
}

func TestProxyBuildArgs(t *testing.T) {
	cert, _ := testCAPEM(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, cert, 0o644))
	assert.Equal(t, []string{"--build-arg", "HTTPS_PROXY=http://proxy.corp.example:3128", "--build-arg", "https_proxy=http://proxy.corp.example:3128"},
		proxyBuildArgs(networkPlatform(t, caFile), "default"))
	assert.Empty(t, proxyBuildArgs(contract.DefaultPlatform(), "default"))
}

func TestPlatformFilesForTheCreator(t *testing.T) {
	cert, key := testCAPEM(t)
	files, err := PlatformFiles(map[string]string{"GOLDENPATH_MIRROR_GO": "https://goproxy.corp.example"}, [][]byte{append(cert, key...)})
	require.NoError(t, err)
	assert.Equal(t, map[string][]byte{
		"env/GOLDENPATH_MIRROR_GO":          []byte("https://goproxy.corp.example"),
		"bindings/goldenpath-ca-1/type":     []byte("ca-certificates"),
		"bindings/goldenpath-ca-1/provider": []byte("goldenpath"),
		"bindings/goldenpath-ca-1/ca.pem":   cert,
	}, files)
	_, err = PlatformFiles(nil, [][]byte{key})
	assert.ErrorContains(t, err, "CA bundle 1: holds no PEM certificate")
}

// A mirror's credentialsSecret reaches a local build as the folder given for it, mounted where kpack would mount
// the Secret; a missing folder or key, or a folder for a Secret the platform does not name, is refused first.
func TestEgressSecretBindings(t *testing.T) {
	p, err := contract.LoadPlatform("platform.yaml", append(contract.DefaultPlatformYAML(), `egress:
  mirrors:
    npmRegistry: {url: "https://npm.corp.example/", credentialsSecret: corp-npm}
`...))
	require.NoError(t, err)
	_, err = newEgress(p, "default", nil, nil)
	assert.ErrorContains(t, err, "platform egress.mirrors: GOLDENPATH_MIRROR_NPM_CREDENTIALS names the Secret corp-npm, whose username and password a build outside the cluster must be given: goldenpath build --binding corp-npm=DIR (DIR holding the files username and password); the Dagger module: --secret-bindings")

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "username"), []byte("ci"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "settings.xml"), []byte("<other secrets/>"), 0o600))
	_, err = newEgress(p, "default", nil, map[string]string{"corp-npm": dir})
	assert.ErrorContains(t, err, "binding corp-npm: "+dir+" has no file password")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "password"), []byte("s3cret"), 0o600))

	_, err = newEgress(p, "default", nil, map[string]string{"corp-npm": dir, "other": dir})
	assert.ErrorContains(t, err, `binding other: the platform names no Secret other for the builds of builder "default"`)

	n, err := newEgress(p, "default", nil, map[string]string{"corp-npm": dir})
	require.NoError(t, err)
	defer n.Close()
	require.Len(t, n.Volumes, 1)
	staged, target, _ := strings.Cut(n.Volumes[0], ":")
	assert.Equal(t, "/platform/bindings/corp-npm:ro", target)
	entries, err := os.ReadDir(staged)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		info, err := e.Info()
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o644), info.Mode().Perm(), "readable by the build's user, whatever the folder's modes")
	}
	assert.Equal(t, []string{"password", "username"}, names, "only the Secret's two keys reach the build, not the rest of the folder")
	pw, err := os.ReadFile(filepath.Join(staged, "password"))
	require.NoError(t, err)
	assert.Equal(t, "s3cret", string(pw))
	assert.Equal(t, "corp-npm", n.Env["GOLDENPATH_MIRROR_NPM_CREDENTIALS"], "the buildpacks find the binding by this name")
}
