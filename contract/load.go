package contract

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest file Load reads. Contracts are a few hundred
// bytes; anything near this size is a mistake, not a contract.
const MaxFileSize = 1 << 20

// maxDocuments bounds the documents read from one file.
const maxDocuments = 1000

// Object is one decoded document: an *AppDeploymentRequest or a *Platform.
type Object interface {
	// Origin is where the document starts.
	Origin() Position
	// Validate checks the object and returns every problem found.
	Validate() Errors
	// SetDefaults fills in the optional fields' defaults.
	SetDefaults()
}

var (
	_ Object = (*AppDeploymentRequest)(nil)
	_ Object = (*Platform)(nil)
)

// kinds maps each supported kind to a constructor for it.
var kinds = map[string]func() Object{
	KindAppDeploymentRequest: func() Object { return &AppDeploymentRequest{} },
	KindPlatform:             func() Object { return &Platform{} },
}

// LoadFile reads a file with one or more AppDeploymentRequests (separated by
// ---), applies defaults and validates them. On any problem it returns the
// requests that are valid and an [Errors] listing every problem with its
// position.
func LoadFile(path string) ([]*AppDeploymentRequest, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return Load(path, data)
}

// Load is LoadFile for data already read; name is used in positions.
func Load(name string, data []byte) ([]*AppDeploymentRequest, error) {
	objs, err := LoadObjects(name, data)
	errs := AsErrors(err)
	var reqs []*AppDeploymentRequest
	for _, o := range objs {
		if r, ok := o.(*AppDeploymentRequest); ok {
			reqs = append(reqs, r)
		} else {
			errs = append(errs, &FieldError{Position: o.Origin(), Path: "kind", Message: fmt.Sprintf("expected kind %s here, not %s", KindAppDeploymentRequest, KindPlatform)})
		}
	}
	errs.Sort()
	return reqs, errs.Err()
}

// LoadObjectsFile is LoadObjects for a file on disk.
func LoadObjectsFile(path string) ([]Object, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return LoadObjects(path, data)
}

// LoadObjects decodes every document in data, whatever its kind, applies
// defaults and validates it. Documents with problems are left out of the
// result and their problems returned as [Errors]; documents without are
// returned in file order.
func LoadObjects(name string, data []byte) (objs []Object, err error) {
	objs, _, err = loadObjects(name, data, false)
	return objs, err
}

// LoadFound is LoadObjects for a file found in a folder rather than named:
// such a file is one of goldenpath's only when one of its documents is,
// which is decided by parsing its documents' top-level apiVersion and kind,
// never by searching its text:
//
//   - a document whose apiVersion is in the goldenpath.io group (any
//     version: goldenpath.io/v2 is then refused as unsupported), or whose
//     kind is AppDeploymentRequest or Platform (whatever its apiVersion:
//     goldenpth.io/v1 is then refused as unknown) is goldenpath's;
//   - a file that is not valid YAML, not UTF-8, empty or too large is
//     goldenpath's when a line of it starts with such an apiVersion or kind
//     (a contract with a syntax error is still reported), and skipped
//     otherwise.
//
// For a file that is not goldenpath's, found is false and nothing else is
// returned: workflows, Helm values and rendered Kubernetes objects are
// skipped.
func LoadFound(name string, data []byte) (objs []Object, found bool, err error) {
	return loadObjects(name, data, true)
}

func loadObjects(name string, data []byte, walked bool) (objs []Object, found bool, err error) {
	defer func() {
		// The decoder is written not to panic; this is a last line of
		// defence so that a parser bug becomes an error, not a crash.
		if r := recover(); r != nil {
			objs, found, err = nil, true, Errors{{Position: Position{File: name}, Message: fmt.Sprintf("internal error while reading YAML: %v", r)}}
		}
	}()
	fileErr := func(msg, hint string) (objs []Object, found bool, err error) {
		if walked && !mentionsGoldenpath(data) {
			return nil, false, nil
		}
		return nil, true, Errors{{Position: Position{File: name}, Message: msg, Hint: hint}}
	}
	switch {
	case len(data) > MaxFileSize:
		return fileErr(fmt.Sprintf("file is %d bytes or more; a contract file may be at most %d", len(data), MaxFileSize), "split it into several files")
	case len(bytes.TrimSpace(data)) == 0:
		return fileErr("file is empty", "expected a document with apiVersion: "+APIVersion)
	case bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data):
		return fileErr("file is not UTF-8 text", "is it a binary file?")
	}
	var errs Errors
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, syntaxError(name, err))
			break
		}
		if len(docs) == maxDocuments {
			errs = append(errs, &FieldError{Position: Position{File: name, Line: doc.Line}, Message: fmt.Sprintf("more than %d documents in one file", maxDocuments)})
			break
		}
		docs = append(docs, &doc)
	}
	if walked && !slices.ContainsFunc(docs, isGoldenpathDocument) && (len(errs) == 0 || !mentionsGoldenpath(data)) {
		return nil, false, nil
	}
	for _, doc := range docs {
		obj, derrs := decodeDocument(name, doc)
		errs = append(errs, derrs...)
		if obj != nil && len(derrs) == 0 {
			objs = append(objs, obj)
		}
	}
	if len(objs) == 0 && len(errs) == 0 {
		errs = append(errs, &FieldError{Position: Position{File: name}, Message: "file has no documents", Hint: "expected a document with apiVersion: " + APIVersion})
	}
	errs.Sort()
	return objs, true, errs.Err()
}

// isGoldenpathDocument reports whether a parsed document is goldenpath's:
// its apiVersion is in the goldenpath.io group, or its kind is one of
// goldenpath's kinds.
func isGoldenpathDocument(doc *yaml.Node) bool {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return false
	}
	apiVersion, _ := topScalar(root, "apiVersion")
	kind, _ := topScalar(root, "kind")
	_, ours := kinds[kind]
	return ours || strings.HasPrefix(apiVersion, Group+"/")
}

// goldenpathLineRE finds a top-level apiVersion or kind line of goldenpath's
// in text that does not parse.
var goldenpathLineRE = regexp.MustCompile(`(?m)^(apiVersion:[ \t]*["']?` + regexp.QuoteMeta(Group) + `/|kind:[ \t]*["']?(` + KindAppDeploymentRequest + `|` + KindPlatform + `)["']?[ \t]*(#.*)?\r?$)`)

// mentionsGoldenpath reports whether a line of data, which does not parse,
// starts like a goldenpath document's apiVersion or kind.
func mentionsGoldenpath(data []byte) bool { return goldenpathLineRE.Match(data) }

// decodeDocument decodes one YAML document into the type its apiVersion
// and kind name, then defaults and validates it.
func decodeDocument(file string, doc *yaml.Node) (Object, Errors) {
	root := doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, Errors{{Position: Position{File: file, Line: doc.Line, Column: doc.Column}, Message: "document is empty"}}
		}
		root = root.Content[0]
	}
	at := Position{File: file, Line: root.Line, Column: root.Column}
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, Errors{{Position: at, Message: "document is empty", Hint: "remove the extra --- or fill the document in"}}
	}
	if root.Kind != yaml.MappingNode {
		return nil, Errors{{Position: at, Message: "document must be a mapping with apiVersion, kind and the request's fields", Hint: "expected apiVersion: " + APIVersion}}
	}
	apiVersion, avNode := topScalar(root, "apiVersion")
	kind, kindNode := topScalar(root, "kind")
	switch {
	case avNode == nil:
		return nil, Errors{{Position: at, Path: "apiVersion", Message: "required field is missing", Hint: "add apiVersion: " + APIVersion}}
	case !slices.Contains(SupportedAPIVersions, apiVersion):
		return nil, Errors{{Position: Position{File: file, Line: avNode.Line, Column: avNode.Column}, Path: "apiVersion",
			Message: fmt.Sprintf("unsupported apiVersion %q", apiVersion), Hint: "supported: " + strings.Join(SupportedAPIVersions, ", ")}}
	case kindNode == nil:
		return nil, Errors{{Position: at, Path: "kind", Message: "required field is missing", Hint: "supported kinds: " + strings.Join(slices.Sorted(maps.Keys(kinds)), ", ")}}
	}
	newObj, ok := kinds[kind]
	if !ok {
		return nil, Errors{{Position: Position{File: file, Line: kindNode.Line, Column: kindNode.Column}, Path: "kind",
			Message: fmt.Sprintf("kind %q is not part of %s", kind, apiVersion), Hint: "supported kinds: " + strings.Join(slices.Sorted(maps.Keys(kinds)), ", ")}}
	}
	obj := newObj()
	d := newDecoder(file)
	d.decode(root, reflect.ValueOf(obj).Elem(), "")
	setSource(obj, at, d.ix)
	obj.SetDefaults()
	for _, e := range obj.Validate() {
		if !d.hasFailed(e.Path) {
			d.errs = append(d.errs, e)
		}
	}
	d.ix.freeze()
	return obj, d.errs
}

// hasFailed reports whether path or one of its parents could not be decoded:
// validation findings there would only repeat the decoding error.
func (d *decoder) hasFailed(path string) bool {
	for p := path; ; p = parentPath(p) {
		if d.failed[p] {
			return true
		}
		if p == "" {
			return false
		}
	}
}

func setSource(obj Object, at Position, ix *index) {
	switch o := obj.(type) {
	case *AppDeploymentRequest:
		o.origin, o.ix = at, ix
	case *Platform:
		o.origin, o.ix = at, ix
	}
}

// topScalar finds a scalar key's value in a mapping without decoding the rest.
func topScalar(m *yaml.Node, key string) (string, *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			v := m.Content[i+1]
			if v.Kind != yaml.ScalarNode {
				return "", v
			}
			return v.Value, v
		}
	}
	return "", nil
}

// syntaxError turns a YAML parser error into a FieldError with its line.
func syntaxError(file string, err error) *FieldError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	fe := &FieldError{Position: Position{File: file}, Message: "invalid YAML: " + msg}
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		fe.Line = line
		fe.Message = "invalid YAML:" + strings.SplitN(msg, ":", 2)[1]
	}
	return fe
}
