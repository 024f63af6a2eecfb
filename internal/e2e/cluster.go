// Package e2e runs goldenpath end to end on a real Kubernetes cluster: the
// offline kind cluster hack/kind/setup.sh makes (Kubernetes built from its
// Go modules, no public image pulled). A Cluster is a handle on it
// (kubeconfig, kubectl, the NodePorts mapped to 127.0.0.1); Deploy applies
// an application's rendered runtime objects, waits for the rollout and
// reaches the Service over HTTP; Run builds the image first. The `goldenpath
// e2e` command and the e2e tests (go test -tags e2e ./internal/e2e) use it.
//
// The cluster is driven with kubectl (server-side apply, rollout status,
// port-forward), the same binary the setup built, so this package adds no
// Kubernetes client library to the module.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goldenpath-dev/goldenpath/render"
)

// FieldManager is the server-side apply field manager of everything applied
// here.
const FieldManager = "goldenpath-e2e"

// Cluster is a handle on a running cluster.
type Cluster struct {
	// Name of the kind cluster; Node is its node container.
	Name, Node string
	// Kubeconfig and Kubectl are the files kubectl is run with.
	Kubeconfig, Kubectl string
	// NodePorts maps a node port to the 127.0.0.1:PORT it is published on.
	NodePorts map[int]string
	// Log, when set, receives each kubectl command line and progress.
	Log io.Writer

	mu        sync.Mutex
	usedPorts map[int]bool
}

// Connect returns a handle on the cluster hack/kind/setup.sh made (see
// Settings), after checking that its API server is ready (waiting up to a
// minute: a loaded machine answers slowly).
func Connect(ctx context.Context) (*Cluster, error) {
	env, err := Settings()
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		Name:       env["GOLDENPATH_KIND_CLUSTER"],
		Node:       env["GOLDENPATH_KIND_NODE"],
		Kubeconfig: env["GOLDENPATH_KUBECONFIG"],
		Kubectl:    env["GOLDENPATH_KUBECTL"],
		NodePorts:  map[int]string{},
		usedPorts:  map[int]bool{},
	}
	for _, pair := range strings.Fields(env["GOLDENPATH_KIND_NODEPORTS"]) {
		k, v, ok := strings.Cut(pair, "=")
		if n, err := strconv.Atoi(k); ok && err == nil && v != "" {
			c.NodePorts[n] = v
		}
	}
	var last error
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		_, last = c.Kube(cctx, nil, "get", "--raw", "/readyz")
		cancel()
		if last == nil {
			return c, nil
		}
	}
	return nil, fmt.Errorf("the e2e cluster %q does not answer (kubeconfig %s): %v (run `bash hack/setup.sh kind`)", c.Name, c.Kubeconfig, last)
}

func (c *Cluster) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, "e2e: "+format+"\n", args...)
	}
}

// Command returns a kubectl command on the cluster.
func (c *Cluster) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.Kubectl, append([]string{"--kubeconfig", c.Kubeconfig}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Kube runs kubectl with stdin and returns its standard output; on failure
// the error carries its standard error.
func (c *Cluster) Kube(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	c.logf("kubectl %s", strings.Join(args, " "))
	cmd := c.Command(ctx, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// Apply applies objects with server-side apply (field manager
// FieldManager, taking over conflicting fields). With dryRun the API server
// validates and admits them (defaulting, schema, admission) without
// storing anything.
func (c *Cluster) Apply(ctx context.Context, objs []render.Object, dryRun bool) error {
	if len(objs) == 0 {
		return nil
	}
	var data bytes.Buffer
	if err := render.Stream(&data, objs); err != nil {
		return err
	}
	args := []string{"apply", "--server-side", "--force-conflicts", "--field-manager", FieldManager, "-f", "-"}
	if dryRun {
		args = append(args, "--dry-run=server")
	}
	_, err := c.Kube(ctx, data.Bytes(), args...)
	return err
}

// ApplyEach applies (or dry-runs) each object on its own and returns one
// error per rejected object, naming it; nil when the server accepted all.
func (c *Cluster) ApplyEach(ctx context.Context, objs []render.Object, dryRun bool) []error {
	var errs []error
	for _, o := range objs {
		if err := c.Apply(ctx, []render.Object{o}, dryRun); err != nil {
			errs = append(errs, fmt.Errorf("%s %s/%s (%s): %w", o.Kind(), o.Namespace(), o.Name(), o.Path, err))
		}
	}
	return errs
}

// ApplyFiles applies manifests files with server-side apply.
func (c *Cluster) ApplyFiles(ctx context.Context, files ...string) error {
	args := []string{"apply", "--server-side", "--force-conflicts", "--field-manager", FieldManager}
	for _, f := range files {
		args = append(args, "-f", f)
	}
	_, err := c.Kube(ctx, nil, args...)
	return err
}

// EnsureNamespace creates a namespace unless it exists. A namespace still
// being deleted (by an earlier run's cleanup) is waited for first (up to 10
// minutes: deleting a namespace on a cold, loaded cluster takes minutes).
func (c *Cluster) EnsureNamespace(ctx context.Context, name string) error {
	if phase, err := c.Kube(ctx, nil, "get", "namespace", name, "-o", "jsonpath={.status.phase}", "--ignore-not-found"); err == nil && string(phase) == "Terminating" {
		c.logf("namespace %s is being deleted: waiting", name)
		if _, err := c.Kube(ctx, nil, "wait", "--for=delete", "namespace/"+name, "--timeout=600s"); err != nil {
			return err
		}
	}
	return c.Apply(ctx, []render.Object{{Value: map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": name, "labels": map[string]any{"app.kubernetes.io/managed-by": FieldManager}},
	}}}, false)
}

// Delete deletes objects (ignoring those already gone) without waiting.
func (c *Cluster) Delete(ctx context.Context, objs []render.Object) error {
	if len(objs) == 0 {
		return nil
	}
	var data bytes.Buffer
	if err := render.Stream(&data, objs); err != nil {
		return err
	}
	_, err := c.Kube(ctx, data.Bytes(), "delete", "--ignore-not-found", "--wait=false", "-f", "-")
	return err
}

// DeleteNamespace deletes a namespace and, with wait, waits until it is gone
// (up to 10 minutes).
func (c *Cluster) DeleteNamespace(ctx context.Context, name string, wait bool) error {
	_, err := c.Kube(ctx, nil, "delete", "namespace", name, "--ignore-not-found", "--wait="+strconv.FormatBool(wait), "--timeout=600s")
	return err
}

// HasCRD says whether the cluster serves a CRD (its full name, such as
// images.kpack.io).
func (c *Cluster) HasCRD(ctx context.Context, name string) bool {
	_, err := c.Kube(ctx, nil, "get", "crd", name, "-o", "name")
	return err == nil
}

// EnsureCRDs installs the CRDs of the manifest files the cluster does not
// serve yet and waits until they are established; it returns the files it
// installed. CRDs already served are left alone (kpack's and Argo CD's own,
// with their conversion webhooks, when those run in the cluster), and
// nothing is ever removed: deleting a CRD waits for every object of its kind
// to go, which takes minutes on a cold cluster, and re-creating it per test
// races other users of the cluster.
func (c *Cluster) EnsureCRDs(ctx context.Context, files ...string) ([]string, error) {
	var added []string
	for _, f := range files {
		if _, err := c.Kube(ctx, nil, "get", "-f", f, "-o", "name"); err != nil {
			added = append(added, f)
		}
	}
	if len(added) == 0 {
		return nil, nil
	}
	if err := c.ApplyFiles(ctx, added...); err != nil {
		return added, err
	}
	args := []string{"wait", "--for=condition=Established", "--timeout=300s"}
	for _, f := range added {
		args = append(args, "-f", f)
	}
	_, err := c.Kube(ctx, nil, args...)
	return added, err
}

// WaitRollout waits until a Deployment's rollout is complete.
func (c *Cluster) WaitRollout(ctx context.Context, namespace, name string, timeout time.Duration) error {
	_, err := c.Kube(ctx, nil, "-n", namespace, "rollout", "status", "deployment/"+name, "--timeout="+timeout.String())
	if err != nil {
		return fmt.Errorf("%w\n%s", err, c.Describe(ctx, namespace))
	}
	return nil
}

// Describe returns what helps understand a failed rollout: the namespace's
// pods, their events and the app containers' last logs.
func (c *Cluster) Describe(ctx context.Context, namespace string) string {
	var b strings.Builder
	for _, args := range [][]string{
		{"-n", namespace, "get", "deploy,rs,pods,svc,endpoints", "-o", "wide"},
		{"-n", namespace, "get", "events", "--sort-by=.lastTimestamp"},
		{"-n", namespace, "logs", "--all-containers", "--tail=30", "--prefix", "-l", "app.kubernetes.io/managed-by=goldenpath"},
	} {
		out, err := c.Command(ctx, args...).CombinedOutput()
		fmt.Fprintf(&b, "$ kubectl %s\n%s", strings.Join(args, " "), out)
		if err != nil {
			fmt.Fprintf(&b, "(%v)\n", err)
		}
	}
	return b.String()
}

// Exec runs a command in a Deployment's pod and returns its output.
func (c *Cluster) Exec(ctx context.Context, namespace, deployment string, command ...string) ([]byte, error) {
	return c.Kube(ctx, nil, append([]string{"-n", namespace, "exec", "deploy/" + deployment, "--"}, command...)...)
}

// ReserveNodePort takes a free node port of those published on 127.0.0.1
// (one not used by any Service and not reserved by this handle) and returns
// it with its host address; release gives it back.
func (c *Cluster) ReserveNodePort(ctx context.Context) (port int, hostAddr string, release func(), err error) {
	out, err := c.Kube(ctx, nil, "get", "services", "--all-namespaces", "-o", "jsonpath={range .items[*]}{range .spec.ports[*]}{.nodePort} {end}{end}")
	if err != nil {
		return 0, "", nil, err
	}
	inUse := map[int]bool{}
	for _, f := range strings.Fields(string(out)) {
		if n, err := strconv.Atoi(f); err == nil {
			inUse[n] = true
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for p, addr := range c.NodePorts {
		if !inUse[p] && !c.usedPorts[p] {
			c.usedPorts[p] = true
			return p, addr, func() { c.mu.Lock(); delete(c.usedPorts, p); c.mu.Unlock() }, nil
		}
	}
	return 0, "", nil, errors.New("no free node port published on 127.0.0.1 (see GOLDENPATH_KIND_NODEPORTS)")
}

// PortForward forwards a free port of 127.0.0.1 to a Service's port with
// kubectl port-forward, and returns the local address and a stop function.
func (c *Cluster) PortForward(ctx context.Context, namespace, service string, port int) (string, func(), error) {
	fctx, cancel := context.WithCancel(context.Background())
	cmd := c.Command(fctx, "-n", namespace, "port-forward", "--address", "127.0.0.1", "svc/"+service, fmt.Sprintf(":%d", port))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return "", nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		return "", nil, err
	}
	stop := func() { cancel(); _ = cmd.Wait() }
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			// "Forwarding from 127.0.0.1:41234 -> 8080"
			if f := strings.Fields(sc.Text()); len(f) >= 3 && f[0] == "Forwarding" {
				select {
				case lines <- f[2]:
				default:
				}
			}
		}
	}()
	select {
	case addr := <-lines:
		return addr, stop, nil
	case <-time.After(time.Minute):
	case <-ctx.Done():
	}
	stop()
	return "", nil, fmt.Errorf("kubectl port-forward svc/%s did not start: %s", service, strings.TrimSpace(stderr.String()))
}

// Get polls url until it answers 200 with a body (or within passes) and
// returns the body. The first requests through a fresh NodePort can come
// back empty or refused: they are retried.
func Get(ctx context.Context, url string, within time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext:       (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		DisableKeepAlives: true,
	}}
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && len(body) > 0 {
				return string(body), nil
			}
			last = fmt.Errorf("status %d: %q", resp.StatusCode, strings.TrimSpace(string(body)))
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%s did not answer within %s: %v", url, within, last)
		case <-time.After(300 * time.Millisecond):
		}
	}
}
