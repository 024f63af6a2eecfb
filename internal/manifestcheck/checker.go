// Package manifestcheck validates rendered Kubernetes manifests offline, the
// way a cluster would on create.
//
// A Checker knows three kinds of objects:
//
//   - Custom resources whose CustomResourceDefinition was given to New. They
//     go through the kube-apiserver's own code from
//     k8s.io/apiextensions-apiserver: structural schema, defaulting, pruning,
//     OpenAPI schema validation, embedded-resource and list-type checks, CEL
//     rules and object-metadata validation (name, and namespace according to
//     the CRD's scope). Fields that pruning would silently drop are reported
//     as errors: an unknown field in a rendered manifest is a renderer bug.
//   - kpack.io/v1alpha2 kinds additionally go through kpack's admission
//     webhook logic: strict decoding into the typed kpack object,
//     SetDefaults, then Validate.
//   - A fixed set of built-in kinds (apps/v1 Deployment, v1 Service,
//     networking.k8s.io/v1 Ingress, v1 ServiceAccount, v1 Namespace,
//     v1 Secret), strictly decoded into their k8s.io/api types and checked
//     for the semantic rules renderers most often break.
//
// For every kind, metadata.namespace must be set on namespaced objects and
// absent on cluster-scoped ones: a rendered manifest should not rely on the
// namespace kubectl would fill in. Any other apiVersion/kind is reported as
// an error ("no schema for ...").
//
// Typical use in a test:
//
//	c, err := manifestcheck.NewFromFS(os.DirFS("testdata/crds"))
//	...
//	for _, err := range c.Check(obj) {
//		t.Error(err)
//	}
//
// A Checker is read-only once built and safe for concurrent use.
package manifestcheck

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Checker validates manifests against the CRDs it was built with and the
// built-in kinds it knows.
type Checker struct {
	crds map[schema.GroupVersionKind]*crdVersion

	// DefaultStorageClass tells kpack's Image validation that the cluster
	// has a default StorageClass (kpack's webhook looks it up). Without it,
	// an Image with spec.cache.volume but no storageClassName is rejected,
	// as kpack does on a cluster without a default StorageClass.
	DefaultStorageClass bool
}

// Error is one problem found in one object.
type Error struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	// Field is the path of the offending field, such as "spec.project" or
	// "spec.template.spec.containers[0].ports[0].containerPort"; empty when
	// the problem concerns the whole object.
	Field string
	// Detail says what is wrong.
	Detail string
}

func (e *Error) Error() string {
	id := strings.TrimSpace(e.APIVersion + " " + e.Kind)
	switch {
	case e.Namespace != "" && e.Name != "":
		id += " " + e.Namespace + "/" + e.Name
	case e.Name != "":
		id += " " + e.Name
	}
	msg := e.Detail
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if id == "" {
		return msg
	}
	return id + ": " + msg
}

// New builds a Checker from CustomResourceDefinition manifests
// (apiextensions.k8s.io/v1, YAML or JSON; a file may hold several documents).
// Every served version of every CRD becomes checkable.
func New(crdFiles ...[]byte) (*Checker, error) {
	c := &Checker{crds: map[schema.GroupVersionKind]*crdVersion{}}
	for i, file := range crdFiles {
		docs, err := splitYAML(file)
		if err != nil {
			return nil, fmt.Errorf("CRD file %d: %w", i, err)
		}
		for _, doc := range docs {
			if err := c.addCRD(doc); err != nil {
				return nil, fmt.Errorf("CRD file %d: %w", i, err)
			}
		}
	}
	return c, nil
}

// NewFromFS builds a Checker from every *.yaml, *.yml and *.json file at the
// root of fsys, for example os.DirFS("testdata/crds").
func NewFromFS(fsys fs.FS) (*Checker, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var files [][]byte
	for _, e := range entries {
		switch path.Ext(e.Name()) {
		case ".yaml", ".yml", ".json":
		default:
			continue
		}
		if e.IsDir() {
			continue
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		files = append(files, b)
	}
	if len(files) == 0 {
		return nil, errors.New("manifestcheck: no CRD files found")
	}
	return New(files...)
}

// Kinds lists the apiVersion/kind pairs the Checker can validate, sorted.
func (c *Checker) Kinds() []string {
	var out []string
	for gvk := range c.crds {
		out = append(out, apiVersion(gvk)+" "+gvk.Kind)
	}
	for gvk := range builtins {
		out = append(out, apiVersion(gvk)+" "+gvk.Kind)
	}
	sort.Strings(out)
	return out
}

// Check validates one object, given as the generic map a renderer builds
// (or that decoding YAML/JSON gives). It returns nil when the object is
// valid; otherwise every error is an *Error.
func (c *Checker) Check(obj map[string]any) []error {
	data, err := json.Marshal(obj)
	if err != nil {
		r := newReport(obj)
		r.add("", "cannot encode object as JSON: "+err.Error())
		return r.errs
	}
	return c.checkJSON(data)
}

// CheckYAML validates every object in a YAML or JSON stream (documents
// separated by "---"; empty documents are skipped). Errors are *Error, as
// for Check.
func (c *Checker) CheckYAML(data []byte) []error {
	docs, err := splitYAML(data)
	if err != nil {
		return []error{&Error{Detail: err.Error()}}
	}
	var errs []error
	for _, doc := range docs {
		errs = append(errs, c.checkJSON(doc)...)
	}
	return errs
}

func (c *Checker) checkJSON(data []byte) []error {
	var obj map[string]any
	// util/json keeps integers as int64, as the API server does.
	if err := utiljson.Unmarshal(data, &obj); err != nil || obj == nil {
		return []error{&Error{Detail: fmt.Sprintf("not a JSON object: %v", err)}}
	}
	r := newReport(obj)
	gv, err := schema.ParseGroupVersion(r.id.APIVersion)
	if err != nil || r.id.APIVersion == "" || r.id.Kind == "" {
		r.add("", "apiVersion and kind must be set")
		return r.errs
	}
	gvk := gv.WithKind(r.id.Kind)

	if crd, ok := c.crds[gvk]; ok {
		crd.check(obj, r)
		if newKpack, ok := kpackTypes[gvk]; ok {
			c.checkKpack(data, newKpack(), r)
		}
		return r.errs
	}
	if b, ok := builtins[gvk]; ok {
		b.check(data, r)
		return r.errs
	}
	r.add("", fmt.Sprintf("no schema for %s %s", r.id.APIVersion, r.id.Kind))
	return r.errs
}

// report collects the errors of one object.
type report struct {
	id   Error
	errs []error
}

func newReport(obj map[string]any) *report {
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	meta, _ := obj["metadata"].(map[string]any)
	return &report{id: Error{
		APIVersion: str(obj, "apiVersion"),
		Kind:       str(obj, "kind"),
		Namespace:  str(meta, "namespace"),
		Name:       str(meta, "name"),
	}}
}

func (r *report) add(fieldPath, detail string) {
	e := r.id
	e.Field, e.Detail = fieldPath, detail
	r.errs = append(r.errs, &e)
}

func (r *report) addList(list field.ErrorList) {
	for _, fe := range list {
		r.add(fe.Field, fe.ErrorBody())
	}
}

func apiVersion(gvk schema.GroupVersionKind) string {
	return gvk.GroupVersion().String()
}

// splitYAML splits a YAML or JSON stream into JSON documents, rejecting
// duplicate keys as the API server's strict decoding does.
func splitYAML(data []byte) ([][]byte, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := reader.Read()
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		j, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			return nil, fmt.Errorf("invalid YAML: %w", err)
		}
		if t := bytes.TrimSpace(j); len(t) == 0 || bytes.Equal(t, []byte("null")) {
			continue
		}
		docs = append(docs, j)
	}
}
