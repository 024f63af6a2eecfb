package render

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// AppOptions are the per-application inputs besides the request and the
// platform.
type AppOptions struct {
	// Image pins the Deployment to a built image by digest
	// (registry/repo@sha256:...). Empty means the kpack Image's tag, which
	// kpack keeps up to date; a dockerfile request without Image gets the
	// tag the pipeline pushes to.
	Image string
}

// Well-known names and values of the rendered objects.
const (
	// ManagedBy is the app.kubernetes.io/managed-by value of every object.
	ManagedBy = "goldenpath"
	// BindingRoot is where bindings are projected in the container.
	BindingRoot = "/bindings"
	// ServicePort is the port the Service exposes (it targets the container's http port).
	ServicePort = 80
	// ImageSourceAnnotation says where the Deployment's image comes from: kpack, pipeline or pinned.
	ImageSourceAnnotation = "goldenpath.io/image-source"
	// RequestAnnotation carries the request's id.
	RequestIDLabel = "goldenpath.io/id"
)

// App renders everything one request needs: the kpack Image (buildpack
// builds only), Deployment, Service, Ingress (when enabled), one binding per
// spec.bindings entry, the folder's kustomization.yaml and the Argo CD
// Application. The request must be valid and admitted by the platform; App
// checks both and returns their errors otherwise.
func App(r *contract.AppDeploymentRequest, p *contract.Platform, opts AppOptions) ([]Object, error) {
	if errs := append(r.Validate(), p.Admit(r)...); len(errs) > 0 {
		return nil, errs
	}
	env := p.Environments[r.Environment]
	a := &app{r: r, p: p, env: env, dir: env.GitOpsPath(r.Environment, r.Application)}
	image, source, err := a.image(opts.Image)
	if err != nil {
		return nil, err
	}
	var objs []Object
	add := func(file string, typed any) {
		if err != nil {
			return
		}
		var o Object
		o, err = toObject(path.Join(a.dir, file), typed)
		objs = append(objs, o)
	}
	if r.Spec.Build.Type == contract.BuildTypeBuildpack {
		add("image.yaml", a.kpackImage())
	}
	add("deployment.yaml", a.deployment(image, source))
	add("service.yaml", a.service())
	if r.Spec.Ingress.Enabled {
		add("ingress.yaml", a.ingress())
	}
	if p.BindingProjection == contract.ProjectServiceBinding {
		for _, b := range r.Spec.Bindings {
			add("binding-"+b.Name+".yaml", a.serviceBinding(b))
		}
	}
	if err != nil {
		return nil, err
	}
	objs = append(objs, a.kustomization(objs), a.argoApplication())
	Sort(objs)
	return objs, nil
}

type app struct {
	r   *contract.AppDeploymentRequest
	p   *contract.Platform
	env contract.EnvironmentConfig
	dir string
}

// image picks the Deployment's image and says where it comes from.
func (a *app) image(pinned string) (string, string, error) {
	if pinned != "" {
		d, err := name.NewDigest(pinned)
		if err != nil {
			return "", "", fmt.Errorf("image %q must be pinned by digest (registry/repo@sha256:...): %w", pinned, err)
		}
		return d.String(), "pinned", nil
	}
	if a.r.Spec.Build.Type == contract.BuildTypeDockerfile {
		return a.p.ImageRepository(a.r), "pipeline", nil
	}
	return a.p.ImageRepository(a.r), "kpack", nil
}

func (a *app) namespace() string { return a.env.Namespace }

// selectorLabels identify the app's pods; they never change for an app.
func (a *app) selectorLabels() map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":     a.r.Application,
		"app.kubernetes.io/instance": contract.InstanceName(a.r.Application, a.r.Environment),
	}
}

// labels are the recommended app.kubernetes.io labels plus goldenpath's own.
func (a *app) labels(component string) map[string]string {
	l := a.selectorLabels()
	l["app.kubernetes.io/component"] = component
	l["app.kubernetes.io/part-of"] = a.r.Application
	l["app.kubernetes.io/managed-by"] = ManagedBy
	l[RequestIDLabel] = a.r.ID
	l["goldenpath.io/environment"] = string(a.r.Environment)
	l["goldenpath.io/owner"] = a.r.Owner
	return l
}

func (a *app) objectMeta(name, component string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: a.namespace(), Labels: a.labels(component)}
}

func (a *app) deployment(image, source string) *appsv1.Deployment {
	s := a.r.Spec
	port := intstr.FromString("http")
	probe := corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: port}}
	if hc := s.Runtime.HealthCheck; hc != nil {
		probe = corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: hc.Path, Port: port}}
	}
	env := []corev1.EnvVar{{Name: "PORT", Value: fmt.Sprint(*s.Runtime.Port)}}
	for _, k := range slices.Sorted(maps.Keys(s.Runtime.Env)) {
		env = append(env, corev1.EnvVar{Name: k, Value: s.Runtime.Env[k]})
	}
	// A digest never changes, so a node's copy is good; a tag (kpack's,
	// the pipeline's) moves with every build, so it is pulled every time.
	pull := corev1.PullAlways
	if source == "pinned" {
		pull = corev1.PullIfNotPresent
	}
	c := corev1.Container{
		Name:            "app",
		Image:           image,
		ImagePullPolicy: pull,
		Ports:           []corev1.ContainerPort{{Name: "http", ContainerPort: *s.Runtime.Port, Protocol: corev1.ProtocolTCP}},
		Env:             env,
		Resources:       a.resources(),
		ReadinessProbe:  &corev1.Probe{ProbeHandler: probe, PeriodSeconds: 5, FailureThreshold: 3, TimeoutSeconds: 2},
		LivenessProbe:   &corev1.Probe{ProbeHandler: probe, InitialDelaySeconds: 10, PeriodSeconds: 10, FailureThreshold: 3, TimeoutSeconds: 2},
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr(false),
			RunAsNonRoot:             ptr(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
	var volumes []corev1.Volume
	if a.p.BindingProjection == contract.ProjectVolume && len(s.Bindings) > 0 {
		c.Env = append(c.Env, corev1.EnvVar{Name: "SERVICE_BINDING_ROOT", Value: BindingRoot})
		for _, b := range s.Bindings {
			vol := contract.BindingVolumeName(b.Name)
			volumes = append(volumes, corev1.Volume{Name: vol, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: a.p.BindingSecret(b)}}})
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: vol, MountPath: path.Join(BindingRoot, b.Name), ReadOnly: true})
		}
	}
	meta := a.objectMeta(a.r.Application, "server")
	meta.Annotations = map[string]string{ImageSourceAnnotation: source}
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Replicas:             s.Runtime.Replicas,
			RevisionHistoryLimit: ptr(int32(5)),
			// Roll out without ever dropping below the requested replicas.
			Strategy: appsv1.DeploymentStrategy{
				Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{
					MaxUnavailable: ptr(intstr.FromInt32(0)),
					MaxSurge:       ptr(intstr.FromString("25%")),
				},
			},
			Selector: &metav1.LabelSelector{MatchLabels: a.selectorLabels()},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: a.labels("server")},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{c},
					Volumes:    volumes,
					// The platform's registry Secret (build.registrySecret, in every environment namespace): the
					// pods pull the app's image with it from a registry that requires credentials (kubelet pulls
					// anonymously when the Secret is missing, so a public registry needs none).
					ImagePullSecrets:             []corev1.LocalObjectReference{{Name: a.p.Build.RegistrySecret}},
					AutomountServiceAccountToken: ptr(false),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   ptr(true),
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
				},
			},
		},
	}
	if gated(a.p, source) {
		closeGate(d, source) // render/gate.go: no pod runs an unverified tag
	}
	return d
}

// resources requests what the request asks for; memory is also the limit
// (a pod over its memory request can be OOM-killed anyway), CPU has no
// limit (throttling hurts latency more than sharing idle CPU).
func (a *app) resources() corev1.ResourceRequirements {
	res := a.r.Spec.Runtime.Resources
	var rr corev1.ResourceRequirements
	if res.Memory != "" {
		q := resource.MustParse(string(res.Memory))
		rr.Requests = corev1.ResourceList{corev1.ResourceMemory: q}
		rr.Limits = corev1.ResourceList{corev1.ResourceMemory: q}
	}
	if res.CPU != "" {
		if rr.Requests == nil {
			rr.Requests = corev1.ResourceList{}
		}
		rr.Requests[corev1.ResourceCPU] = resource.MustParse(string(res.CPU))
	}
	return rr
}

func (a *app) service() *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: a.objectMeta(a.r.Application, "server"),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: a.selectorLabels(),
			Ports:    []corev1.ServicePort{{Name: "http", Port: ServicePort, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}},
		},
	}
}

func (a *app) ingress() *networkingv1.Ingress {
	in := a.r.Spec.Ingress
	prefix := networkingv1.PathTypePrefix
	ing := &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: a.objectMeta(a.r.Application, "server"),
		Spec: networkingv1.IngressSpec{
			Rules: []networkingv1.IngressRule{{
				Host: in.Host,
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
					Paths: []networkingv1.HTTPIngressPath{{
						Path: "/", PathType: &prefix,
						Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
							Name: a.r.Application, Port: networkingv1.ServiceBackendPort{Name: "http"},
						}},
					}},
				}},
			}},
		},
	}
	if in.TLS != nil && in.TLS.Enabled {
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{in.Host}, SecretName: in.TLS.SecretName}}
	}
	return ing
}

// serviceBinding follows the Service Binding for Kubernetes spec
// (servicebinding.io/v1): the Secret is the provisioned service, the
// Deployment the workload.
func (a *app) serviceBinding(b contract.Binding) map[string]any {
	meta := a.objectMeta(contract.ServiceBindingName(a.r.Application, b.Name), "binding")
	return map[string]any{
		"apiVersion": "servicebinding.io/v1",
		"kind":       "ServiceBinding",
		"metadata":   metaMap(meta),
		"spec": map[string]any{
			"name": b.Name,
			"type": b.Type,
			"service": map[string]any{
				"apiVersion": "v1",
				"kind":       "Secret",
				"name":       a.p.BindingSecret(b),
			},
			"workload": map[string]any{
				"apiVersion": "apps/v1",
				"kind":       "Deployment",
				"name":       a.r.Application,
			},
		},
	}
}

func (a *app) kustomization(objs []Object) Object {
	var files []string
	seen := map[string]bool{}
	for _, o := range objs {
		f := strings.TrimPrefix(o.Path, a.dir+"/")
		if !seen[f] {
			seen[f] = true
			files = append(files, f)
		}
	}
	return Object{Path: path.Join(a.dir, "kustomization.yaml"), Value: map[string]any{
		"apiVersion": "kustomize.config.k8s.io/v1beta1",
		"kind":       "Kustomization",
		"resources":  slices.Sorted(slices.Values(files)),
	}}
}

func metaMap(m metav1.ObjectMeta) map[string]any {
	o, err := toObject("", &struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
	}{m})
	if err != nil {
		panic(err) // ObjectMeta always encodes
	}
	return meta(o.Value)
}

func ptr[T any](v T) *T { return &v }
