package render_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/render"
)

// fillSkeleton evaluates the subset of Nunjucks the skeleton uses, the way
// Backstage's fetch:template does: ${{ values.x }} substitutions and
// {%- if %} blocks whose conditions are values.x or values.x == "literal",
// joined by "and".
func fillSkeleton(t *testing.T, tmpl string, values map[string]string) string {
	t.Helper()
	ifRE := regexp.MustCompile(`^\{%-? if (.+) %\}$`)
	truthy := func(cond string) bool {
		for _, part := range strings.Split(cond, " and ") {
			name, lit, isEq := strings.Cut(strings.TrimSpace(part), " == ")
			v := values[strings.TrimPrefix(name, "values.")]
			if isEq && v != strings.Trim(lit, `"`) || !isEq && v == "" {
				return false
			}
		}
		return true
	}
	var out []string
	var stack []bool
	for _, line := range strings.Split(tmpl, "\n") {
		trimmed := strings.TrimSpace(line)
		if m := ifRE.FindStringSubmatch(trimmed); m != nil {
			stack = append(stack, truthy(m[1]))
			continue
		}
		if trimmed == "{%- endif %}" || trimmed == "{% endif %}" {
			stack = stack[:len(stack)-1]
			continue
		}
		keep := true
		for _, c := range stack {
			keep = keep && c
		}
		if keep {
			out = append(out, regexp.MustCompile(`\$\{\{ values\.(\w+) \}\}`).ReplaceAllStringFunc(line, func(s string) string {
				return values[regexp.MustCompile(`values\.(\w+)`).FindStringSubmatch(s)[1]]
			}))
		}
	}
	require.Empty(t, stack, "unbalanced if/endif")
	return strings.Join(out, "\n")
}

func TestBackstageTemplate(t *testing.T) {
	schema, err := contract.Schema(contract.KindAppDeploymentRequest)
	require.NoError(t, err)
	files, err := render.BackstageTemplate(schema, render.BackstageOptions{})
	require.NoError(t, err)

	var tmpl struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct{ Title string }
		Spec       struct {
			Parameters []struct {
				Properties map[string]map[string]any
			}
			Steps []struct{ Action string }
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

	skeleton := string(files["skeleton/${{ values.environment }}/${{ values.application }}.yaml"])
	for i, values := range []map[string]string{
		{"id": "APP-0420", "application": "orders", "owner": "orders-team", "environment": "dev", "gitUrl": "https://github.com/org/orders",
			"branch": "main", "buildType": "buildpack", "builder": "default", "replicas": "2", "port": "8080", "healthPath": "/healthz",
			"memory": "256Mi", "cpu": "100m", "ingressHost": "orders.dev.goldenpath.io"},
		{"id": "APP-0421", "application": "legacy", "owner": "ops", "environment": "test", "gitUrl": "git@github.com:org/legacy.git",
			"buildType": "dockerfile", "builder": "default", "replicas": "1", "memory": "1Gi", "cpu": "1"},
	} {
		filled := fillSkeleton(t, skeleton, values)
		reqs, err := contract.Load(fmt.Sprintf("filled-%d.yaml", i), []byte(filled))
		require.NoError(t, err, filled)
		require.Len(t, reqs, 1)
		assert.Empty(t, contract.DefaultPlatform().Admit(reqs[0]))
		assert.Equal(t, values["application"], reqs[0].Application)
		assert.Equal(t, values["ingressHost"] != "", reqs[0].Spec.Ingress.Enabled)
	}

	// A form value the schema would refuse is refused by the contract too.
	bad := fillSkeleton(t, skeleton, map[string]string{"id": "APP-1", "application": "x", "owner": "y", "environment": "dev",
		"gitUrl": "https://github.com/org/x", "buildType": "buildpack", "replicas": "1", "memory": "512MB", "cpu": "1"})
	_, err = contract.Load("bad.yaml", []byte(bad))
	assert.ErrorContains(t, err, "512MB")
	assert.False(t, regexp.MustCompile(contract.QuantityPattern).MatchString("512MB"))
}
