package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
	"github.com/goldenpath-dev/goldenpath/render"
)

// crdOf names the CRD an object of a custom kind needs; kinds not listed are
// built in. Deploy applies custom objects only when asked (ApplyCustom) and
// the cluster serves their CRD: the image is built by the pipeline and the
// objects are applied directly, so a kpack Image or Argo CD Application
// would only make kpack or Argo CD (when they run in the same cluster) build
// or sync the same app a second time, from a repository the test does not
// control.
var crdOf = map[string]string{
	"kpack.io/Image":                         "images.kpack.io",
	"kpack.io/ClusterBuilder":                "clusterbuilders.kpack.io",
	"kpack.io/ClusterStack":                  "clusterstacks.kpack.io",
	"kpack.io/ClusterStore":                  "clusterstores.kpack.io",
	"kpack.io/ClusterLifecycle":              "clusterlifecycles.kpack.io",
	"argoproj.io/Application":                "applications.argoproj.io",
	"argoproj.io/AppProject":                 "appprojects.argoproj.io",
	"servicebinding.io/ServiceBinding":       "servicebindings.servicebinding.io",
	"monitoring.coreos.com/PrometheusRule":   "prometheusrules.monitoring.coreos.com",
	"kustomize.config.k8s.io/Kustomization":  "", // a file for kustomize, never an API object
	"kustomize.config.k8s.io/Kustomizations": "",
}

// CRDFor returns the CRD an object needs ("" for a built-in kind) and
// whether it is an API object at all (a kustomization.yaml is not).
func CRDFor(o render.Object) (crd string, apiObject bool) {
	group, _, _ := strings.Cut(o.APIVersion(), "/")
	if !strings.Contains(o.APIVersion(), "/") {
		group = ""
	}
	crd, listed := crdOf[group+"/"+o.Kind()]
	if listed && crd == "" {
		return "", false
	}
	return crd, true
}

// Deployed is one application running in the cluster.
type Deployed struct {
	// Request is the application's contract.
	Request *contract.AppDeploymentRequest
	// Image is the pinned image reference the Deployment runs.
	Image string
	// Namespace and Name of the Deployment and Service.
	Namespace, Name string
	// Applied are the objects applied; Skipped those left out, with why.
	Applied []render.Object
	Skipped map[string]string
	// URL reaches the Service from 127.0.0.1; Body is its answer.
	URL, Body string
	// RolloutSeconds is how long the rollout took, ReachSeconds how long
	// until the Service answered.
	RolloutSeconds, ReachSeconds float64

	cluster  *Cluster
	opts     DeployOptions
	cleanups []func()
}

// DeployOptions tune Deploy.
type DeployOptions struct {
	// Platform renders the objects (its registry is the one the image was
	// published to).
	Platform *contract.Platform
	// Path is the HTTP path asked (default "/").
	Path string
	// Timeout bounds the rollout and the first answer (default 5m: the
	// first pull of an image on a cold, loaded node takes minutes).
	Timeout time.Duration
	// PortForward reaches the Service with kubectl port-forward instead of
	// a NodePort published on 127.0.0.1.
	PortForward bool
	// ApplyCustom also applies the custom objects (kpack Image, Argo CD
	// Application, ServiceBinding, ...) whose CRD the cluster serves.
	ApplyCustom bool
}

// Deploy renders an application's objects pinned to image, applies its
// runtime objects (namespace first, a test Secret for each binding, then
// the Deployment, Service and Ingress; the kpack Image, Argo CD Application
// and other custom objects only with ApplyCustom and when the cluster serves
// their CRD), waits
// for the rollout and reaches the Service over HTTP. Roll moves it to
// another image. Call Cleanup to remove what it made (the namespace stays).
func (c *Cluster) Deploy(ctx context.Context, r *contract.AppDeploymentRequest, image string, opts DeployOptions) (*Deployed, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Minute
	}
	if opts.Path == "" {
		opts.Path = "/"
	}
	if opts.Platform == nil {
		opts.Platform = contract.DefaultPlatform()
	}
	d := &Deployed{Request: r, cluster: c, opts: opts}
	service, err := d.apply(ctx, image)
	if err != nil {
		return d, err
	}
	start := time.Now()
	port := service.Port()
	if opts.PortForward {
		addr, stop, err := c.PortForward(ctx, d.Namespace, service.Name(), port)
		if err != nil {
			return d, err
		}
		d.cleanups = append(d.cleanups, stop)
		d.URL = "http://" + addr + opts.Path
	} else {
		addr, err := d.exposeNodePort(ctx, *service, port)
		if err != nil {
			return d, err
		}
		d.URL = "http://" + addr + opts.Path
	}
	if d.Body, err = Get(ctx, d.URL, opts.Timeout); err != nil {
		return d, fmt.Errorf("%w\n%s", err, c.Describe(ctx, d.Namespace))
	}
	d.ReachSeconds = time.Since(start).Seconds()
	return d, nil
}

// Roll re-renders the application pinned to another image, applies it,
// waits for the new rollout and asks the Service again (same URL).
func (d *Deployed) Roll(ctx context.Context, image string) error {
	if _, err := d.apply(ctx, image); err != nil {
		return err
	}
	start := time.Now()
	var err error
	if d.Body, err = Get(ctx, d.URL, d.opts.Timeout); err != nil {
		return fmt.Errorf("%w\n%s", err, d.cluster.Describe(ctx, d.Namespace))
	}
	d.ReachSeconds = time.Since(start).Seconds()
	return nil
}

// apply renders pinned to image, applies and waits for the rollout; it
// returns the rendered Service.
func (d *Deployed) apply(ctx context.Context, image string) (*render.Object, error) {
	c, r := d.cluster, d.Request
	objs, err := goldenpath.RenderRequests([]*contract.AppDeploymentRequest{r}, goldenpath.WithPlatform(d.opts.Platform), goldenpath.WithImages(map[string]string{r.Application: image}))
	if err != nil {
		return nil, fmt.Errorf("rendering %s pinned to %s: %w", r.Application, image, err)
	}
	d.Image, d.Skipped = image, map[string]string{}
	var deployment, service *render.Object
	var apply []render.Object
	for i, o := range objs {
		crd, api := CRDFor(o)
		switch {
		case !api:
			d.Skipped[o.Path] = "not an API object"
			continue
		case crd != "" && !d.opts.ApplyCustom:
			d.Skipped[o.Kind()+" "+o.Name()] = "custom object (ApplyCustom not set)"
			continue
		case crd != "" && !c.HasCRD(ctx, crd):
			d.Skipped[o.Kind()+" "+o.Name()] = "CRD " + crd + " not installed"
			continue
		}
		switch o.Kind() {
		case "Deployment":
			deployment = &objs[i]
		case "Service":
			service = &objs[i]
		}
		apply = append(apply, o)
	}
	if deployment == nil || service == nil {
		return nil, fmt.Errorf("%s renders no Deployment and Service", r.Application)
	}
	d.Namespace, d.Name = deployment.Namespace(), deployment.Name()
	if err := c.EnsureNamespace(ctx, d.Namespace); err != nil {
		return nil, err
	}
	secrets := bindingSecrets(r, *deployment)
	if err := c.Apply(ctx, secrets, false); err != nil {
		return nil, fmt.Errorf("binding secrets: %w", err)
	}
	first := d.Applied == nil
	d.Applied = append(secrets, apply...)
	c.logf("applying %d objects of %s/%s pinned to %s", len(d.Applied), d.Namespace, d.Name, image)
	if err := c.Apply(ctx, apply, false); err != nil {
		return nil, err
	}
	if first {
		d.cleanups = append(d.cleanups, func() {
			cctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			_ = c.Delete(cctx, d.Applied)
		})
	}
	start := time.Now()
	if err := c.WaitRollout(ctx, d.Namespace, d.Name, d.opts.Timeout); err != nil {
		return nil, err
	}
	d.RolloutSeconds = time.Since(start).Seconds()
	return service, nil
}

// exposeNodePort adds a NodePort Service next to the rendered one (same
// selector and port, on a node port published on 127.0.0.1), so that the
// request goes through kube-proxy like cluster traffic does.
func (d *Deployed) exposeNodePort(ctx context.Context, svc render.Object, port int) (string, error) {
	c := d.cluster
	nodePort, addr, release, err := c.ReserveNodePort(ctx)
	if err != nil {
		return "", err
	}
	spec, _ := svc.Value["spec"].(map[string]any)
	np := render.Object{Value: map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": svc.Name() + "-e2e", "namespace": svc.Namespace(),
			"labels": map[string]any{"app.kubernetes.io/managed-by": FieldManager}},
		"spec": map[string]any{
			"type":     "NodePort",
			"selector": spec["selector"],
			"ports":    []any{map[string]any{"name": "http", "port": port, "targetPort": "http", "nodePort": nodePort, "protocol": "TCP"}},
		},
	}}
	if err := c.Apply(ctx, []render.Object{np}, false); err != nil {
		release()
		return "", err
	}
	d.cleanups = append(d.cleanups, func() {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_ = c.Delete(cctx, []render.Object{np})
		release()
	})
	c.logf("service %s/%s reachable through node port %d at %s", svc.Namespace(), svc.Name(), nodePort, addr)
	return addr, nil
}

// Cleanup removes what Deploy applied (in reverse order) and stops port
// forwards. It is safe to call more than once.
func (d *Deployed) Cleanup() {
	for i := len(d.cleanups) - 1; i >= 0; i-- {
		d.cleanups[i]()
	}
	d.cleanups = nil
}

// bindingSecrets makes a test Secret for each binding the Deployment mounts
// (bindingProjection: volume) in the servicebinding.io layout: type, provider
// and fake connection values. A real platform gets them from its binding
// catalogue; the test only needs the pod to start with them mounted.
func bindingSecrets(r *contract.AppDeploymentRequest, deployment render.Object) []render.Object {
	types := map[string]string{}
	for _, b := range r.Spec.Bindings {
		types[b.Name] = string(b.Type)
	}
	var out []render.Object
	for _, name := range deployment.SecretVolumes() {
		typ := types[name]
		if typ == "" {
			typ = "generic"
		}
		out = append(out, render.Object{Value: map[string]any{
			"apiVersion": "v1", "kind": "Secret",
			"metadata": map[string]any{"name": name, "namespace": deployment.Namespace(),
				"labels": map[string]any{"app.kubernetes.io/managed-by": FieldManager}},
			"type": "servicebinding.io/" + typ,
			"stringData": map[string]any{
				"type": typ, "provider": "goldenpath-e2e",
				"host": "127.0.0.1", "port": "5432", "username": "e2e", "password": "e2e",
			},
		}})
	}
	return out
}

// RunRequest is one build-and-deploy (`goldenpath e2e`).
type RunRequest struct {
	// Platform renders and builds (nil: the default platform).
	Platform *contract.Platform
	// Contract (a file), Application and Source are as for build.Ship.
	Contract, Application, Source string
	// Publish is the registry prefix the image is pushed to; the cluster
	// pulls it from there (hack/kind/setup.sh configures its containerd).
	Publish string
	// Image skips the build and deploys this reference.
	Image string
	// Expect, when set, must be contained in the HTTP answer.
	Expect string
	// Output receives build logs and progress.
	Output io.Writer
	DeployOptions
}

// Run builds and publishes an application's image with the pipeline (or
// takes req.Image), then deploys it pinned by digest (see Deploy) and checks
// the HTTP answer. The caller cleans up with Deployed.Cleanup.
func (c *Cluster) Run(ctx context.Context, req RunRequest) (*Deployed, *build.Result, error) {
	p := req.Platform
	if p == nil {
		p = contract.DefaultPlatform()
	}
	var built *build.Result
	image := req.Image
	if image == "" {
		if req.Publish == "" {
			return nil, nil, errors.New("the cluster pulls from a registry: give one to publish to")
		}
		var err error
		opts := []goldenpath.Option{goldenpath.WithPlatform(p)}
		if req.Output != nil {
			opts = append(opts, goldenpath.WithOutput(req.Output))
		}
		built, err = build.Ship(ctx, build.Request{
			Paths: []string{req.Contract}, Application: req.Application, Source: req.Source, Publish: req.Publish,
		}, opts...)
		if err != nil {
			return nil, nil, err
		}
		image = built.Reference
	}
	reqs, err := goldenpath.LoadRequests(ctx, []string{req.Contract}, goldenpath.WithPlatform(p))
	if err != nil {
		return nil, built, err
	}
	r, err := goldenpath.PickRequest(reqs, req.Application)
	if err != nil {
		return nil, built, err
	}
	opts := req.DeployOptions
	opts.Platform = PublishedPlatform(p, req.Publish)
	d, err := c.Deploy(ctx, r, image, opts)
	if err != nil {
		return d, built, err
	}
	if req.Expect != "" && !strings.Contains(d.Body, req.Expect) {
		return d, built, fmt.Errorf("%s answered %q, which does not contain %q", d.URL, strings.TrimSpace(d.Body), req.Expect)
	}
	return d, built, nil
}

// PublishedPlatform returns a copy of p whose registry is the one images
// were published to (as build.Ship renders it); p itself when
// publish is empty.
func PublishedPlatform(p *contract.Platform, publish string) *contract.Platform {
	if publish == "" {
		return p
	}
	cp := *p
	cp.Registry = publish
	return &cp
}
