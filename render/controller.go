package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// The controller's install: names and ports of what ControllerObjects
// renders, which `goldenpath controller` listens on by default.
const (
	// ControllerName names the controller's Deployment, ServiceAccount,
	// Service, ConfigMap and RBAC objects.
	ControllerName = "goldenpath-controller"
	// ControllerPlatformFile is where the controller reads the platform (a
	// ConfigMap mounted at /etc/goldenpath).
	ControllerPlatformFile = "/etc/goldenpath/platform.yaml"
	// Container ports: git webhooks, Prometheus metrics, health probes.
	ControllerWebhookPort = 8080
	ControllerMetricsPort = 9090
	ControllerHealthPort  = 8081
	// ControllerStatusPort serves the status page (goldenpath/statuspage):
	// on 127.0.0.1 (kubectl port-forward) unless controller.statusTokenSecret
	// is set. ControllerStatusTokenEnv carries the token from that Secret.
	ControllerStatusPort     = 8082
	ControllerStatusTokenEnv = "GOLDENPATH_STATUS_TOKEN"
	// ControllerUser is the non-root user the controller runs as.
	ControllerUser = 65532
	// PlatformHashAnnotation on the pod template is the SHA-256 of the
	// platform file, so that a new platform rolls the controller.
	PlatformHashAnnotation = "goldenpath.io/platform-sha256"
)

// ControllerObjects renders the in-cluster controller's install, in the
// platform's controller.namespace: its ServiceAccount and least-privilege
// RBAC (cluster: read ClusterBuilders, read and apply ClusterStacks; each
// environment namespace: read Images, Builds and build pods with their
// logs, annotate Builds and SourceResolvers, write Events; Argo CD's
// namespace: read and annotate Applications; its own namespace: its lease,
// its replay record and the two Secrets it names), the platform as a
// ConfigMap, the Deployment and a Service for webhooks and metrics. The
// Secrets (webhook secrets, git credentials, cosign keys) are referenced by
// name and never rendered. None when controller.image is empty.
func ControllerObjects(p *contract.Platform) ([]Object, error) {
	c := p.Controller
	if c.Image == "" {
		return nil, nil
	}
	ns := c.Namespace
	labels := map[string]string{
		"app.kubernetes.io/name":       ControllerName,
		"app.kubernetes.io/component":  "controller",
		"app.kubernetes.io/managed-by": ManagedBy,
		"app.kubernetes.io/part-of":    p.Name,
	}
	// After platform/namespaces/ in the stream (render.Sort orders by path): a
	// single kubectl apply of the render creates the namespaces first.
	dir := path.Join("platform", "operators", ControllerName)
	meta := func(name, namespace string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels}
	}
	subject := []rbacv1.Subject{{Kind: "ServiceAccount", Name: ControllerName, Namespace: ns}}
	rbac := metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1"}
	read := []string{"get", "list", "watch"}
	events := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		{APIGroups: []string{"events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
	}
	platformYAML, err := PlatformFile(p)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(platformYAML)

	var typed []pathed
	add := func(file string, objs ...any) {
		for _, o := range objs {
			typed = append(typed, pathed{path.Join(dir, file), o})
		}
	}
	add("account.yaml", &corev1.ServiceAccount{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: meta(ControllerName, ns),
		AutomountServiceAccountToken: ptr(true),
	})
	add("access-cluster.yaml",
		&rbacv1.ClusterRole{TypeMeta: withKind(rbac, "ClusterRole"), ObjectMeta: meta(ControllerName, ""), Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"kpack.io"}, Resources: []string{"clusterbuilders"}, Verbs: read},
			// the stack updater: server-side apply of each ClusterStack
			{APIGroups: []string{"kpack.io"}, Resources: []string{"clusterstacks"}, Verbs: []string{"get", "list", "watch", "create", "patch"}},
		}},
		&rbacv1.ClusterRoleBinding{TypeMeta: withKind(rbac, "ClusterRoleBinding"), ObjectMeta: meta(ControllerName, ""),
			RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: ControllerName}, Subjects: subject},
	)
	// One Role per namespace: the rules of the namespaces' jobs (controller,
	// environment, Argo CD), merged when two jobs share a namespace.
	rules := map[string][]rbacv1.PolicyRule{}
	var order []string
	grant := func(namespace string, r []rbacv1.PolicyRule) {
		if _, ok := rules[namespace]; !ok {
			order = append(order, namespace)
		}
		rules[namespace] = append(rules[namespace], r...)
	}
	grant(ns, append([]rbacv1.PolicyRule{
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "create", "update"}},
		// the webhook replay record (create cannot be limited by name)
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"create"}},
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{ControllerName + "-deliveries"}, Verbs: []string{"get", "update"}},
		{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{c.WebhookSecret, c.GitSecret}, Verbs: []string{"get"}},
	}, events...))
	for _, env := range p.EnvironmentNames() {
		envNS := p.Environments[contract.Environment(env)].Namespace
		grant(envNS, append([]rbacv1.PolicyRule{
			{APIGroups: []string{"kpack.io"}, Resources: []string{"images"}, Verbs: read},
			{APIGroups: []string{"kpack.io"}, Resources: []string{"builds"}, Verbs: []string{"get", "list", "watch", "patch"}},
			{APIGroups: []string{"kpack.io"}, Resources: []string{"sourceresolvers"}, Verbs: []string{"get", "patch"}},
			{APIGroups: []string{""}, Resources: []string{"pods", "pods/log"}, Verbs: []string{"get"}},
			// the status page: which image each application serves, since when
			{APIGroups: []string{"apps"}, Resources: []string{"deployments", "replicasets"}, Verbs: read},
		}, events...))
	}
	grant(p.ArgoCD.Namespace, []rbacv1.PolicyRule{
		{APIGroups: []string{"argoproj.io"}, Resources: []string{"applications"}, Verbs: []string{"get", "list", "watch", "patch"}},
	})
	for _, namespace := range order {
		add("access-"+namespace+".yaml",
			&rbacv1.Role{TypeMeta: withKind(rbac, "Role"), ObjectMeta: meta(ControllerName, namespace), Rules: dedupRules(rules[namespace])},
			&rbacv1.RoleBinding{TypeMeta: withKind(rbac, "RoleBinding"), ObjectMeta: meta(ControllerName, namespace),
				RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: ControllerName}, Subjects: subject})
	}
	add("configmap.yaml", &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: meta(ControllerName, ns),
		Data: map[string]string{path.Base(ControllerPlatformFile): string(platformYAML)},
	})
	add("deployment.yaml", controllerDeployment(p, meta(ControllerName, ns), labels, hex.EncodeToString(sum[:])))
	svc := &corev1.Service{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}, ObjectMeta: meta(ControllerName, ns),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: map[string]string{"app.kubernetes.io/name": ControllerName},
			Ports: []corev1.ServicePort{
				{Name: "webhook", Port: 80, TargetPort: intstr.FromString("webhook"), Protocol: corev1.ProtocolTCP},
				{Name: "metrics", Port: ControllerMetricsPort, TargetPort: intstr.FromString("metrics"), Protocol: corev1.ProtocolTCP},
			},
		},
	}
	if c.StatusTokenSecret != "" { // the page answers beyond the pod only with a token
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: "status", Port: ControllerStatusPort, TargetPort: intstr.FromString("status"), Protocol: corev1.ProtocolTCP})
	}
	add("service.yaml", svc)
	return toObjects(typed)
}

// toObjects converts typed objects to their plain form.
func toObjects(typed []pathed) ([]Object, error) {
	var objs []Object
	for _, t := range typed {
		o, err := toObject(t.path, t.typed)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return objs, nil
}

func controllerDeployment(p *contract.Platform, om metav1.ObjectMeta, labels map[string]string, platformHash string) *appsv1.Deployment {
	selector := map[string]string{"app.kubernetes.io/name": ControllerName}
	probe := func(path string) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString("health")}},
			PeriodSeconds: 10, TimeoutSeconds: 2, FailureThreshold: 3,
		}
	}
	port := func(name string, n int32) corev1.ContainerPort {
		return corev1.ContainerPort{Name: name, ContainerPort: n, Protocol: corev1.ProtocolTCP}
	}
	c := corev1.Container{
		Name:            "controller",
		Image:           p.Controller.Image,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Args:            []string{"controller", "--platform", ControllerPlatformFile},
		Env: []corev1.EnvVar{
			{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
			{Name: "HOME", Value: "/home/nonroot"},
		},
		Ports: []corev1.ContainerPort{
			port("webhook", ControllerWebhookPort), port("metrics", ControllerMetricsPort), port("health", ControllerHealthPort),
			port("status", ControllerStatusPort),
		},
		LivenessProbe:  probe("/healthz"),
		ReadinessProbe: probe("/readyz"),
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
		},
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr(false),
			ReadOnlyRootFilesystem:   ptr(true),
			RunAsNonRoot:             ptr(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
		VolumeMounts: []corev1.VolumeMount{{Name: "platform", MountPath: path.Dir(ControllerPlatformFile), ReadOnly: true}},
	}
	if s := p.Controller.StatusTokenSecret; s != "" {
		c.Env = append(c.Env, corev1.EnvVar{Name: ControllerStatusTokenEnv, ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: s}, Key: "token"}}})
	}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: om,
		Spec: appsv1.DeploymentSpec{
			Replicas:             ptr(p.Controller.Replicas),
			RevisionHistoryLimit: ptr(int32(3)),
			Selector:             &metav1.LabelSelector{MatchLabels: selector},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{PlatformHashAnnotation: platformHash}},
				Spec: corev1.PodSpec{
					ServiceAccountName: ControllerName,
					Containers:         []corev1.Container{c},
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   ptr(true),
						RunAsUser:      ptr(int64(ControllerUser)),
						RunAsGroup:     ptr(int64(ControllerUser)),
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Volumes: []corev1.Volume{{Name: "platform", VolumeSource: corev1.VolumeSource{
						ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: ControllerName}},
					}}},
				},
			},
		},
	}
}

// PlatformFile encodes the platform (defaults applied) as the YAML document
// the controller reads back with contract.LoadPlatform.
func PlatformFile(p *contract.Platform) ([]byte, error) {
	data, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return encodeYAML(v)
}

func withKind(t metav1.TypeMeta, kind string) metav1.TypeMeta { t.Kind = kind; return t }

// dedupRules drops rules equal to an earlier one (the events rules of two
// jobs in one namespace).
func dedupRules(rs []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	seen := map[string]bool{}
	for _, r := range rs {
		key, _ := json.Marshal(r)
		if !seen[string(key)] {
			seen[string(key)] = true
			out = append(out, r)
		}
	}
	return out
}
