package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/goldenpath-dev/goldenpath/dagger/internal/dagger"
	"github.com/goldenpath-dev/goldenpath/render"
)

// e2eNamespacePrefix starts the name of every namespace EndToEnd creates (e.g. to find ones a killed call left:
// kubectl get ns -l goldenpath.io/dagger-e2e).
const e2eNamespacePrefix = "dagger-e2e-"

// EndToEnd deploys an image to a Kubernetes cluster and checks that it answers HTTP: it renders the application's
// runtime objects with the goldenpath library pinned to image (what `goldenpath render --image` writes), applies
// them into a namespace of its own (dagger-e2e-<app>-<random>, labelled goldenpath.io/dagger-e2e), waits for the
// Deployment's rollout, asks the Service for path through the API server's service proxy
// (/api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH: the request is made from inside the cluster network, so
// no NodePort, port-forward or Ingress is needed) and returns the answer. The namespace is deleted at the end,
// whether the check passed or not (unless keep). It fails, with the pods' state and the namespace's events, when
// the rollout or the answer does not come within timeout.
//
// What is applied: the objects of the Deployment's folder in the GitOps tree whose API is built in (Deployment,
// Service, ConfigMap, Secret, ServiceAccount), moved to the namespace, plus a Secret with fake connection values
// for each Secret volume the pod mounts and the render does not make (bindings: the platform's catalogue makes
// them for real). The kpack Image, Ingress, ServiceBinding and Argo CD objects are left out (listed on stderr):
// the image is already built, and the check does not go through an ingress controller.
//
// How the cluster is reached: kubectl (the file given, a static linux binary) runs in the module's own container,
// with kubeconfig, so the API server must be reachable from inside the Dagger engine. With the scripts of this
// repository: hack/kind/setup.sh makes the cluster, hack/dagger/setup.sh connects the engine container to the
// cluster's Docker network and writes a kubeconfig whose server is the node's IP on it (with tls-server-name
// the node's name) to $GOLDENPATH_DAGGER_KUBECONFIG. The image is pulled by the cluster's nodes, not by Dagger:
// give it as they pull it (with hack/kind/setup.sh, 127.0.0.1:5111/... maps to the goldenpath registry).
//
//	dagger call end-to-end --image=127.0.0.1:5111/dagger-smoke/sample-go@sha256:... --contracts=../examples/apps/go \
//	  --kubeconfig=file://$GOLDENPATH_DAGGER_KUBECONFIG --kubectl=$GOLDENPATH_KUBECTL --expect="hello from"
//
// +cache="never"
func (m *Goldenpath) EndToEnd(
	ctx context.Context,
	// The image to run, pinned by digest, as the cluster's nodes pull it
	// (e.g. 127.0.0.1:5111/dagger-smoke/sample-go@sha256:...).
	image string,
	// Folder holding the application's contract.
	contracts *dagger.Directory,
	// Kubeconfig whose current context reaches the cluster from inside the Dagger engine
	// (e.g. file://$GOLDENPATH_DAGGER_KUBECONFIG).
	kubeconfig *dagger.Secret,
	// kubectl binary (linux, statically linked), e.g. $GOLDENPATH_KUBECTL.
	kubectl *dagger.File,
	// Platform file (default: the embedded default platform).
	// +optional
	platform *dagger.File,
	// Application to deploy when the contracts hold several.
	// +optional
	application string,
	// HTTP path to ask the Service for.
	// +optional
	// +default="/"
	path string,
	// Text the answer must contain.
	// +optional
	expect string,
	// Seconds allowed for the rollout, and again for the first answer.
	// +optional
	// +default=180
	timeout int,
	// Leave the namespace in place (to look at it after a failure).
	// +optional
	keep bool,
) (_ string, err error) {
	if timeout <= 0 {
		timeout = 180
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	pins := []string{image}
	if application != "" {
		pins = []string{application + "=" + image}
	}
	objs, err := m.render(ctx, contracts, platform, pins)
	if err != nil {
		return "", err
	}
	app, err := pickApp(objs, application)
	if err != nil {
		return "", err
	}
	k, err := newKube(ctx, kubeconfig, kubectl)
	if err != nil {
		return "", err
	}
	ns := e2eNamespace(app.deployment.Name())
	apply, skipped := app.runtimeObjects(ns)
	for _, s := range skipped {
		logf("not applied: %s", s)
	}

	// The namespace first, then everything else; from here on the namespace is removed on the way out.
	nsObj := render.Object{Value: map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": ns, "labels": map[string]any{
			"goldenpath.io/dagger-e2e": "true", "app.kubernetes.io/managed-by": "goldenpath-dagger",
		}},
	}}
	if err := k.apply(ctx, []render.Object{nsObj}); err != nil {
		return "", fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	logf("namespace %s created", ns)
	defer func() {
		if keep {
			logf("namespace %s kept (--keep)", ns)
			return
		}
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		start := time.Now()
		if _, derr := k.run(dctx, nil, "delete", "namespace", ns, "--wait=true", "--timeout=110s"); derr != nil {
			derr = fmt.Errorf("deleting namespace %s: %w", ns, derr)
			if err == nil {
				err = derr
			} else {
				err = errors.Join(err, derr)
			}
			return
		}
		logf("namespace %s deleted in %.1fs", ns, time.Since(start).Seconds())
	}()

	if err := k.apply(ctx, apply); err != nil {
		return "", err
	}
	logf("applied %d objects to %s, image %s", len(apply), ns, image)

	start := time.Now()
	name := app.deployment.Name()
	if _, err := k.run(ctx, nil, "-n", ns, "rollout", "status", "deployment/"+name, fmt.Sprintf("--timeout=%ds", timeout)); err != nil {
		return "", fmt.Errorf("deployment %s/%s did not roll out within %ds: %w\n%s", ns, name, timeout, err, k.describe(ctx, ns))
	}
	logf("deployment %s/%s rolled out in %.1fs", ns, name, time.Since(start).Seconds())

	// The first requests can fail while the endpoints catch up: ask until the deadline.
	start = time.Now()
	svc := app.service.Name()
	raw := fmt.Sprintf("/api/v1/namespaces/%s/services/%s:%d/proxy%s", ns, svc, app.service.Port(), path)
	deadline := start.Add(time.Duration(timeout) * time.Second)
	var body string
	for attempt := 1; ; attempt++ {
		body, err = k.run(ctx, nil, "get", "--raw", raw)
		if err == nil {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return "", fmt.Errorf("service %s/%s did not answer %s within %ds (%d attempts): %w\n%s",
				ns, svc, path, timeout, attempt, err, k.describe(ctx, ns))
		}
		time.Sleep(2 * time.Second)
	}
	logf("service %s/%s answered %s in %.1fs", ns, svc, path, time.Since(start).Seconds())
	if expect != "" && !strings.Contains(body, expect) {
		return "", fmt.Errorf("service %s/%s answered %s with %q, which does not contain %q", ns, svc, path, strings.TrimSpace(body), expect)
	}
	return body, nil
}

// e2eApp is the rendered folder of one application.
type e2eApp struct {
	deployment, service render.Object
	objs                []render.Object // the folder's objects
}

// pickApp finds the application's Deployment (the only one when application is empty) and the objects of its
// folder in the GitOps tree.
func pickApp(objs []render.Object, application string) (*e2eApp, error) {
	var deployments []render.Object
	for _, o := range objs {
		if o.Kind() == "Deployment" && (application == "" || o.Name() == application) {
			deployments = append(deployments, o)
		}
	}
	switch {
	case len(deployments) == 0 && application != "":
		return nil, fmt.Errorf("the contracts render no Deployment for application %q", application)
	case len(deployments) == 0:
		return nil, errors.New("the contracts render no Deployment")
	case len(deployments) > 1:
		names := make([]string, 0, len(deployments))
		for _, d := range deployments {
			names = append(names, d.Name())
		}
		return nil, fmt.Errorf("the contracts render %d Deployments (%s): pick one with --application", len(deployments), strings.Join(names, ", "))
	}
	a := &e2eApp{deployment: deployments[0]}
	dir := path.Dir(a.deployment.Path)
	for _, o := range objs {
		if path.Dir(o.Path) != dir {
			continue
		}
		a.objs = append(a.objs, o)
		if o.Kind() == "Service" && o.APIVersion() == "v1" {
			a.service = o
		}
	}
	if a.service.Value == nil {
		return nil, fmt.Errorf("application %s renders no Service", a.deployment.Name())
	}
	return a, nil
}

// runtimeKinds are the built-in kinds EndToEnd applies.
var runtimeKinds = map[string]bool{
	"apps/v1/Deployment": true, "v1/Service": true, "v1/ConfigMap": true, "v1/Secret": true, "v1/ServiceAccount": true,
}

// runtimeObjects returns copies of the runtime objects moved to namespace ns (plus test Secrets for the pod's Secret
// volumes the render does not make), and what it leaves out.
func (a *e2eApp) runtimeObjects(ns string) (apply []render.Object, skipped []string) {
	secrets := map[string]bool{}
	for _, o := range a.objs {
		id := o.APIVersion() + "/" + o.Kind()
		if !runtimeKinds[id] {
			skipped = append(skipped, fmt.Sprintf("%s %s (%s)", o.Kind(), o.Name(), o.Path))
			continue
		}
		if o.Kind() == "Secret" {
			secrets[o.Name()] = true
		}
		apply = append(apply, inNamespace(o, ns))
	}
	for _, name := range a.deployment.SecretVolumes() {
		if secrets[name] {
			continue
		}
		apply = append(apply, render.Object{Value: map[string]any{
			"apiVersion": "v1", "kind": "Secret",
			"metadata": map[string]any{"name": name, "namespace": ns},
			"stringData": map[string]any{
				"type": "generic", "provider": "goldenpath-dagger-e2e",
				"host": "127.0.0.1", "port": "5432", "username": "e2e", "password": "e2e",
			},
		}})
	}
	render.Sort(apply)
	return apply, skipped
}

// inNamespace returns a copy of o (its metadata copied) in namespace ns.
func inNamespace(o render.Object, ns string) render.Object {
	v := make(map[string]any, len(o.Value))
	for k, x := range o.Value {
		v[k] = x
	}
	md := map[string]any{}
	if old, ok := o.Value["metadata"].(map[string]any); ok {
		for k, x := range old {
			md[k] = x
		}
	}
	md["namespace"] = ns
	v["metadata"] = md
	return render.Object{Path: o.Path, Value: v}
}

var nonName = regexp.MustCompile(`[^a-z0-9-]+`)

// e2eNamespace is dagger-e2e-<app>-<6 random hex>, within the 63 characters of a namespace name.
func e2eNamespace(app string) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	app = strings.Trim(nonName.ReplaceAllString(strings.ToLower(app), "-"), "-")
	if room := 63 - len(e2eNamespacePrefix) - 7; len(app) > room {
		app = strings.TrimRight(app[:room], "-")
	}
	return e2eNamespacePrefix + app + "-" + hex.EncodeToString(b)
}

// kube runs kubectl in the module's container.
type kube struct{ bin, config, cache string }

func newKube(ctx context.Context, kubeconfig *dagger.Secret, kubectl *dagger.File) (*kube, error) {
	config, err := secretFile(ctx, kubeconfig, "kubeconfig")
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	bin, err := exportFile(ctx, kubectl, "kubectl")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(bin, 0o755); err != nil {
		return nil, err
	}
	k := &kube{bin: bin, config: config, cache: filepath.Join(filepath.Dir(config), "cache")}
	if _, err := k.run(ctx, nil, "version", "--client"); err != nil {
		return nil, fmt.Errorf("the kubectl file does not run here (a static linux binary is needed): %w", err)
	}
	return k, nil
}

// run runs kubectl with args and returns its standard output; the error carries its standard error.
func (k *kube) run(ctx context.Context, stdin []byte, args ...string) (string, error) {
	full := append([]string{"--kubeconfig", k.config, "--cache-dir", k.cache, "--request-timeout=30s"}, args...)
	cmd := exec.CommandContext(ctx, k.bin, full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = strings.TrimSpace(stdout.String())
		}
		return stdout.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, msg)
	}
	return stdout.String(), nil
}

// apply applies objects server-side.
func (k *kube) apply(ctx context.Context, objs []render.Object) error {
	var stream bytes.Buffer
	if err := render.Stream(&stream, objs); err != nil {
		return err
	}
	_, err := k.run(ctx, stream.Bytes(), "apply", "--server-side", "--field-manager=goldenpath-dagger-e2e", "-f", "-")
	return err
}

// describe gives what explains a failed rollout: the pods, their description and the namespace's events.
func (k *kube) describe(ctx context.Context, ns string) string {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var b strings.Builder
	for _, args := range [][]string{
		{"-n", ns, "get", "deployments,replicasets,pods,services,endpointslices", "-o", "wide"},
		{"-n", ns, "describe", "pods"},
		{"-n", ns, "get", "events", "--sort-by=.lastTimestamp"},
	} {
		out, err := k.run(dctx, nil, args...)
		fmt.Fprintf(&b, "--- kubectl %s\n%s", strings.Join(args, " "), out)
		if err != nil {
			fmt.Fprintf(&b, "(%v)\n", err)
		}
	}
	s := b.String()
	if len(s) > 8000 {
		s = s[:8000] + "\n... (cut)"
	}
	return s
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "goldenpath e2e: "+format+"\n", args...)
}
