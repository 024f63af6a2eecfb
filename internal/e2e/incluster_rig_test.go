//go:build incluster

package e2e_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/e2e"
	"github.com/goldenpath-dev/goldenpath/internal/gitserver"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// The in-cluster scenario's own names: everything it makes is prefixed ctl-
// (namespaces ctl-system, ctl-dev, ctl-test; registry repositories ctl/...;
// Argo CD project and Applications ctl-...), or is what its platform
// renders (the kpack ClusterStore/Stack/Builder "default", the controller's
// cluster role).
const (
	ctlPrefix    = "ctl"
	ctlSystem    = "ctl-system"
	ctlDev       = "ctl-dev"
	ctlTest      = "ctl-test"
	gitopsRepo   = "ctl-gitops"
	controllerNS = ctlSystem
)

// envFiles is what the setup scripts wrote (e2e.Env: $GOLDENPATH_CACHE/env.sh and its sections, the process
// environment over them), checked for what the scenario needs.
func envFiles(t *testing.T) map[string]string {
	t.Helper()
	env := e2e.Env()
	env["GOLDENPATH_CACHE"] = e2e.Cache()
	for _, k := range []string{"GOLDENPATH_REGISTRY", "GOLDENPATH_REGISTRY_CLUSTER", "GOLDENPATH_KPACK_PLATFORM", "GOLDENPATH_ARGOCD_NAMESPACE", "GOLDENPATH_KIND_NODE"} {
		require.NotEmpty(t, env[k], "%s is not set: run bash hack/setup.sh && bash hack/setup.sh kind git kpack argocd (README: Running the golden path in a cluster)", k)
	}
	return env
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// gitRig is the scenario's own git server (internal/gitserver): pushes need
// a password, every push is delivered as a Gitea webhook to the
// controller, and the test can hold a push or take the server down. It
// listens on 127.0.0.1 (the test pushes there), on the kind network's
// gateway over HTTP (Argo CD reads and the controller pushes the GitOps
// repository) and over TLS with the certificate hack/kpack/setup.sh made
// for its git front (kpack clones sources over https: contracts take no
// http:// URL).
type gitRig struct {
	t                   *testing.T
	root                string
	srv                 *gitserver.Server
	hostURL             string // http://user:pass@127.0.0.1:P
	clusterHTTP         string // http://GW:P2
	clusterHTTPS        string // https://GW:P3
	user, pass          string
	controllerPass      string
	deliveries          chan gitserver.Delivery
	mu                  sync.Mutex
	hold                chan struct{} // non-nil: pushes to the GitOps repository wait for it
	held                chan string
	gwHTTP              *http.Server
	gwHTTPAddr          string
	servers             []*http.Server
	hookSecret, hookURL string
}

func newGitRig(t *testing.T, gateway, tlsPEM, hookURL string) *gitRig {
	t.Helper()
	g := &gitRig{t: t, root: t.TempDir(), user: "ctl-dev", pass: randomHex(12), controllerPass: randomHex(12),
		deliveries: make(chan gitserver.Delivery, 100), hookSecret: randomHex(16), hookURL: hookURL, held: make(chan string, 10)}
	srv, err := gitserver.NewHandler(g.root, gitserver.Options{
		Users:    map[string]string{g.user: g.pass, "ctl-controller": g.controllerPass},
		Hooks:    []gitserver.Hook{{URL: hookURL, Secret: g.hookSecret, Format: "gitea"}},
		CloneURL: "https://" + gateway,
		BeforePush: func(repo string) {
			g.mu.Lock()
			hold := g.hold
			g.mu.Unlock()
			if hold != nil && repo == gitopsRepo+".git" {
				g.held <- repo
				<-hold
			}
		},
		Logf: func(format string, args ...any) { t.Logf(format, args...) },
	})
	require.NoError(t, err)
	srv.Deliveries = g.deliveries
	g.srv = srv
	host := g.listen("127.0.0.1:0", nil)
	g.hostURL = "http://" + g.user + ":" + g.pass + "@" + host
	g.gwHTTPAddr = g.listen(gateway+":0", nil)
	g.gwHTTP = g.servers[len(g.servers)-1]
	g.clusterHTTP = "http://" + g.gwHTTPAddr
	cert, err := tls.X509KeyPair(pemPart(t, tlsPEM, "CERTIFICATE"), pemPart(t, tlsPEM, "PRIVATE KEY"))
	require.NoError(t, err, "the git TLS certificate of hack/kpack/setup.sh (%s)", tlsPEM)
	tlsAddr := g.listen(gateway+":0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	g.clusterHTTPS = "https://" + tlsAddr
	t.Cleanup(func() {
		for _, s := range g.servers {
			_ = s.Close()
		}
	})
	return g
}

// pemPart returns the PEM blocks of a file whose type contains kind.
func pemPart(t *testing.T, file, kind string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var out bytes.Buffer
	in := false
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if strings.HasPrefix(l, "-----BEGIN ") {
			in = strings.Contains(l, kind)
		}
		if in {
			out.WriteString(l)
		}
		if strings.HasPrefix(l, "-----END ") {
			in = false
		}
	}
	return out.Bytes()
}

func (g *gitRig) listen(addr string, tlsCfg *tls.Config) string {
	l, err := net.Listen("tcp", addr)
	require.NoError(g.t, err)
	if tlsCfg != nil {
		l = tls.NewListener(l, tlsCfg)
	}
	s := &http.Server{Handler: g.srv, ReadHeaderTimeout: 10 * time.Second}
	g.servers = append(g.servers, s)
	go func() { _ = s.Serve(l) }()
	return l.Addr().String()
}

// down stops the gateway HTTP listener (the controller's push and Argo
// CD's fetch fail: connection refused); up serves it again on the same
// address.
func (g *gitRig) down() { _ = g.gwHTTP.Close() }

func (g *gitRig) up() {
	var l net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port may linger for a moment
		if l, err = net.Listen("tcp", g.gwHTTPAddr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(g.t, err)
	s := &http.Server{Handler: g.srv, ReadHeaderTimeout: 10 * time.Second}
	g.gwHTTP = s
	g.servers = append(g.servers, s)
	go func() { _ = s.Serve(l) }()
}

// holdGitOps makes the next pushes to the GitOps repository wait until
// release is called; held receives the repository when one is waiting.
func (g *gitRig) holdGitOps() (release func()) {
	ch := make(chan struct{})
	g.mu.Lock()
	g.hold = ch
	g.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			g.hold = nil
			g.mu.Unlock()
			close(ch)
		})
	}
}

func (g *gitRig) init(name string) {
	_, err := gitserver.Init(g.root, name, "main")
	require.NoError(g.t, err)
}

// git runs git in dir with a fixed identity.

// figures collects the measured times, printed at the end and written to
// $GOLDENPATH_CACHE/incluster/controller-figures.txt.
type figures struct {
	mu    sync.Mutex
	lines []string
	file  string
}

func (f *figures) add(t *testing.T, what string, d time.Duration, extra ...string) {
	line := fmt.Sprintf("%-66s %6.1fs %s", what, d.Seconds(), strings.Join(extra, " "))
	t.Log("FIGURE " + line)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lines = append(f.lines, line)
	if f.file != "" {
		_ = os.WriteFile(f.file, []byte(strings.Join(f.lines, "\n")+"\n"), 0o644)
	}
}

// scenario holds what the in-cluster test set up.
type scenario struct {
	t        *testing.T
	c        *e2e.Cluster
	env      map[string]string
	root     string
	work     string
	gp       string // the goldenpath binary built from this tree
	gateway  string
	git      *gitRig
	platform string // the platform file
	figs     *figures
	proxy    string // kubectl proxy base URL
}

// kubectl runs kubectl and fails the test on error.
func (s *scenario) kubectl(args ...string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := s.c.Kube(ctx, nil, args...)
	require.NoError(s.t, err)
	return strings.TrimSpace(string(out))
}

// kubectlIn runs kubectl with stdin.
func (s *scenario) kubectlIn(stdin []byte, args ...string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := s.c.Kube(ctx, stdin, args...)
	require.NoError(s.t, err)
	return strings.TrimSpace(string(out))
}

// goldenpath runs the CLI built from this tree.
func (s *scenario) goldenpath(args ...string) (string, error) {
	cmd := exec.Command(s.gp, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+s.c.Kubeconfig)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("goldenpath %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

// eventually polls f until it returns nil or within passes (a failure
// guard, never a measurement), failing with f's last error and what
// explain says.
func (s *scenario) eventually(within time.Duration, what string, f func() error, explain ...func() string) {
	s.t.Helper()
	deadline := time.Now().Add(within)
	var last error
	for time.Now().Before(deadline) {
		if last = f(); last == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	var more strings.Builder
	for _, e := range explain {
		more.WriteString(e())
	}
	s.t.Fatalf("%s: not within %s: %v\n%s", what, within, last, more.String())
}

// get answers GET path through kubectl proxy (the API server's service
// proxy): the body, or an error.
func (s *scenario) get(path string) (string, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(s.proxy + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, strings.TrimSpace(b.String()))
	}
	return b.String(), nil
}

// startProxy runs kubectl proxy on a free port of 127.0.0.1.
func (s *scenario) startProxy() {
	port := testenv.FreePort(s.t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := s.c.Command(ctx, "proxy", "--address", "127.0.0.1", "--port", fmt.Sprint(port))
	require.NoError(s.t, cmd.Start())
	s.t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	s.proxy = fmt.Sprintf("http://127.0.0.1:%d", port)
	s.eventually(30*time.Second, "kubectl proxy", func() error { _, err := s.get("/readyz"); return err })
}

// patchRunImage pushes a patched run image under the scenario's run image
// tag, as a platform team does after a CVE fix: the original plus a layer
// with /etc/goldenpath-patch holding patch, and the label
// io.goldenpath.patch.
func (s *scenario) patchRunImage(patch string) {
	s.t.Helper()
	reg := s.env["GOLDENPATH_REGISTRY"]
	base, err := crane.Pull(reg+"/goldenpath/run:bookworm", crane.Insecure)
	require.NoError(s.t, err)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	data := []byte(patch + "\n")
	require.NoError(s.t, tw.WriteHeader(&tar.Header{Name: "etc/goldenpath-patch", Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0)}))
	_, err = tw.Write(data)
	require.NoError(s.t, err)
	require.NoError(s.t, tw.Close())
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	require.NoError(s.t, err)
	img, err := mutate.AppendLayers(base, layer)
	require.NoError(s.t, err)
	cf, err := img.ConfigFile()
	require.NoError(s.t, err)
	cf = cf.DeepCopy()
	if cf.Config.Labels == nil {
		cf.Config.Labels = map[string]string{}
	}
	cf.Config.Labels["io.goldenpath.patch"] = patch
	img, err = mutate.ConfigFile(img, cf)
	require.NoError(s.t, err)
	require.NoError(s.t, crane.Push(img, reg+"/ctl/run:bookworm", crane.Insecure))
	d, _ := img.Digest()
	s.t.Logf("pushed the patched run image %s/ctl/run:bookworm@%s (patch %s)", reg, d, patch)
}
