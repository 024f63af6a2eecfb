package contract_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	yaml "go.yaml.in/yaml/v3"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/golden"
)

func fixtures(t *testing.T, prefix string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", prefix+"*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

func TestValidFixtures(t *testing.T) {
	for _, f := range append(fixtures(t, "valid-"), "../examples/contracts/dev/payments-api.yaml") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			reqs, err := contract.LoadFile(f)
			require.NoError(t, err)
			require.NotEmpty(t, reqs)
			for _, r := range reqs {
				assert.Empty(t, r.Validate(), "a loaded request stays valid")
			}
		})
	}
}

var located = regexp.MustCompile(`^testdata/[a-z0-9-]+\.yaml:\d+:\d+: [A-Za-z0-9_.\[\]]+: .+`)

func TestInvalidFixtures(t *testing.T) {
	fileLevel := map[string]bool{"invalid-empty.yaml": true, "invalid-syntax.yaml": true, "invalid-not-mapping.yaml": true}
	for _, f := range fixtures(t, "invalid-") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := contract.LoadFile(f)
			require.Error(t, err)
			errs := contract.AsErrors(err)
			var out bytes.Buffer
			for _, e := range errs {
				fmt.Fprintln(&out, e.Error())
				if !fileLevel[filepath.Base(f)] {
					assert.Regexp(t, located, e.Error(), "every problem names file:line:col and the field")
				}
			}
			golden.Assert(t, strings.TrimSuffix(f, ".yaml")+".golden", out.Bytes())
		})
	}
}

func TestEveryErrorAtOnce(t *testing.T) {
	_, err := contract.LoadFile("testdata/invalid-seed-five-mistakes.yaml")
	errs := contract.AsErrors(err)
	paths := map[string]bool{}
	for _, e := range errs {
		paths[e.Path] = true
	}
	for _, p := range []string{"id", "spec.source.git.url", "spec.runtime.replicas", "spec.runtime.resources.memory", "spec.ingress.hots", "spec.ingress.host"} {
		assert.True(t, paths[p], "missing a finding for %s in\n%v", p, err)
	}
	assert.Contains(t, err.Error(), `did you mean "host"?`)
}

func TestMultiDocumentKeepsValidOnes(t *testing.T) {
	reqs, err := contract.LoadFile("testdata/invalid-multi-second-doc.yaml")
	require.Error(t, err)
	require.Len(t, reqs, 1)
	assert.Equal(t, "payments-api", reqs[0].Application)
	assert.Contains(t, err.Error(), "invalid-multi-second-doc.yaml:39:77: spec.runtime.replicas")
}

func TestDefaults(t *testing.T) {
	reqs, err := contract.LoadFile("testdata/valid-multi.yaml")
	require.NoError(t, err)
	r := reqs[0]
	assert.Equal(t, contract.BuildTypeBuildpack, r.Spec.Build.Type)
	assert.Equal(t, "default", r.Spec.Build.Builder)
	assert.Equal(t, "main", r.Spec.Source.Git.Branch)
	assert.Equal(t, int32(1), *r.Spec.Runtime.Replicas)
	assert.Equal(t, int32(8080), *r.Spec.Runtime.Port)
	// A pinned revision means no default branch.
	assert.Empty(t, reqs[1].Spec.Source.Git.Branch)

	d, err := contract.LoadFile("testdata/valid-dockerfile.yaml")
	require.NoError(t, err)
	assert.Equal(t, ".", d[0].Spec.Build.Dockerfile.Context)
	assert.Empty(t, d[0].Spec.Build.Builder)
	assert.Equal(t, int32(0), *d[0].Spec.Runtime.Replicas, "an explicit 0 is kept")

	// SetDefaults is idempotent.
	before, _ := json.Marshal(r)
	r.SetDefaults()
	after, _ := json.Marshal(r)
	assert.JSONEq(t, string(before), string(after))
}

func TestPositionOf(t *testing.T) {
	reqs, err := contract.LoadFile("testdata/valid-seed.yaml")
	require.NoError(t, err)
	assert.Equal(t, "testdata/valid-seed.yaml:19:15", reqs[0].PositionOf("spec.runtime.replicas").String())
	// A field that is not written is placed at its nearest written parent.
	assert.Equal(t, "testdata/valid-seed.yaml:19:5", reqs[0].PositionOf("spec.runtime.port").String())
}

// schemaVerdict is what the fixture's header says JSON Schema makes of it.
func schemaVerdict(t *testing.T, data []byte) string {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	if v, ok := bytes.CutPrefix(line, []byte("# schema: ")); ok {
		return strings.Fields(string(v))[0]
	}
	return "unparsable"
}

func compileSchema(t testing.TB, kind string) *jsonschema.Schema {
	data, err := contract.Schema(kind)
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	require.NoError(t, c.AddResource("schema.json", doc))
	s, err := c.Compile("schema.json")
	require.NoError(t, err)
	return s
}

// toJSONValue turns a YAML document into the value an editor's JSON Schema
// validator sees.
func toJSONValue(t testing.TB, n *yaml.Node) any {
	b, err := json.Marshal(plain(t, n))
	require.NoError(t, err)
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err)
	return out
}

// plain converts a YAML node to plain Go values the way a JSON-based tool
// does: a repeated key keeps its last value.
func plain(t testing.TB, n *yaml.Node) any {
	switch n.Kind {
	case yaml.DocumentNode:
		return plain(t, n.Content[0])
	case yaml.AliasNode:
		return plain(t, n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = plain(t, n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			l = append(l, plain(t, c))
		}
		return l
	}
	var v any
	require.NoError(t, n.Decode(&v))
	return v
}

func schemaAccepts(t testing.TB, s *jsonschema.Schema, data []byte) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	ok := true
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			break
		}
		if err := s.Validate(toJSONValue(t, &n)); err != nil {
			ok = false
		}
	}
	return ok
}

// TestSchemaAgreement checks every fixture with both the Go validator and an
// independent JSON Schema validator against the generated schema. Valid
// fixtures pass both; an invalid fixture is rejected by the schema exactly
// when its header says the rule is one JSON Schema can express.
func TestSchemaAgreement(t *testing.T) {
	s := compileSchema(t, contract.KindAppDeploymentRequest)
	for _, f := range append(fixtures(t, "valid-"), fixtures(t, "invalid-")...) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			_, goErr := contract.Load(f, data)
			valid := strings.HasPrefix(filepath.Base(f), "valid-")
			assert.Equal(t, valid, goErr == nil, "Go validator: %v", goErr)
			switch verdict := schemaVerdict(t, data); {
			case valid:
				assert.True(t, schemaAccepts(t, s, data), "schema must accept a valid fixture")
			case verdict == "rejects":
				assert.False(t, schemaAccepts(t, s, data), "schema must reject this fixture")
			case verdict == "accepts":
				assert.True(t, schemaAccepts(t, s, data), "the header says only the Go validator catches this; if the schema now does, change the header")
			case verdict == "unparsable":
			default:
				t.Fatalf("unknown schema verdict %q", verdict)
			}
		})
	}
}

func TestPlatformSchemaAcceptsDefault(t *testing.T) {
	s := compileSchema(t, contract.KindPlatform)
	assert.True(t, schemaAccepts(t, s, contract.DefaultPlatformYAML()))
}

// TestSchemaDrift fails when the committed schema differs from what the Go
// types generate. Fix it with `go generate ./contract`.
func TestSchemaDrift(t *testing.T) {
	for kind, file := range contract.SchemaFiles {
		want, err := contract.GenerateSchema(kind, ".")
		require.NoError(t, err)
		got, err := contract.Schema(kind)
		require.NoError(t, err)
		if golden.Updating() {
			require.NoError(t, os.WriteFile(filepath.Join("schema", file), want, 0o644))
			continue
		}
		assert.Equal(t, string(want), string(got), "schema/%s is stale: run go generate ./contract", file)
		assert.Contains(t, string(got), `"$schema": "http://json-schema.org/draft-07/schema#"`)
	}
}
