package render

import (
	"bytes"
	"fmt"
	"io"
	"sort"

	"k8s.io/apimachinery/pkg/runtime"
)

// Object is one rendered Kubernetes object, held as the plain JSON-like
// value it serializes to, with the path it takes in a GitOps tree.
type Object struct {
	// Path is the object's file in the GitOps tree, relative to its root,
	// such as dev/payments-api/deployment.yaml.
	Path string
	// Value is the object as plain values (map[string]any and friends).
	Value map[string]any
}

// APIVersion, Kind, Name and Namespace read the object's identity.
func (o Object) APIVersion() string { return str(o.Value["apiVersion"]) }

// Kind is the object's kind.
func (o Object) Kind() string { return str(o.Value["kind"]) }

// Name is the object's metadata.name.
func (o Object) Name() string { return str(meta(o.Value)["name"]) }

// Namespace is the object's metadata.namespace ("" for cluster objects).
func (o Object) Namespace() string { return str(meta(o.Value)["namespace"]) }

func meta(v map[string]any) map[string]any {
	m, _ := v["metadata"].(map[string]any)
	return m
}

func str(v any) string { s, _ := v.(string); return s }

// YAML encodes the object with sorted keys.
func (o Object) YAML() ([]byte, error) { return encodeYAML(o.Value) }

// toObject converts a typed API object to its plain form, dropping what the
// typed structs emit but no author writes: creationTimestamp: null and an
// empty status.
func toObject(path string, typed any) (Object, error) {
	var v map[string]any
	if m, ok := typed.(map[string]any); ok {
		v = m
	} else {
		// The converter client-go uses: reflection straight to plain values,
		// following the json tags, without a round trip through bytes.
		var err error
		if v, err = runtime.DefaultUnstructuredConverter.ToUnstructured(typed); err != nil {
			return Object{}, fmt.Errorf("encoding %T: %w", typed, err)
		}
	}
	if m := meta(v); m != nil {
		if m["creationTimestamp"] == nil {
			delete(m, "creationTimestamp")
		}
	}
	if s, ok := v["status"].(map[string]any); ok && len(prune(s)) == 0 {
		delete(v, "status")
	}
	return Object{Path: path, Value: v}, nil
}

// prune removes empty maps and nils from a status so that typed zero
// values (status: {conditions: null}) do not show.
func prune(m map[string]any) map[string]any {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			if len(prune(x)) == 0 {
				delete(m, k)
			}
		}
	}
	return m
}

// kindOrder puts objects in the order a reader (and kubectl apply) wants
// them: namespaces and accounts first, then build objects, workloads,
// networking and bindings, Argo CD last.
var kindOrder = map[string]int{
	"Namespace": 0, "ServiceAccount": 1, "Secret": 2,
	"ClusterLifecycle": 10, "ClusterStore": 11, "ClusterStack": 12, "ClusterBuilder": 13, "Image": 14,
	"Deployment": 20, "Service": 21, "Ingress": 22, "ServiceBinding": 23,
	"PrometheusRule": 30, "AppProject": 40, "Application": 41, "Kustomization": 50,
	"ClusterRole": 3, "ClusterRoleBinding": 4, "Role": 5, "RoleBinding": 6, "ConfigMap": 7,
}

// Sort orders objects by path, then kind order, namespace and name.
func Sort(objs []Object) {
	sort.SliceStable(objs, func(i, j int) bool {
		a, b := objs[i], objs[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if ka, kb := kindOrder[a.Kind()], kindOrder[b.Kind()]; ka != kb {
			return ka < kb
		}
		if a.Namespace() != b.Namespace() {
			return a.Namespace() < b.Namespace()
		}
		return a.Name() < b.Name()
	})
}

// StreamWriter writes objects to an io.Writer as one YAML stream, separated
// by ---, each headed by a comment with its path in the GitOps tree. It
// encodes one object at a time and keeps nothing, so a stream of any
// length takes the memory of its largest object.
type StreamWriter struct {
	w io.Writer
	n int
}

// NewStreamWriter returns a StreamWriter writing to w.
func NewStreamWriter(w io.Writer) *StreamWriter { return &StreamWriter{w: w} }

// Write appends objects to the stream.
func (s *StreamWriter) Write(objs ...Object) error {
	for _, o := range objs {
		data, err := o.YAML()
		if err != nil {
			return err
		}
		head := "# " + o.Path + "\n"
		if s.n > 0 {
			head = "---\n" + head
		}
		if _, err := io.WriteString(s.w, head); err != nil {
			return err
		}
		if _, err := s.w.Write(data); err != nil {
			return err
		}
		s.n++
	}
	return nil
}

// Stream writes objects to w as one YAML stream (see StreamWriter).
func Stream(w io.Writer, objs []Object) error { return NewStreamWriter(w).Write(objs...) }

// Tree lays objects out as files: each path's objects, in order, as one
// YAML stream. The result maps slash-separated relative paths to content.
func Tree(objs []Object) (map[string][]byte, error) {
	byPath := map[string][]Object{}
	var paths []string
	for _, o := range objs {
		if _, ok := byPath[o.Path]; !ok {
			paths = append(paths, o.Path)
		}
		byPath[o.Path] = append(byPath[o.Path], o)
	}
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		var buf bytes.Buffer
		for i, o := range byPath[p] {
			data, err := o.YAML()
			if err != nil {
				return nil, err
			}
			if i > 0 {
				buf.WriteString("---\n")
			}
			buf.Write(data)
		}
		out[p] = buf.Bytes()
	}
	return out, nil
}

// Port is a Service's first spec.ports[].port, or ServicePort when it names
// none (or the object is not a Service).
func (o Object) Port() int {
	spec, _ := o.Value["spec"].(map[string]any)
	ports, _ := spec["ports"].([]any)
	for _, p := range ports {
		if m, ok := p.(map[string]any); ok {
			switch v := m["port"].(type) {
			case int:
				return v
			case int32:
				return int(v)
			case int64:
				return int(v)
			case float64:
				return int(v)
			}
		}
	}
	return ServicePort
}

// SecretVolumes are the names of the Secrets a workload's pod template
// (spec.template.spec.volumes) mounts, sorted; none for other objects.
func (o Object) SecretVolumes() []string {
	spec, _ := o.Value["spec"].(map[string]any)
	tmpl, _ := spec["template"].(map[string]any)
	pod, _ := tmpl["spec"].(map[string]any)
	var vols []map[string]any
	switch vs := pod["volumes"].(type) {
	case []any:
		for _, v := range vs {
			if m, ok := v.(map[string]any); ok {
				vols = append(vols, m)
			}
		}
	case []map[string]any:
		vols = vs
	}
	var names []string
	for _, v := range vols {
		secret, _ := v["secret"].(map[string]any)
		if name, _ := secret["secretName"].(string); name != "" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}
