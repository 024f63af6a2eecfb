package render

import (
	"encoding/json"
	"fmt"
	"strings"
)

// BackstageOptions configure the Backstage software template.
type BackstageOptions struct {
	// Owner of the template in the Backstage catalogue. Default: group:platform-team.
	Owner string
	// ContractsPath is where the pull request adds the contract, relative to
	// the target repository. Default: contracts.
	ContractsPath string
}

// BackstageTemplate renders a scaffolder.backstage.io/v1beta3 Template,
// "Deploy Application", and its skeleton. The form's fields, their
// descriptions, enums, patterns and defaults come from the contract's JSON
// Schema (schemaJSON, as contract.Schema returns it), so the portal refuses
// what goldenpath validate refuses. Besides the contract's own patterns,
// every free-text field refuses control characters (C0, DEL, C1, the
// Unicode line and paragraph separators, the byte order mark and the
// non-characters U+FFFE and U+FFFF): the skeleton writes values with
// Nunjucks' dump filter (JSON.stringify), which leaves those raw, and a YAML
// reader would fold or refuse them. The steps fetch the skeleton
// (fetch:template) and open a pull request with the new contract
// (publish:github:pull-request). It returns the files by path:
// template.yaml and skeleton/....
func BackstageTemplate(schemaJSON []byte, opts BackstageOptions) (map[string][]byte, error) {
	if opts.Owner == "" {
		opts.Owner = "group:platform-team"
	}
	if opts.ContractsPath == "" {
		opts.ContractsPath = "contracts"
	}
	var s schemaNode
	if err := json.Unmarshal(schemaJSON, &s); err != nil {
		return nil, fmt.Errorf("reading the contract schema: %w", err)
	}
	lookup := func(path ...string) (*schemaNode, error) {
		n := &s
		for _, p := range path {
			next, ok := n.Properties[p]
			if !ok {
				return nil, fmt.Errorf("the contract schema has no %s", strings.Join(path, "."))
			}
			n = next
		}
		return n, nil
	}
	field := func(title string, path ...string) (map[string]any, error) {
		n, err := lookup(path...)
		if err != nil {
			return nil, err
		}
		return formField(title, n), nil
	}
	type fieldSpec struct {
		name, title string
		path        []string
	}
	page := func(title string, required []string, specs ...fieldSpec) (map[string]any, error) {
		props := map[string]any{}
		for _, sp := range specs {
			f, err := field(sp.title, sp.path...)
			if err != nil {
				return nil, err
			}
			props[sp.name] = f
		}
		return map[string]any{"title": title, "required": anySlice(required), "properties": props}, nil
	}
	var pages []any
	for _, p := range []struct {
		title    string
		required []string
		fields   []fieldSpec
	}{
		{"Application", []string{"id", "application", "owner", "environment"}, []fieldSpec{
			{"id", "Request id", []string{"id"}},
			{"application", "Application name", []string{"application"}},
			{"owner", "Owning team", []string{"owner"}},
			{"environment", "Environment", []string{"environment"}},
		}},
		{"Source and build", []string{"gitUrl", "buildType"}, []fieldSpec{
			{"gitUrl", "Git repository", []string{"spec", "source", "git", "url"}},
			{"branch", "Branch", []string{"spec", "source", "git", "branch"}},
			{"subPath", "Folder of the application in the repository", []string{"spec", "source", "git", "subPath"}},
			{"buildType", "Build type", []string{"spec", "build", "type"}},
			{"builder", "Builder", []string{"spec", "build", "builder"}},
		}},
		{"Runtime", []string{"replicas", "memory", "cpu"}, []fieldSpec{
			{"replicas", "Replicas", []string{"spec", "runtime", "replicas"}},
			{"port", "Port", []string{"spec", "runtime", "port"}},
			{"healthPath", "Health check path", []string{"spec", "runtime", "healthCheck", "path"}},
			{"memory", "Memory", []string{"spec", "runtime", "resources", "memory"}},
			{"cpu", "CPU", []string{"spec", "runtime", "resources", "cpu"}},
			{"ingressHost", "Ingress host (leave empty for no ingress)", []string{"spec", "ingress", "host"}},
		}},
	} {
		pg, err := page(p.title, p.required, p.fields...)
		if err != nil {
			return nil, err
		}
		pages = append(pages, pg)
	}
	// TLS is a checkbox on the runtime page; it needs a host.
	runtime := pages[2].(map[string]any)
	runtime["properties"].(map[string]any)["tls"] = map[string]any{
		"title": "Serve the host over HTTPS (TLS)", "type": "boolean", "default": false,
		"description": "The certificate is the Secret <application>-tls; required in environments whose policy demands TLS (prod).",
	}
	runtime["if"] = map[string]any{"properties": map[string]any{"tls": map[string]any{"const": true}}, "required": []any{"tls"}}
	runtime["then"] = map[string]any{"required": []any{"ingressHost"}}
	// Build env and bindings: lists of the contract's maps and items.
	buildEnv, err := lookup("spec", "build", "env")
	if err != nil {
		return nil, err
	}
	bindings, err := lookup("spec", "bindings")
	if err != nil {
		return nil, err
	}
	envName := map[string]any{"title": "Name", "type": "string"}
	if pn := buildEnv.PropertyNames; pn != nil {
		envName["pattern"] = pn.Pattern
		if pn.Not != nil {
			envName["not"] = pn.Not.raw()
		}
	}
	binding := bindings.Items
	if binding == nil {
		return nil, fmt.Errorf("the contract schema has no spec.bindings items")
	}
	pages = append(pages, map[string]any{
		"title": "Build settings and bindings",
		"properties": map[string]any{
			"buildEnv": map[string]any{
				"title": "Build environment variables", "description": buildEnv.Description, "type": "array",
				"items": map[string]any{
					"type": "object", "required": []any{"name", "value"},
					"properties": map[string]any{
						"name":  envName,
						"value": textField(map[string]any{"title": "Value", "type": "string"}),
					},
				},
			},
			"bindings": map[string]any{
				"title": "Bindings", "description": bindings.Description, "type": "array",
				"items": map[string]any{
					"type": "object", "required": []any{"type", "name"},
					"properties": map[string]any{
						"type": formField("Service type", binding.Properties["type"]),
						"name": formField("Service name in the platform's catalogue", binding.Properties["name"]),
					},
				},
			},
		},
	})
	pages = append(pages, map[string]any{
		"title":    "Pull request",
		"required": []any{"repoUrl"},
		"properties": map[string]any{
			"repoUrl": map[string]any{
				"title":       "Repository holding the contracts",
				"type":        "string",
				"description": "The pull request adds " + opts.ContractsPath + "/<environment>/<application>.yaml here.",
				"ui:field":    "RepoUrlPicker",
				"ui:options":  map[string]any{"allowedHosts": []any{"github.com"}},
			},
		},
	})
	values := map[string]any{}
	for _, k := range []string{"id", "application", "owner", "environment", "gitUrl", "branch", "subPath", "buildType", "builder", "replicas", "port", "healthPath", "memory", "cpu", "ingressHost", "tls", "buildEnv", "bindings"} {
		values[k] = "${{ parameters." + k + " }}"
	}
	template := map[string]any{
		"apiVersion": "scaffolder.backstage.io/v1beta3",
		"kind":       "Template",
		"metadata": map[string]any{
			"name":        "deploy-application",
			"title":       "Deploy Application",
			"description": "Request a deployment on the golden path: one AppDeploymentRequest contract, built with buildpacks, deployed by Argo CD.",
			"tags":        []any{"goldenpath", "kubernetes", "buildpacks"},
		},
		"spec": map[string]any{
			"owner":      opts.Owner,
			"type":       "service",
			"parameters": pages,
			"steps": []any{
				map[string]any{
					"id": "fetch", "name": "Write the contract", "action": "fetch:template",
					"input": map[string]any{"url": "./skeleton", "targetPath": opts.ContractsPath, "values": values},
				},
				map[string]any{
					"id": "publish", "name": "Open a pull request", "action": "publish:github:pull-request",
					"input": map[string]any{
						"repoUrl":    "${{ parameters.repoUrl }}",
						"branchName": "goldenpath/${{ parameters.environment }}/${{ parameters.application }}",
						"title":      "Deploy ${{ parameters.application }} to ${{ parameters.environment }} (${{ parameters.id }})",
						"description": "Adds the AppDeploymentRequest of ${{ parameters.application }}. " +
							"Once merged, goldenpath renders the kpack Image, runtime manifests and Argo CD Application.",
					},
				},
			},
			"output": map[string]any{
				"links": []any{map[string]any{"title": "Pull request", "url": "${{ steps.publish.output.remoteUrl }}"}},
			},
		},
	}
	data, err := encodeYAML(template)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		"template.yaml": data,
		"skeleton/${{ values.environment }}/${{ values.application }}.yaml": []byte(BackstageSkeleton),
	}, nil
}

// formField is the form field of a contract field: its title, its
// description and the constraints JSON Schema states, all of them arrays,
// strings and numbers that are really there (an absent enum is left out,
// never written as null).
func formField(title string, n *schemaNode) map[string]any {
	f := map[string]any{"title": title}
	if n.Description != "" {
		f["description"] = n.Description
	}
	if len(n.Enum) > 0 {
		f["enum"] = n.Enum
	}
	if n.Pattern != "" {
		f["pattern"] = n.Pattern
	}
	for k, v := range map[string]any{"default": n.Default, "minimum": n.Minimum, "maximum": n.Maximum, "maxLength": n.MaxLength} {
		if v != nil {
			f[k] = v
		}
	}
	if n.Not != nil {
		f["not"] = n.Not.raw()
	}
	switch {
	case n.Type != "":
		f["type"] = n.Type
	case len(n.AnyOf) > 0: // quantities: offer the string form
		f["type"] = "string"
		f["pattern"] = n.AnyOf[0].Pattern
	}
	if len(n.Examples) > 0 {
		f["ui:placeholder"] = fmt.Sprint(n.Examples[0])
	}
	if f["type"] == "string" {
		textField(f)
	}
	return f
}

// formControls are the characters no form field may hold (see
// BackstageTemplate). The separators and non-characters are written as
// themselves: a JSON Schema pattern is read by ECMAScript engines, whose
// \u escapes Go's RE2 does not have.
const formControls = `[\x00-\x1f\x7f-\x9f` + "\u2028\u2029\ufeff\ufffe\uffff" + `]`

// textField makes a string field refuse control characters, keeping the
// field's own "not" if it has one.
func textField(f map[string]any) map[string]any {
	controls := map[string]any{"pattern": formControls}
	if not, ok := f["not"]; ok {
		delete(f, "not")
		f["allOf"] = []any{map[string]any{"not": not}, map[string]any{"not": controls}}
	} else {
		f["not"] = controls
	}
	return f
}

// BackstageSkeleton is the contract the template writes, in the Nunjucks
// syntax of Backstage's fetch:template. Every string is written with dump
// (JSON.stringify: a JSON string is a YAML double-quoted scalar, so "1.10"
// stays a string and "yes" is not a boolean), numbers through int, and the
// build env and bindings as the lists the form collects.
const BackstageSkeleton = `# yaml-language-server: $schema=https://goldenpath.io/schemas/v1/appdeploymentrequest.json
apiVersion: goldenpath.io/v1
kind: AppDeploymentRequest
id: ${{ values.id | dump }}
environment: ${{ values.environment | dump }}
owner: ${{ values.owner | dump }}
application: ${{ values.application | dump }}
spec:
  source:
    git:
      url: ${{ values.gitUrl | dump }}
{%- if values.branch %}
      branch: ${{ values.branch | dump }}
{%- endif %}
{%- if values.subPath %}
      subPath: ${{ values.subPath | dump }}
{%- endif %}
  build:
    type: ${{ values.buildType | dump }}
{%- if values.buildType == "buildpack" and values.builder %}
    builder: ${{ values.builder | dump }}
{%- endif %}
{%- if values.buildEnv | length %}
    env:
{%- for e in values.buildEnv %}
      ${{ e.name | dump }}: ${{ e.value | dump }}
{%- endfor %}
{%- endif %}
  runtime:
    replicas: ${{ values.replicas | int }}
{%- if values.port %}
    port: ${{ values.port | int }}
{%- endif %}
{%- if values.healthPath %}
    healthCheck:
      path: ${{ values.healthPath | dump }}
{%- endif %}
    resources:
      memory: ${{ values.memory | dump }}
      cpu: ${{ values.cpu | dump }}
{%- if values.ingressHost %}
  ingress:
    enabled: true
    host: ${{ values.ingressHost | dump }}
{%- if values.tls %}
    tls:
      enabled: true
{%- endif %}
{%- endif %}
{%- if values.bindings | length %}
  bindings:
{%- for b in values.bindings %}
    - type: ${{ b.type | dump }}
      name: ${{ b.name | dump }}
{%- endfor %}
{%- endif %}
`

// schemaNode is the part of a JSON Schema the template reads.
type schemaNode struct {
	Type          string                 `json:"type"`
	Description   string                 `json:"description"`
	Enum          []any                  `json:"enum"`
	Pattern       string                 `json:"pattern"`
	Default       any                    `json:"default"`
	Minimum       any                    `json:"minimum"`
	Maximum       any                    `json:"maximum"`
	MaxLength     any                    `json:"maxLength"`
	Examples      []any                  `json:"examples"`
	Not           *schemaNode            `json:"not"`
	AnyOf         []*schemaNode          `json:"anyOf"`
	Properties    map[string]*schemaNode `json:"properties"`
	PropertyNames *schemaNode            `json:"propertyNames"`
	Items         *schemaNode            `json:"items"`
	Const         any                    `json:"const"`
}

// raw is the node as the few keywords a "not" or "anyOf" of the contract
// schema uses.
func (n *schemaNode) raw() map[string]any {
	out := map[string]any{}
	if n.Pattern != "" {
		out["pattern"] = n.Pattern
	}
	if len(n.Enum) > 0 {
		out["enum"] = n.Enum
	}
	if n.Const != nil {
		out["const"] = n.Const
	}
	if len(n.AnyOf) > 0 {
		var any []any
		for _, a := range n.AnyOf {
			any = append(any, a.raw())
		}
		out["anyOf"] = any
	}
	if n.Not != nil {
		out["not"] = n.Not.raw()
	}
	return out
}
