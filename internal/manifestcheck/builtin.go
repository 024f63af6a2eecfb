package manifestcheck

import (
	"encoding/json"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
)

// builtin describes a built-in kind: how to decode it and what to check.
type builtin struct {
	namespaced bool
	nameFn     apivalidation.ValidateNameFunc // as the kind's API validation names it
	newObj     func() runtime.Object
	validate   func(runtime.Object) field.ErrorList
}

var builtins = map[schema.GroupVersionKind]builtin{
	appsv1.SchemeGroupVersion.WithKind("Deployment"):     {true, apivalidation.NameIsDNSSubdomain, func() runtime.Object { return &appsv1.Deployment{} }, validateDeployment},
	corev1.SchemeGroupVersion.WithKind("Service"):        {true, apivalidation.NameIsDNS1035Label, func() runtime.Object { return &corev1.Service{} }, validateService},
	networkingv1.SchemeGroupVersion.WithKind("Ingress"):  {true, apivalidation.NameIsDNSSubdomain, func() runtime.Object { return &networkingv1.Ingress{} }, validateIngress},
	corev1.SchemeGroupVersion.WithKind("ServiceAccount"): {true, apivalidation.NameIsDNSSubdomain, func() runtime.Object { return &corev1.ServiceAccount{} }, validateServiceAccount},
	corev1.SchemeGroupVersion.WithKind("Namespace"):      {false, apivalidation.NameIsDNSLabel, func() runtime.Object { return &corev1.Namespace{} }, nil},
	corev1.SchemeGroupVersion.WithKind("Secret"):         {true, apivalidation.NameIsDNSSubdomain, func() runtime.Object { return &corev1.Secret{} }, validateSecret},
}

// check decodes data strictly into the typed object, as the API server does
// with fieldValidation=Strict (unknown or duplicate fields, wrong types and
// case-mismatched keys fail), then validates metadata and the kind's rules.
func (b builtin) check(data []byte, r *report) {
	obj := b.newObj()
	strictErrs, err := sigsjson.UnmarshalStrict(data, obj)
	if err != nil {
		r.add("", "cannot decode: "+err.Error())
		return
	}
	for _, e := range strictErrs {
		fe, ok := e.(sigsjson.FieldError)
		if !ok {
			r.add("", e.Error())
			continue
		}
		detail := "unknown field"
		if strings.HasPrefix(e.Error(), "duplicate field") {
			detail = "duplicate field"
		}
		r.add(fe.FieldPath(), detail)
	}
	accessor, err := meta.Accessor(obj)
	if err != nil {
		r.add("metadata", err.Error())
		return
	}
	r.addList(apivalidation.ValidateObjectMetaAccessor(accessor, b.namespaced, b.nameFn, field.NewPath("metadata")))
	if b.validate != nil {
		r.addList(b.validate(obj))
	}
}

// invalid turns the messages of an apimachinery IsXxx helper into errors.
func invalid(p *field.Path, value any, msgs []string) field.ErrorList {
	var errs field.ErrorList
	for _, m := range msgs {
		errs = append(errs, field.Invalid(p, value, m))
	}
	return errs
}

func validateDeployment(o runtime.Object) field.ErrorList {
	d := o.(*appsv1.Deployment)
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if d.Spec.Replicas != nil {
		errs = append(errs, apivalidation.ValidateNonnegativeField(int64(*d.Spec.Replicas), spec.Child("replicas"))...)
	}
	errs = append(errs, validateSelector(d.Spec.Selector, d.Spec.Template.Labels, spec)...)
	switch d.Spec.Strategy.Type {
	case "", appsv1.RecreateDeploymentStrategyType, appsv1.RollingUpdateDeploymentStrategyType:
	default:
		errs = append(errs, field.NotSupported(spec.Child("strategy", "type"), d.Spec.Strategy.Type,
			[]appsv1.DeploymentStrategyType{appsv1.RecreateDeploymentStrategyType, appsv1.RollingUpdateDeploymentStrategyType}))
	}
	tmpl := spec.Child("template")
	errs = append(errs, metav1validation.ValidateLabels(d.Spec.Template.Labels, tmpl.Child("metadata", "labels"))...)
	errs = append(errs, apivalidation.ValidateAnnotations(d.Spec.Template.Annotations, tmpl.Child("metadata", "annotations"))...)
	if p := d.Spec.Template.Spec.RestartPolicy; p != "" && p != corev1.RestartPolicyAlways {
		errs = append(errs, field.NotSupported(tmpl.Child("spec", "restartPolicy"), p, []corev1.RestartPolicy{corev1.RestartPolicyAlways}))
	}
	errs = append(errs, validatePodSpec(&d.Spec.Template.Spec, tmpl.Child("spec"))...)
	return errs
}

// validateSelector checks a workload selector: required, non-empty, valid,
// and matching the pod template's labels.
func validateSelector(sel *metav1.LabelSelector, podLabels map[string]string, spec *field.Path) field.ErrorList {
	p := spec.Child("selector")
	if sel == nil {
		return field.ErrorList{field.Required(p, "")}
	}
	errs := metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, p)
	if len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 {
		errs = append(errs, field.Invalid(p, sel, "empty selector is invalid for deployment"))
	}
	selector, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return append(errs, field.Invalid(p, sel, err.Error()))
	}
	if !selector.Empty() && !selector.Matches(labels.Set(podLabels)) {
		errs = append(errs, field.Invalid(spec.Child("template", "metadata", "labels"), podLabels, "`selector` does not match template `labels`"))
	}
	return errs
}

func validatePodSpec(ps *corev1.PodSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(ps.Containers) == 0 {
		errs = append(errs, field.Required(p.Child("containers"), ""))
	}
	volumes := sets.New[string]()
	for i, v := range ps.Volumes {
		vp := p.Child("volumes").Index(i)
		errs = append(errs, invalid(vp.Child("name"), v.Name, validation.IsDNS1123Label(v.Name))...)
		if volumes.Has(v.Name) {
			errs = append(errs, field.Duplicate(vp.Child("name"), v.Name))
		}
		volumes.Insert(v.Name)
	}
	if ps.ServiceAccountName != "" {
		errs = append(errs, invalid(p.Child("serviceAccountName"), ps.ServiceAccountName, validation.IsDNS1123Subdomain(ps.ServiceAccountName))...)
	}
	for i, s := range ps.ImagePullSecrets {
		if s.Name == "" {
			errs = append(errs, field.Required(p.Child("imagePullSecrets").Index(i).Child("name"), ""))
		}
	}
	names := sets.New[string]()
	for _, list := range []struct {
		name       string
		containers []corev1.Container
	}{{"initContainers", ps.InitContainers}, {"containers", ps.Containers}} {
		for i := range list.containers {
			errs = append(errs, validateContainer(&list.containers[i], p.Child(list.name).Index(i), names, volumes)...)
		}
	}
	return errs
}

func validateContainer(c *corev1.Container, p *field.Path, names, volumes sets.Set[string]) field.ErrorList {
	var errs field.ErrorList
	if c.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	} else {
		errs = append(errs, invalid(p.Child("name"), c.Name, validation.IsDNS1123Label(c.Name))...)
		if names.Has(c.Name) {
			errs = append(errs, field.Duplicate(p.Child("name"), c.Name))
		}
		names.Insert(c.Name)
	}
	if strings.TrimSpace(c.Image) == "" {
		errs = append(errs, field.Required(p.Child("image"), ""))
	}

	portNames := sets.New[string]()
	portNums := sets.New[int32]()
	for i, port := range c.Ports {
		pp := p.Child("ports").Index(i)
		if port.Name != "" {
			errs = append(errs, invalid(pp.Child("name"), port.Name, validation.IsValidPortName(port.Name))...)
			if portNames.Has(port.Name) {
				errs = append(errs, field.Duplicate(pp.Child("name"), port.Name))
			}
			portNames.Insert(port.Name)
		}
		if port.ContainerPort == 0 {
			errs = append(errs, field.Required(pp.Child("containerPort"), ""))
		} else {
			errs = append(errs, invalid(pp.Child("containerPort"), port.ContainerPort, validation.IsValidPortNum(int(port.ContainerPort)))...)
		}
		if port.HostPort != 0 {
			errs = append(errs, invalid(pp.Child("hostPort"), port.HostPort, validation.IsValidPortNum(int(port.HostPort)))...)
		}
		errs = append(errs, validateProtocol(port.Protocol, pp.Child("protocol"))...)
		portNums.Insert(port.ContainerPort)
	}

	for _, probe := range []struct {
		name string
		p    *corev1.Probe
	}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}} {
		if probe.p != nil {
			errs = append(errs, validateProbe(probe.p, p.Child(probe.name), portNames, portNums)...)
		}
	}

	// The API server only warns about a repeated variable ("hides previous
	// definition"); a renderer that repeats one has a bug, so it is an error.
	envNames := sets.New[string]()
	for i, env := range c.Env {
		ep := p.Child("env").Index(i).Child("name")
		switch {
		case env.Name == "":
			errs = append(errs, field.Required(ep, ""))
		case envNames.Has(env.Name):
			errs = append(errs, field.Duplicate(ep, env.Name))
		}
		envNames.Insert(env.Name)
	}
	for i, m := range c.VolumeMounts {
		mp := p.Child("volumeMounts").Index(i)
		if !volumes.Has(m.Name) {
			errs = append(errs, field.NotFound(mp.Child("name"), m.Name))
		}
		if m.MountPath == "" {
			errs = append(errs, field.Required(mp.Child("mountPath"), ""))
		}
	}
	return errs
}

// validateProbe checks that a probe has exactly one handler and that its
// port is one the container declares. The API server only checks that a
// numeric port is in range; a probe on an undeclared port is still almost
// always a renderer bug, so this is stricter.
func validateProbe(pr *corev1.Probe, p *field.Path, portNames sets.Set[string], portNums sets.Set[int32]) field.ErrorList {
	var errs field.ErrorList
	handlers := 0
	checkPort := func(port intstr.IntOrString, pp *field.Path) {
		switch {
		case port.Type == intstr.String:
			errs = append(errs, invalid(pp, port.StrVal, validation.IsValidPortName(port.StrVal))...)
			if !portNames.Has(port.StrVal) {
				errs = append(errs, field.Invalid(pp, port.StrVal, "must be the name of a port of this container"))
			}
		default:
			errs = append(errs, invalid(pp, port.IntVal, validation.IsValidPortNum(int(port.IntVal)))...)
			if !portNums.Has(port.IntVal) {
				errs = append(errs, field.Invalid(pp, port.IntVal, "must be a containerPort of this container"))
			}
		}
	}
	if h := pr.Exec; h != nil {
		handlers++
		if len(h.Command) == 0 {
			errs = append(errs, field.Required(p.Child("exec", "command"), ""))
		}
	}
	if h := pr.HTTPGet; h != nil {
		handlers++
		checkPort(h.Port, p.Child("httpGet", "port"))
		if h.Path != "" && !strings.HasPrefix(h.Path, "/") {
			errs = append(errs, field.Invalid(p.Child("httpGet", "path"), h.Path, "must start with '/'"))
		}
	}
	if h := pr.TCPSocket; h != nil {
		handlers++
		checkPort(h.Port, p.Child("tcpSocket", "port"))
	}
	if h := pr.GRPC; h != nil {
		handlers++
		checkPort(intstr.FromInt32(h.Port), p.Child("grpc", "port"))
	}
	switch handlers {
	case 0:
		errs = append(errs, field.Required(p, "must specify a handler type"))
	case 1:
	default:
		errs = append(errs, field.Forbidden(p, "may not specify more than 1 handler type"))
	}
	return errs
}

func validateProtocol(proto corev1.Protocol, p *field.Path) field.ErrorList {
	switch proto {
	case "", corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		return nil
	}
	return field.ErrorList{field.NotSupported(p, proto, []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP})}
}

func validateService(o runtime.Object) field.ErrorList {
	s := o.(*corev1.Service)
	spec := field.NewPath("spec")
	var errs field.ErrorList
	switch s.Spec.Type {
	case "", corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
	case corev1.ServiceTypeExternalName:
		errs = append(errs, invalid(spec.Child("externalName"), s.Spec.ExternalName, validation.IsDNS1123Subdomain(strings.TrimSuffix(s.Spec.ExternalName, ".")))...)
	default:
		errs = append(errs, field.NotSupported(spec.Child("type"), s.Spec.Type, []corev1.ServiceType{
			corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName}))
	}
	headless := s.Spec.ClusterIP == corev1.ClusterIPNone
	if len(s.Spec.Ports) == 0 && !headless && s.Spec.Type != corev1.ServiceTypeExternalName {
		errs = append(errs, field.Required(spec.Child("ports"), ""))
	}
	names := sets.New[string]()
	for i, port := range s.Spec.Ports {
		pp := spec.Child("ports").Index(i)
		if len(s.Spec.Ports) > 1 && port.Name == "" {
			errs = append(errs, field.Required(pp.Child("name"), "must be specified when there is more than one port"))
		}
		if port.Name != "" {
			errs = append(errs, invalid(pp.Child("name"), port.Name, validation.IsDNS1123Label(port.Name))...)
			if names.Has(port.Name) {
				errs = append(errs, field.Duplicate(pp.Child("name"), port.Name))
			}
			names.Insert(port.Name)
		}
		errs = append(errs, invalid(pp.Child("port"), port.Port, validation.IsValidPortNum(int(port.Port)))...)
		errs = append(errs, validateProtocol(port.Protocol, pp.Child("protocol"))...)
		switch tp := port.TargetPort; {
		case tp.Type == intstr.String:
			errs = append(errs, invalid(pp.Child("targetPort"), tp.StrVal, validation.IsValidPortName(tp.StrVal))...)
		case tp.IntVal != 0: // 0 defaults to port
			errs = append(errs, invalid(pp.Child("targetPort"), tp.IntVal, validation.IsValidPortNum(int(tp.IntVal)))...)
		}
		if port.NodePort != 0 && s.Spec.Type != corev1.ServiceTypeNodePort && s.Spec.Type != corev1.ServiceTypeLoadBalancer {
			errs = append(errs, field.Forbidden(pp.Child("nodePort"), "may not be used when `type` is '"+string(s.Spec.Type)+"'"))
		}
	}
	errs = append(errs, metav1validation.ValidateLabels(s.Spec.Selector, spec.Child("selector"))...)
	return errs
}

func validateIngress(o runtime.Object) field.ErrorList {
	ing := o.(*networkingv1.Ingress)
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if c := ing.Spec.IngressClassName; c != nil {
		errs = append(errs, invalid(spec.Child("ingressClassName"), *c, validation.IsDNS1123Subdomain(*c))...)
	}
	if ing.Spec.DefaultBackend == nil && len(ing.Spec.Rules) == 0 {
		errs = append(errs, field.Invalid(spec, "", "either `defaultBackend` or `rules` must be specified"))
	}
	if ing.Spec.DefaultBackend != nil {
		errs = append(errs, validateIngressBackend(ing.Spec.DefaultBackend, spec.Child("defaultBackend"))...)
	}
	for i, rule := range ing.Spec.Rules {
		rp := spec.Child("rules").Index(i)
		if rule.Host != "" {
			errs = append(errs, validateIngressHost(rule.Host, rp.Child("host"))...)
		}
		if rule.HTTP == nil {
			continue
		}
		if len(rule.HTTP.Paths) == 0 {
			errs = append(errs, field.Required(rp.Child("http", "paths"), ""))
		}
		for j, path := range rule.HTTP.Paths {
			pp := rp.Child("http", "paths").Index(j)
			switch {
			case path.PathType == nil:
				errs = append(errs, field.Required(pp.Child("pathType"), "pathType must be specified"))
			case *path.PathType == networkingv1.PathTypeExact || *path.PathType == networkingv1.PathTypePrefix:
				if !strings.HasPrefix(path.Path, "/") {
					errs = append(errs, field.Invalid(pp.Child("path"), path.Path, "must be an absolute path"))
				}
			case *path.PathType == networkingv1.PathTypeImplementationSpecific:
				if path.Path != "" && !strings.HasPrefix(path.Path, "/") {
					errs = append(errs, field.Invalid(pp.Child("path"), path.Path, "must be an absolute path"))
				}
			default:
				errs = append(errs, field.NotSupported(pp.Child("pathType"), *path.PathType, []networkingv1.PathType{
					networkingv1.PathTypeExact, networkingv1.PathTypePrefix, networkingv1.PathTypeImplementationSpecific}))
			}
			errs = append(errs, validateIngressBackend(&path.Backend, pp.Child("backend"))...)
		}
	}
	for i, tls := range ing.Spec.TLS {
		tp := spec.Child("tls").Index(i)
		for j, host := range tls.Hosts {
			errs = append(errs, validateIngressHost(host, tp.Child("hosts").Index(j))...)
		}
		if tls.SecretName != "" {
			errs = append(errs, invalid(tp.Child("secretName"), tls.SecretName, validation.IsDNS1123Subdomain(tls.SecretName))...)
		}
	}
	return errs
}

func validateIngressHost(host string, p *field.Path) field.ErrorList {
	if strings.Contains(host, "*") {
		return invalid(p, host, validation.IsWildcardDNS1123Subdomain(host))
	}
	return invalid(p, host, validation.IsDNS1123Subdomain(host))
}

func validateIngressBackend(b *networkingv1.IngressBackend, p *field.Path) field.ErrorList {
	switch {
	case b.Service != nil && b.Resource != nil:
		return field.ErrorList{field.Invalid(p, "", "cannot set both service and resource backends")}
	case b.Resource != nil:
		return nil
	case b.Service == nil:
		return field.ErrorList{field.Invalid(p, "", "resource or service backend is required")}
	}
	sp := p.Child("service")
	var errs field.ErrorList
	if b.Service.Name == "" {
		errs = append(errs, field.Required(sp.Child("name"), ""))
	} else {
		errs = append(errs, invalid(sp.Child("name"), b.Service.Name, validation.IsDNS1035Label(b.Service.Name))...)
	}
	port := b.Service.Port
	switch {
	case port.Name != "" && port.Number != 0:
		errs = append(errs, field.Invalid(sp.Child("port"), port, "cannot set both port name & port number"))
	case port.Name != "":
		errs = append(errs, invalid(sp.Child("port", "name"), port.Name, validation.IsValidPortName(port.Name))...)
	case port.Number != 0:
		errs = append(errs, invalid(sp.Child("port", "number"), port.Number, validation.IsValidPortNum(int(port.Number)))...)
	default:
		errs = append(errs, field.Required(sp.Child("port"), "port name or number is required"))
	}
	return errs
}

func validateServiceAccount(o runtime.Object) field.ErrorList {
	sa := o.(*corev1.ServiceAccount)
	var errs field.ErrorList
	for i, s := range sa.ImagePullSecrets {
		if s.Name == "" {
			errs = append(errs, field.Required(field.NewPath("imagePullSecrets").Index(i).Child("name"), ""))
		}
	}
	for i, s := range sa.Secrets {
		if s.Name == "" {
			errs = append(errs, field.Required(field.NewPath("secrets").Index(i).Child("name"), ""))
		}
	}
	return errs
}

// validateSecret checks keys, size and the keys each well-known type
// requires. As on the API server, stringData counts as data.
func validateSecret(o runtime.Object) field.ErrorList {
	s := o.(*corev1.Secret)
	data := map[string][]byte{}
	var errs field.ErrorList
	size := 0
	for _, src := range []struct {
		name string
		m    map[string][]byte
	}{{"data", s.Data}, {"stringData", stringMapBytes(s.StringData)}} {
		for k, v := range src.m {
			errs = append(errs, invalid(field.NewPath(src.name).Key(k), k, validation.IsConfigMapKey(k))...)
			data[k] = v
		}
	}
	for _, v := range data {
		size += len(v)
	}
	if size > corev1.MaxSecretSize {
		errs = append(errs, field.TooLong(field.NewPath("data"), "", corev1.MaxSecretSize))
	}
	require := func(key string) {
		if _, ok := data[key]; !ok {
			errs = append(errs, field.Required(field.NewPath("data").Key(key), ""))
		}
	}
	requireJSON := func(key string) {
		require(key)
		if v, ok := data[key]; ok && !json.Valid(v) {
			errs = append(errs, field.Invalid(field.NewPath("data").Key(key), "<secret contents redacted>", "must be valid JSON"))
		}
	}
	switch s.Type {
	case "", corev1.SecretTypeOpaque:
	case corev1.SecretTypeServiceAccountToken:
		if s.Annotations[corev1.ServiceAccountNameKey] == "" {
			errs = append(errs, field.Required(field.NewPath("metadata", "annotations").Key(corev1.ServiceAccountNameKey), ""))
		}
	case corev1.SecretTypeDockercfg:
		requireJSON(corev1.DockerConfigKey)
	case corev1.SecretTypeDockerConfigJson:
		requireJSON(corev1.DockerConfigJsonKey)
	case corev1.SecretTypeBasicAuth:
		_, u := data[corev1.BasicAuthUsernameKey]
		_, p := data[corev1.BasicAuthPasswordKey]
		if !u && !p {
			errs = append(errs, field.Required(field.NewPath("data").Key(corev1.BasicAuthUsernameKey), "one of username or password is required"))
		}
	case corev1.SecretTypeSSHAuth:
		require(corev1.SSHAuthPrivateKey)
	case corev1.SecretTypeTLS:
		require(corev1.TLSCertKey)
		require(corev1.TLSPrivateKeyKey)
	default:
		errs = append(errs, invalid(field.NewPath("type"), s.Type, validation.IsQualifiedName(string(s.Type)))...)
	}
	return errs
}

func stringMapBytes(m map[string]string) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = []byte(v)
	}
	return out
}
