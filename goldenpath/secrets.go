package goldenpath

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// SecretFile is a file of Secret manifests, as the caller read it: YAML or
// JSON, several documents, or a v1 List (what kubectl get secret -o yaml
// prints). Name is how messages name it ("-" for stdin).
type SecretFile struct {
	Name string
	Data []byte
}

// SecretCheck is what CheckSecrets found in one Secret: nothing (ok) or
// its problems. It never holds a Secret's values.
type SecretCheck struct {
	File     string   `json:"file"`
	Secret   string   `json:"secret"`
	Problems []string `json:"problems,omitempty"`
}

// SecretReport is the check of every Secret of the files, in order.
type SecretReport struct {
	Secrets []SecretCheck `json:"secrets"`
}

// Failed counts the Secrets with problems.
func (r *SecretReport) Failed() int {
	n := 0
	for _, s := range r.Secrets {
		if len(s.Problems) > 0 {
			n++
		}
	}
	return n
}

// CheckSecrets checks Secrets the platform's build service account lists
// against the platform (WithPlatform; contract.Platform.CheckBuildSecret):
// the registry Secret (build.registrySecret) and the git Secrets
// (build.gitCredentials). A file that holds something other than Secrets,
// or none, is an error naming the file and the document; a Secret with
// problems is reported, not an error.
func CheckSecrets(files []SecretFile, opts ...Option) (*SecretReport, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	p := o.platform
	rep := &SecretReport{Secrets: []SecretCheck{}}
	for _, f := range files {
		secrets, err := parseSecrets(f)
		if err != nil {
			return nil, err
		}
		for _, sec := range secrets {
			c := SecretCheck{File: f.Name, Secret: sec.Name}
			for _, e := range p.CheckBuildSecret(sec) {
				c.Problems = append(c.Problems, e.Error())
			}
			rep.Secrets = append(rep.Secrets, c)
		}
	}
	return rep, nil
}

// parseSecrets reads the Secrets of a file: documents of kind Secret, or a
// List of them; anything else is an error.
func parseSecrets(f SecretFile) ([]*corev1.Secret, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(f.Data), 4096)
	var out []*corev1.Secret
	for doc := 1; ; doc++ {
		var raw map[string]any
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", f.Name, doc, err)
		}
		if raw == nil {
			continue
		}
		items := []any{raw}
		if raw["kind"] == "List" || raw["kind"] == "SecretList" {
			items, _ = raw["items"].([]any)
		}
		for _, it := range items {
			m, _ := it.(map[string]any)
			if m["kind"] != "Secret" {
				return nil, fmt.Errorf("%s: document %d: a %v, not a Secret", f.Name, doc, m["kind"])
			}
			b, err := yaml.Marshal(m)
			if err != nil {
				return nil, fmt.Errorf("%s: document %d: %w", f.Name, doc, err)
			}
			var s corev1.Secret
			if err := yaml.UnmarshalStrict(b, &s); err != nil {
				return nil, fmt.Errorf("%s: document %d: %w", f.Name, doc, err)
			}
			out = append(out, &s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no Secret", f.Name)
	}
	return out, nil
}
