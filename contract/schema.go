package contract

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/invopop/jsonschema"
	orderedmap "github.com/pb33f/ordered-map/v2"
)

//go:generate go run ./internal/genschema

// SchemaDraft is the JSON Schema dialect of the generated schemas. Draft-07
// is the newest that yaml-language-server (VS Code, Neovim, JetBrains via
// the YAML plugin) supports.
const SchemaDraft = "http://json-schema.org/draft-07/schema#"

// SchemaBaseURL is the base of the schemas' $id.
const SchemaBaseURL = "https://goldenpath.io/schemas/v1/"

// SchemaFiles maps each kind to its committed schema file under schema/.
var SchemaFiles = map[string]string{
	KindAppDeploymentRequest: "appdeploymentrequest.json",
	KindPlatform:             "platform.json",
}

//go:embed schema/*.json
var committedSchemas embed.FS

// Schema returns the committed JSON Schema (draft-07) of a kind, as shipped
// in the binary. An editor can use it through the modeline
//
//	# yaml-language-server: $schema=<path or URL of appdeploymentrequest.json>
func Schema(kind string) ([]byte, error) {
	file, ok := SchemaFiles[kind]
	if !ok {
		return nil, fmt.Errorf("no schema for kind %q; kinds: %v", kind, slices.Sorted(maps.Keys(SchemaFiles)))
	}
	return committedSchemas.ReadFile("schema/" + file)
}

// GenerateSchema builds a kind's JSON Schema from the Go types. Descriptions
// come from the Go doc comments of the package sources in srcDir (pass "" to
// leave them out); constraints from the same patterns and enums the Go
// validator uses.
func GenerateSchema(kind, srcDir string) ([]byte, error) {
	var v any
	switch kind {
	case KindAppDeploymentRequest:
		v = &AppDeploymentRequest{}
	case KindPlatform:
		v = &Platform{}
	default:
		return nil, fmt.Errorf("no schema for kind %q", kind)
	}
	r := &jsonschema.Reflector{DoNotReference: true, ExpandedStruct: true}
	if srcDir != "" {
		if err := r.AddGoComments("github.com/goldenpath-dev/goldenpath/contract", srcDir); err != nil {
			return nil, fmt.Errorf("reading Go comments: %w", err)
		}
	}
	s := r.Reflect(v)
	s.Version = SchemaDraft
	s.ID = jsonschema.ID(SchemaBaseURL + SchemaFiles[kind])
	s.Title = "goldenpath " + kind
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Schema constraints. Each JSONSchemaExtend method states, for its type,
// what the Go validator checks and JSON Schema can express.

func prop(s *jsonschema.Schema, name string) *jsonschema.Schema {
	p, ok := s.Properties.Get(name)
	if !ok {
		panic("contract: schema has no property " + name)
	}
	return p
}

func ptrUint(n uint64) *uint64 { return &n }

func dnsLabel(s *jsonschema.Schema) {
	s.Pattern, s.MaxLength = DNSLabelPattern, ptrUint(63)
}

func refName(s *jsonschema.Schema) {
	s.Pattern, s.MaxLength = RefPattern, ptrUint(uint64(maxRefLength))
	s.Not = &jsonschema.Schema{Pattern: RefForbiddenPattern}
}

func relPath(s *jsonschema.Schema) {
	s.Pattern = RelPathPattern
	s.Not = &jsonschema.Schema{Pattern: RelPathForbiddenPattern}
}

func envMap(s *jsonschema.Schema, forbidden *jsonschema.Schema) {
	s.PropertyNames = &jsonschema.Schema{Pattern: EnvNamePattern, Not: forbidden}
}

func enumOf[T ~string](vals []T) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return out
}

// JSONSchemaExtend adds the request's constraints to its schema.
func (AppDeploymentRequest) JSONSchemaExtend(s *jsonschema.Schema) {
	prop(s, "apiVersion").Enum = enumOf(SupportedAPIVersions)
	prop(s, "kind").Const = KindAppDeploymentRequest
	id := prop(s, "id")
	id.Pattern, id.MaxLength, id.Examples = IDPattern, ptrUint(uint64(MaxIDLength)), []any{"APP-0001"}
	env := prop(s, "environment")
	env.Enum = enumOf(Environments)
	dnsLabel(prop(s, "owner"))
	app := prop(s, "application")
	app.Pattern, app.MaxLength, app.Examples = DNS1035LabelPattern, ptrUint(uint64(MaxApplicationLength)), []any{"payments-api"}
}

// JSONSchemaExtend adds the git source's constraints.
func (GitSource) JSONSchemaExtend(s *jsonschema.Schema) {
	u := prop(s, "url")
	u.Pattern, u.Examples = GitURLPattern, []any{"https://github.com/org/payments-api", "git@github.com:org/payments-api.git"}
	refName(prop(s, "branch"))
	prop(s, "branch").Default = DefaultBranch
	refName(prop(s, "revision"))
	relPath(prop(s, "subPath"))
}

// JSONSchemaExtend adds the build's constraints: builder goes with
// buildpack builds, dockerfile with dockerfile builds.
func (Build) JSONSchemaExtend(s *jsonschema.Schema) {
	t := prop(s, "type")
	t.Enum, t.Default = enumOf(BuildTypes), string(DefaultBuildType)
	b := prop(s, "builder")
	dnsLabel(b)
	b.Default = DefaultBuilder
	envMap(prop(s, "env"), &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Pattern: "^" + reservedBuild}, {Pattern: "^" + reservedPlatformBuild}, {Const: envServiceBindingRoot}}})
	s.If = &jsonschema.Schema{Properties: props("type", &jsonschema.Schema{Const: string(BuildTypeDockerfile)}), Required: []string{"type"}}
	s.Then = &jsonschema.Schema{Not: &jsonschema.Schema{Required: []string{"builder"}}}
	s.Else = &jsonschema.Schema{Not: &jsonschema.Schema{Required: []string{"dockerfile"}}}
}

// JSONSchemaExtend adds the Dockerfile build's constraints.
func (DockerfileBuild) JSONSchemaExtend(s *jsonschema.Schema) {
	relPath(prop(s, "path"))
	prop(s, "path").Default = DefaultDockerfile
	relPath(prop(s, "context"))
	prop(s, "context").Default = DefaultContext
	envMap(prop(s, "args"), nil)
}

// JSONSchemaExtend adds the runtime's constraints.
func (Runtime) JSONSchemaExtend(s *jsonschema.Schema) {
	r := prop(s, "replicas")
	r.Minimum, r.Default = "0", DefaultReplicas
	p := prop(s, "port")
	p.Minimum, p.Maximum, p.Default = "1", "65535", DefaultPort
	envMap(prop(s, "env"), &jsonschema.Schema{Enum: []any{envPort, envServiceBindingRoot}})
}

// JSONSchemaExtend gives memory and cpu their own rules and examples (see
// quantity.go): bytes for memory, cores for cpu.
func (Resources) JSONSchemaExtend(s *jsonschema.Schema) {
	m := prop(s, "memory")
	m.AnyOf = []*jsonschema.Schema{
		{Type: "string", Pattern: MemoryPattern},
		{Type: "number", Minimum: json.Number(strconv.Itoa(MinMemory))},
	}
	m.Examples = []any{"512Mi", "1Gi"}
	c := prop(s, "cpu")
	c.AnyOf = []*jsonschema.Schema{
		{Type: "string", Pattern: CPUPattern},
		{Type: "number", ExclusiveMinimum: "0"},
	}
	c.Examples = []any{"250m", "1"}
}

// JSONSchemaExtend adds the health check's constraints.
func (HealthCheck) JSONSchemaExtend(s *jsonschema.Schema) {
	p := prop(s, "path")
	p.Pattern, p.Examples = HealthPathPattern, []any{"/healthz"}
}

// JSONSchemaExtend adds the ingress's constraints: a host when enabled.
func (Ingress) JSONSchemaExtend(s *jsonschema.Schema) {
	h := prop(s, "host")
	h.Pattern, h.MaxLength, h.Examples = FQDNPattern, ptrUint(253), []any{"payments-api.dev.goldenpath.io"}
	s.If = &jsonschema.Schema{Properties: props("enabled", &jsonschema.Schema{Const: true}), Required: []string{"enabled"}}
	s.Then = &jsonschema.Schema{Required: []string{"host"}}
}

// JSONSchemaExtend adds the binding's constraints.
func (Binding) JSONSchemaExtend(s *jsonschema.Schema) {
	dnsLabel(prop(s, "type"))
	dnsLabel(prop(s, "name"))
	prop(s, "name").MaxLength = ptrUint(uint64(MaxBindingNameLength))
	prop(s, "type").Examples = []any{"database", "cache", "queue"}
}

// JSONSchema describes a quantity: a string in Kubernetes' syntax, or a
// positive number.
func (Quantity) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{
		AnyOf: []*jsonschema.Schema{
			{Type: "string", Pattern: QuantityPattern},
			{Type: "number", ExclusiveMinimum: "0"},
		},
		Examples: []any{"512Mi", "250m"},
	}
}

// JSONSchemaExtend adds the platform's constraints.
func (Platform) JSONSchemaExtend(s *jsonschema.Schema) {
	prop(s, "apiVersion").Enum = enumOf(SupportedAPIVersions)
	prop(s, "kind").Const = KindPlatform
	dnsLabel(prop(s, "name"))
	envs := prop(s, "environments")
	envs.PropertyNames = &jsonschema.Schema{Enum: enumOf(Environments)}
	envs.MinProperties = ptrUint(1)
	prop(s, "builders").Required = []string{DefaultBuilder}
	bp := prop(s, "bindingProjection")
	bp.Enum, bp.Default = []any{string(ProjectServiceBinding), string(ProjectVolume)}, string(DefaultProjection)
	prop(s, "builders").PropertyNames = &jsonschema.Schema{Pattern: DNSLabelPattern}
}

// JSONSchemaExtend adds the cache's constraints.
func (BuildCache) JSONSchemaExtend(s *jsonschema.Schema) {
	k := prop(s, "kind")
	k.Enum, k.Default = []any{string(CacheVolume), string(CacheRegistry), string(CacheNone)}, string(DefaultCacheKind)
	size := prop(s, "size")
	size.AnyOf = []*jsonschema.Schema{
		{Type: "string", Pattern: MemoryPattern},
		{Type: "number", Minimum: json.Number(strconv.Itoa(MinStorage))},
	}
	size.Examples = []any{"2Gi", "10Gi"}
}

// JSONSchemaExtend adds an environment's constraints.
func (EnvironmentConfig) JSONSchemaExtend(s *jsonschema.Schema) {
	dnsLabel(prop(s, "namespace"))
	prop(s, "ingressDomain").Pattern = FQDNPattern
	prop(s, "cluster").Default = DefaultCluster
}

// JSONSchemaExtend adds the policy's constraints.
func (Policy) JSONSchemaExtend(s *jsonschema.Schema) {
	prop(s, "minReplicas").Minimum = "0"
}

func props(name string, s *jsonschema.Schema) *orderedmap.OrderedMap[string, *jsonschema.Schema] {
	m := jsonschema.NewProperties()
	m.Set(name, s)
	return m
}
