package render_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/render"
)

// nulls lists the paths of every null in v: a form schema has none
// (issue 13.3: `enum: null` on 13 fields made ajv and jsonschema refuse
// the template).
func nulls(v any, path string) []string {
	switch x := v.(type) {
	case nil:
		return []string{path}
	case map[string]any:
		var out []string
		for k, c := range x {
			out = append(out, nulls(c, path+"."+k)...)
		}
		return out
	case []any:
		var out []string
		for i, c := range x {
			out = append(out, nulls(c, fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	}
	return nil
}

// TestBackstageTemplate checks the template's shape; the integration suite
// (backstage_integration_test.go) runs it through Backstage's own libraries
// and template engines.
func TestBackstageTemplate(t *testing.T) {
	schema, err := contract.Schema(contract.KindAppDeploymentRequest)
	require.NoError(t, err)
	files, err := render.BackstageTemplate(schema, render.BackstageOptions{})
	require.NoError(t, err)

	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(files["template.yaml"], &doc))
	assert.Empty(t, nulls(doc, ""), "no field of the template is null")

	var tmpl struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct{ Title string }
		Spec       struct {
			Parameters []struct {
				Title      string
				Properties map[string]map[string]any
			}
			Steps []struct {
				Action string
				Input  struct{ Values map[string]string }
			}
		}
	}
	require.NoError(t, yaml.Unmarshal(files["template.yaml"], &tmpl))
	assert.Equal(t, "scaffolder.backstage.io/v1beta3", tmpl.APIVersion)
	assert.Equal(t, "Deploy Application", tmpl.Metadata.Title)
	require.Len(t, tmpl.Spec.Steps, 2)
	assert.Equal(t, "fetch:template", tmpl.Spec.Steps[0].Action)
	assert.Equal(t, "publish:github:pull-request", tmpl.Spec.Steps[1].Action)
	fields := map[string]map[string]any{}
	for _, p := range tmpl.Spec.Parameters {
		for k, v := range p.Properties {
			fields[k] = v
		}
	}
	assert.Equal(t, []any{"dev", "test", "staging", "prod"}, fields["environment"]["enum"])
	assert.Equal(t, []any{"buildpack", "dockerfile"}, fields["buildType"]["enum"])
	assert.Equal(t, contract.IDPattern, fields["id"]["pattern"])
	assert.Equal(t, contract.MemoryPattern, fields["memory"]["pattern"])
	assert.Equal(t, contract.CPUPattern, fields["cpu"]["pattern"])
	assert.Equal(t, "512Mi", fields["memory"]["ui:placeholder"], "memory's own example")
	assert.Equal(t, "250m", fields["cpu"]["ui:placeholder"], "cpu's own example")
	assert.Equal(t, "boolean", fields["tls"]["type"])
	assert.Equal(t, "array", fields["buildEnv"]["type"])
	assert.Equal(t, "array", fields["bindings"]["type"])
	for name, f := range fields {
		if f["type"] == "string" && name != "repoUrl" && name != "environment" && name != "buildType" {
			assert.True(t, f["not"] != nil || f["allOf"] != nil, "%s refuses control characters", name)
		}
	}
	// Every form value reaches the skeleton, which writes each of them.
	skeleton := string(files["skeleton/${{ values.environment }}/${{ values.application }}.yaml"])
	values := tmpl.Spec.Steps[0].Input.Values
	for name := range fields {
		if name == "repoUrl" {
			continue
		}
		assert.Equal(t, "${{ parameters."+name+" }}", values[name])
		assert.Contains(t, skeleton, "values."+name, "the skeleton uses %s", name)
	}
	for _, line := range strings.Split(skeleton, "\n") {
		if strings.Contains(line, "${{") && !strings.Contains(line, "| dump }}") && !strings.Contains(line, "| int }}") {
			t.Errorf("the skeleton writes a value neither through dump nor through int: %s", line)
		}
	}
}
