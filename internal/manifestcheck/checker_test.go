package manifestcheck

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"
)

// The CRDs the render package's manifests are checked against.
var crdDir = filepath.Join("..", "..", "render", "testdata", "crds")

var loadChecker = sync.OnceValues(func() (*Checker, error) {
	return NewFromFS(os.DirFS(crdDir))
})

func checker(t *testing.T) *Checker {
	t.Helper()
	c, err := loadChecker()
	if err != nil {
		t.Fatalf("NewFromFS(%s): %v", crdDir, err)
	}
	return c
}

// validObjects returns fresh copies of testdata/valid.yaml's objects, keyed
// by "apiVersion Kind".
func validObjects(t *testing.T) map[string]map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "valid.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := splitYAML(data)
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]map[string]any{}
	for _, doc := range docs {
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			t.Fatal(err)
		}
		objs[obj["apiVersion"].(string)+" "+obj["kind"].(string)] = obj
	}
	return objs
}

func TestValidObjectsPass(t *testing.T) {
	c := checker(t)
	objs := validObjects(t)
	for key, obj := range objs {
		if errs := c.Check(obj); len(errs) > 0 {
			t.Errorf("%s: unexpected errors:\n%s", key, joinErrs(errs))
		}
	}
	data, _ := os.ReadFile(filepath.Join("testdata", "valid.yaml"))
	if errs := c.CheckYAML(data); len(errs) > 0 {
		t.Errorf("CheckYAML(valid.yaml): unexpected errors:\n%s", joinErrs(errs))
	}
	// The kinds the render package emits are all known, and all have a
	// valid example above.
	known := map[string]bool{}
	for _, kind := range c.Kinds() {
		known[kind] = true
	}
	for _, kind := range renderedKinds {
		if !known[kind] {
			t.Errorf("checker does not know %s", kind)
		}
		if _, ok := objs[kind]; !ok {
			t.Errorf("testdata/valid.yaml has no %s", kind)
		}
	}
}

var renderedKinds = []string{
	"kpack.io/v1alpha2 Image", "kpack.io/v1alpha2 ClusterStore", "kpack.io/v1alpha2 ClusterStack",
	"kpack.io/v1alpha2 ClusterBuilder", "kpack.io/v1alpha2 ClusterLifecycle",
	"argoproj.io/v1alpha1 Application", "argoproj.io/v1alpha1 AppProject",
	"servicebinding.io/v1 ServiceBinding", "servicebinding.io/v1beta1 ServiceBinding",
	"monitoring.coreos.com/v1 PrometheusRule",
	"apps/v1 Deployment", "v1 Service", "networking.k8s.io/v1 Ingress",
	"v1 ServiceAccount", "v1 Namespace", "v1 Secret",
}

func TestInvalidObjects(t *testing.T) {
	tests := []struct {
		name      string
		object    string // "apiVersion Kind" in testdata/valid.yaml
		mutate    func(obj map[string]any)
		wantField string
		wantText  string
	}{
		// Argo CD: API-server schema validation.
		{"argo project not a string", "argoproj.io/v1alpha1 Application",
			set(42, "spec", "project"), "spec.project", "must be of type string"},
		{"argo unknown field", "argoproj.io/v1alpha1 Application",
			set("x", "spec", "sourc"), "spec.sourc", "unknown field"},
		{"argo unknown nested field", "argoproj.io/v1alpha1 Application",
			set(true, "spec", "syncPolicy", "automated", "purne"), "spec.syncPolicy.automated.purne", "unknown field"},
		{"argo missing namespace", "argoproj.io/v1alpha1 Application",
			del("metadata", "namespace"), "metadata.namespace", "Required value"},
		{"argo missing destination", "argoproj.io/v1alpha1 Application",
			del("spec", "destination"), "spec.destination", "Required value"},
		{"argo project bad name", "argoproj.io/v1alpha1 AppProject",
			set("Shop_1", "metadata", "name"), "metadata.name", "RFC 1123 subdomain"},
		{"argo unknown metadata field", "argoproj.io/v1alpha1 AppProject",
			set("x", "metadata", "lables"), "metadata.lables", "unknown field"},

		// kpack: kpack's webhook validation, and scope from the CRD.
		{"kpack image without tag", "kpack.io/v1alpha2 Image",
			del("spec", "tag"), "spec.tag", "kpack webhook: missing field(s)"},
		{"kpack image bad tag", "kpack.io/v1alpha2 Image",
			set("Not A Tag", "spec", "tag"), "spec.tag", "kpack webhook: invalid value"},
		{"kpack image unknown field", "kpack.io/v1alpha2 Image",
			set("x", "spec", "serviceAcountName"), "spec.serviceAcountName", "kpack webhook: unknown field"},
		{"kpack image two sources", "kpack.io/v1alpha2 Image",
			set(map[string]any{"url": "https://example.com/app.zip"}, "spec", "source", "blob"), "spec.source.blob, spec.source.git", "expected exactly one, got both"},
		{"kpack image without namespace", "kpack.io/v1alpha2 Image",
			del("metadata", "namespace"), "metadata.namespace", "Required value"},
		{"kpack image bad builder kind", "kpack.io/v1alpha2 Image",
			set("Builderz", "spec", "builder", "kind"), "spec.builder.kind", "invalid value: Builderz"},
		{"kpack cluster builder with namespace", "kpack.io/v1alpha2 ClusterBuilder",
			set("shop", "metadata", "namespace"), "metadata.namespace", "not allowed on this type"},
		{"kpack cluster builder without service account namespace", "kpack.io/v1alpha2 ClusterBuilder",
			del("spec", "serviceAccountRef", "namespace"), "spec.serviceAccountRef.namespace", "missing field"},
		{"kpack cluster store without sources", "kpack.io/v1alpha2 ClusterStore",
			del("spec", "sources"), "spec.sources", "missing field"},
		{"kpack cluster stack without id", "kpack.io/v1alpha2 ClusterStack",
			del("spec", "id"), "spec.id", "missing field"},
		{"kpack cluster lifecycle without image", "kpack.io/v1alpha2 ClusterLifecycle",
			del("spec", "image"), "spec.image", "missing field"},

		// servicebinding.io, both served versions.
		{"service binding without service", "servicebinding.io/v1 ServiceBinding",
			del("spec", "service"), "spec.service", "Required value"},
		{"service binding v1beta1 without workload", "servicebinding.io/v1beta1 ServiceBinding",
			del("spec", "workload"), "spec.workload", "Required value"},
		{"service binding service without name", "servicebinding.io/v1 ServiceBinding",
			del("spec", "service", "name"), "spec.service.name", "Required value"},

		// PrometheusRule.
		{"prometheus rule unknown field", "monitoring.coreos.com/v1 PrometheusRule",
			set("critical", "spec", "groups", 0, "rules", 0, "severity"), "spec.groups[0].rules[0].severity", "unknown field"},
		{"prometheus rule group without name", "monitoring.coreos.com/v1 PrometheusRule",
			del("spec", "groups", 0, "name"), "spec.groups[0].name", "Required value"},

		// Built-in kinds: strict decoding.
		{"deployment unknown field", "apps/v1 Deployment",
			set("Always", "spec", "template", "spec", "containers", 0, "imagePullPolcy"), "spec.template.spec.containers[0].imagePullPolcy", "unknown field"},
		{"deployment wrong case", "apps/v1 Deployment",
			set(3, "spec", "Replicas"), "spec.Replicas", "unknown field"},
		{"deployment wrong type", "apps/v1 Deployment",
			set("2", "spec", "replicas"), "", "cannot decode"},
		// Built-in kinds: semantic checks.
		{"deployment selector mismatch", "apps/v1 Deployment",
			set("other", "spec", "selector", "matchLabels", "app.kubernetes.io/name"), "spec.template.metadata.labels", "does not match"},
		{"deployment without selector", "apps/v1 Deployment",
			del("spec", "selector"), "spec.selector", "Required value"},
		{"deployment container port out of range", "apps/v1 Deployment",
			set(70000, "spec", "template", "spec", "containers", 0, "ports", 0, "containerPort"), "spec.template.spec.containers[0].ports[0].containerPort", "between 1 and 65535"},
		{"deployment probe on unknown port name", "apps/v1 Deployment",
			set("web", "spec", "template", "spec", "containers", 0, "readinessProbe", "httpGet", "port"), "spec.template.spec.containers[0].readinessProbe.httpGet.port", "must be the name of a port"},
		{"deployment probe on undeclared port", "apps/v1 Deployment",
			set(9090, "spec", "template", "spec", "containers", 0, "livenessProbe", "tcpSocket", "port"), "spec.template.spec.containers[0].livenessProbe.tcpSocket.port", "must be a containerPort"},
		{"deployment container without image", "apps/v1 Deployment",
			del("spec", "template", "spec", "containers", 0, "image"), "spec.template.spec.containers[0].image", "Required value"},
		{"deployment mount of unknown volume", "apps/v1 Deployment",
			set("nope", "spec", "template", "spec", "containers", 0, "volumeMounts", 0, "name"), "spec.template.spec.containers[0].volumeMounts[0].name", "Not found"},
		{"deployment duplicate env var", "apps/v1 Deployment",
			set([]any{map[string]any{"name": "PORT", "value": "1"}, map[string]any{"name": "PORT", "value": "2"}}, "spec", "template", "spec", "containers", 0, "env"),
			"spec.template.spec.containers[0].env[1].name", "Duplicate value"},
		{"deployment bad label value", "apps/v1 Deployment",
			set("not a label!", "metadata", "labels", "app.kubernetes.io/name"), "metadata.labels", "a valid label must be"},
		{"deployment without namespace", "apps/v1 Deployment",
			del("metadata", "namespace"), "metadata.namespace", "Required value"},
		{"service name not DNS-1035", "v1 Service",
			set("1shop", "metadata", "name"), "metadata.name", "DNS-1035 label"},
		{"service port zero", "v1 Service",
			set(0, "spec", "ports", 0, "port"), "spec.ports[0].port", "between 1 and 65535"},
		{"service target port name too long", "v1 Service",
			set("http-port-name-too-long", "spec", "ports", 0, "targetPort"), "spec.ports[0].targetPort", "no more than 15 characters"},
		{"ingress without path type", "networking.k8s.io/v1 Ingress",
			del("spec", "rules", 0, "http", "paths", 0, "pathType"), "spec.rules[0].http.paths[0].pathType", "pathType must be specified"},
		{"ingress bad backend service name", "networking.k8s.io/v1 Ingress",
			set("Shop_Svc", "spec", "rules", 0, "http", "paths", 0, "backend", "service", "name"), "spec.rules[0].http.paths[0].backend.service.name", "DNS-1035 label"},
		{"ingress backend without port", "networking.k8s.io/v1 Ingress",
			del("spec", "rules", 0, "http", "paths", 0, "backend", "service", "port", "name"), "spec.rules[0].http.paths[0].backend.service.port", "port name or number is required"},
		{"namespace with namespace", "v1 Namespace",
			set("default", "metadata", "namespace"), "metadata.namespace", "not allowed on this type"},
		{"namespace bad name", "v1 Namespace",
			set("Shop", "metadata", "name"), "metadata.name", "RFC 1123 label"},
		{"secret missing dockerconfigjson", "v1 Secret",
			del("stringData", ".dockerconfigjson"), "data[.dockerconfigjson]", "Required value"},
		{"secret bad key", "v1 Secret",
			set("x", "stringData", "bad key!"), "stringData[bad key!]", "valid config key"},
		{"service account unknown field", "v1 ServiceAccount",
			set(true, "automountToken"), "automountToken", "unknown field"},
	}
	c := checker(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := validObjects(t)[tt.object]
			if obj == nil {
				t.Fatalf("no %s in testdata/valid.yaml", tt.object)
			}
			tt.mutate(obj)
			errs := c.Check(obj)
			if len(errs) == 0 {
				t.Fatal("no error")
			}
			for _, err := range errs {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("%v is a %T, not an *Error", err, err)
				}
				if e.Field == tt.wantField && strings.Contains(e.Detail, tt.wantText) {
					if e.APIVersion+" "+e.Kind != tt.object {
						t.Errorf("error names %s %s, want %s", e.APIVersion, e.Kind, tt.object)
					}
					return
				}
			}
			t.Errorf("no error at %q containing %q; got:\n%s", tt.wantField, tt.wantText, joinErrs(errs))
		})
	}
}

func TestUnknownKind(t *testing.T) {
	errs := checker(t).Check(map[string]any{
		"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w", "namespace": "shop"},
	})
	want := "example.com/v1 Widget shop/w: no schema for example.com/v1 Widget"
	if len(errs) != 1 || errs[0].Error() != want {
		t.Errorf("got %v, want [%s]", errs, want)
	}
	// A kpack version whose CRD schema was not given is unknown too.
	errs = checker(t).Check(map[string]any{"apiVersion": "kpack.io/v1alpha2", "kind": "Build"})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "no schema for kpack.io/v1alpha2 Build") {
		t.Errorf("got %v", errs)
	}
}

func TestCheckDoesNotModifyInput(t *testing.T) {
	obj := validObjects(t)["argoproj.io/v1alpha1 Application"]
	set("x", "spec", "unknown")(obj)
	before := validObjects(t)["argoproj.io/v1alpha1 Application"]
	set("x", "spec", "unknown")(before)
	checker(t).Check(obj)
	if !reflect.DeepEqual(obj, before) {
		t.Error("Check modified its input")
	}
}

func TestCheckYAML(t *testing.T) {
	c := checker(t)
	errs := c.CheckYAML([]byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: B\n"))
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "v1 Namespace B: metadata.name") {
		t.Errorf("got %v", errs)
	}
	errs = c.CheckYAML([]byte("apiVersion: v1\nkind: Namespace\nkind: Namespace\n"))
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "already set in map") {
		t.Errorf("duplicate key: got %v", errs)
	}
}

func TestKpackDefaultStorageClass(t *testing.T) {
	obj := validObjects(t)["kpack.io/v1alpha2 Image"]
	set("2G", "spec", "cache", "volume", "size")(obj)
	c := *checker(t)
	if errs := c.Check(obj); len(errs) == 0 || !strings.Contains(joinErrs(errs), "storageClassName") {
		t.Errorf("without a default StorageClass: got %v", errs)
	}
	c.DefaultStorageClass = true
	if errs := c.Check(obj); len(errs) > 0 {
		t.Errorf("with a default StorageClass: %v", errs)
	}
}

func TestNewRejectsNonCRD(t *testing.T) {
	_, err := New([]byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n"))
	if err == nil || !strings.Contains(err.Error(), "not an apiextensions.k8s.io/v1 CustomResourceDefinition") {
		t.Errorf("got %v", err)
	}
}

// set returns a mutation that sets the value at path (map keys and list
// indexes), creating maps on the way.
func set(value any, path ...any) func(map[string]any) {
	return func(obj map[string]any) {
		parent := walk(obj, path[:len(path)-1])
		switch k := path[len(path)-1].(type) {
		case string:
			parent.(map[string]any)[k] = value
		case int:
			parent.([]any)[k] = value
		}
	}
}

// del returns a mutation that deletes the map key at the end of path.
func del(path ...any) func(map[string]any) {
	return func(obj map[string]any) {
		delete(walk(obj, path[:len(path)-1]).(map[string]any), path[len(path)-1].(string))
	}
}

func walk(obj map[string]any, path []any) any {
	var cur any = obj
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m := cur.(map[string]any)
			if m[k] == nil {
				m[k] = map[string]any{}
			}
			cur = m[k]
		case int:
			cur = cur.([]any)[k]
		}
	}
	return cur
}

func joinErrs(errs []error) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString("  " + e.Error() + "\n")
	}
	return b.String()
}
