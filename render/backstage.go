package render

import (
	"encoding/json"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
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
// what goldenpath validate refuses. The steps fetch the skeleton
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
	field := func(title string, path ...string) (map[string]any, error) {
		n := &s
		for _, p := range path {
			next, ok := n.Properties[p]
			if !ok {
				return nil, fmt.Errorf("the contract schema has no %s", strings.Join(path, "."))
			}
			n = next
		}
		f := map[string]any{"title": title}
		if n.Description != "" {
			f["description"] = n.Description
		}
		for k, v := range map[string]any{"enum": n.Enum, "pattern": n.Pattern, "default": n.Default, "minimum": n.Minimum, "maximum": n.Maximum, "maxLength": n.MaxLength} {
			if v != nil && v != "" {
				f[k] = v
			}
		}
		switch {
		case n.Type != "":
			f["type"] = n.Type
		case len(n.AnyOf) > 0: // quantities: offer the string form
			f["type"] = "string"
			f["pattern"] = n.AnyOf[0].Pattern
		}
		return f, nil
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
		return map[string]any{"title": title, "required": required, "properties": props}, nil
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
	for _, k := range []string{"id", "application", "owner", "environment", "gitUrl", "branch", "buildType", "builder", "replicas", "port", "healthPath", "memory", "cpu", "ingressHost"} {
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
	data, err := yaml.Marshal(template)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		"template.yaml": data,
		"skeleton/${{ values.environment }}/${{ values.application }}.yaml": []byte(BackstageSkeleton),
	}, nil
}

// BackstageSkeleton is the contract the template writes, in Backstage's
// Nunjucks syntax.
const BackstageSkeleton = `# yaml-language-server: $schema=https://goldenpath.io/schemas/v1/appdeploymentrequest.json
apiVersion: goldenpath.io/v1
kind: AppDeploymentRequest
id: ${{ values.id }}
environment: ${{ values.environment }}
owner: ${{ values.owner }}
application: ${{ values.application }}
spec:
  source:
    git:
      url: ${{ values.gitUrl }}
{%- if values.branch %}
      branch: ${{ values.branch }}
{%- endif %}
  build:
    type: ${{ values.buildType }}
{%- if values.buildType == "buildpack" and values.builder %}
    builder: ${{ values.builder }}
{%- endif %}
  runtime:
    replicas: ${{ values.replicas }}
{%- if values.port %}
    port: ${{ values.port }}
{%- endif %}
{%- if values.healthPath %}
    healthCheck:
      path: ${{ values.healthPath }}
{%- endif %}
    resources:
      memory: "${{ values.memory }}"
      cpu: "${{ values.cpu }}"
{%- if values.ingressHost %}
  ingress:
    enabled: true
    host: ${{ values.ingressHost }}
{%- endif %}
`

// schemaNode is the part of a JSON Schema the template reads.
type schemaNode struct {
	Type        string                 `json:"type"`
	Description string                 `json:"description"`
	Enum        []any                  `json:"enum"`
	Pattern     string                 `json:"pattern"`
	Default     any                    `json:"default"`
	Minimum     any                    `json:"minimum"`
	Maximum     any                    `json:"maximum"`
	MaxLength   any                    `json:"maxLength"`
	AnyOf       []*schemaNode          `json:"anyOf"`
	Properties  map[string]*schemaNode `json:"properties"`
}
