//go:build integration

package render_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/render"
)

// backstageDir holds the npm packages of the check (package.json and
// package-lock.json pin them) and check.mjs.
const backstageDir = "testdata/backstage"

// installBackstage installs the pinned npm packages with npm ci, once per
// package-lock.json (a stamp in node_modules remembers which).
func installBackstage(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to check the Backstage template with Backstage's own libraries: apt-get install -y nodejs npm (Node.js 20 or newer)", tool)
		}
	}
	lock, err := os.ReadFile(filepath.Join(backstageDir, "package-lock.json"))
	require.NoError(t, err)
	sum := sha256.Sum256(lock)
	stamp := filepath.Join(backstageDir, "node_modules", ".goldenpath-stamp")
	if old, err := os.ReadFile(stamp); err == nil && string(old) == hex.EncodeToString(sum[:]) {
		return
	}
	// npm ci from the registry can take minutes on a cold cache.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = backstageDir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "npm ci in %s:\n%s", backstageDir, out)
	require.NoError(t, os.WriteFile(stamp, []byte(hex.EncodeToString(sum[:])), 0o644))
}

// backstageCase is one filled-in form.
type backstageCase struct {
	Name   string         `json:"name"`
	Values map[string]any `json:"values"`
	valid  bool
}

// formValues is a form filled for the seed application in dev.
func formValues(edits map[string]any) map[string]any {
	v := map[string]any{
		"id": "APP-0420", "application": "orders", "owner": "orders-team", "environment": "dev",
		"gitUrl": "https://github.com/org/orders", "buildType": "buildpack", "builder": "default",
		"replicas": 1, "memory": "256Mi", "cpu": "100m", "repoUrl": "github.com?owner=org&repo=contracts",
	}
	for k, x := range edits {
		if x == nil {
			delete(v, k)
		} else {
			v[k] = x
		}
	}
	return v
}

// trickyValues are build env values a YAML writer must quote, and two that
// look like templates: form data is never rendered as a template.
var trickyValues = []string{"1.10", "yes", "null", "~", "- a: b # c", `'single' "double"`, `back\slash`, "é 😀", "", "0x1F", "${{ parameters.id }}", "{% raw %}"}

// Issue 13.3: the template is accepted by Backstage's catalog, its form
// and its backend, and the skeleton rendered for a matrix of form inputs,
// by both template engines Backstage has used, is a contract that passes
// goldenpath validate with the default platform's policy for its
// environment, holding exactly the values typed in.
func TestBackstageTemplateInBackstage(t *testing.T) {
	installBackstage(t)
	schema, err := contract.Schema(contract.KindAppDeploymentRequest)
	require.NoError(t, err)
	files, err := render.BackstageTemplate(schema, render.BackstageOptions{})
	require.NoError(t, err)
	tmp := t.TempDir()
	templateDir := filepath.Join(tmp, "template")
	for name, data := range files {
		p := filepath.Join(templateDir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, data, 0o644))
	}

	var env []any
	for i, v := range trickyValues {
		env = append(env, map[string]any{"name": "BP_VALUE_" + string(rune('A'+i)), "value": v})
	}
	cases := []backstageCase{
		{Name: "dev-with-bindings", valid: true, Values: formValues(map[string]any{
			"branch": "1.10", "ingressHost": "orders.dev.goldenpath.io", "buildEnv": env,
			"bindings": []any{map[string]any{"type": "database", "name": "orders-db"}, map[string]any{"type": "cache", "name": "sessions-cache"}},
		})},
		{Name: "test-dockerfile", valid: true, Values: formValues(map[string]any{
			"environment": "test", "buildType": "dockerfile", "port": 9090, "subPath": "services/orders", "branch": "yes", "replicas": 0,
		})},
		{Name: "staging-tls", valid: true, Values: formValues(map[string]any{
			"environment": "staging", "replicas": 2, "healthPath": "/healthz", "ingressHost": "orders.staging.goldenpath.io", "tls": true,
			"memory": "1Gi", "cpu": "1", "bindings": []any{map[string]any{"type": "queue", "name": "events-queue"}},
		})},
		{Name: "prod", valid: true, Values: formValues(map[string]any{
			"environment": "prod", "replicas": 3, "healthPath": "/actuator/health", "ingressHost": "orders.goldenpath.io", "tls": true,
			"memory": "512Mi", "cpu": "0.5", "branch": "release/2.0", "buildEnv": []any{map[string]any{"name": "BP_JAVA_VERSION", "value": "21"}},
		})},
		// What the contract refuses, the form and the backend refuse.
		{Name: "refused-branch", Values: formValues(map[string]any{"branch": "release/../x"})},
		{Name: "refused-memory", Values: formValues(map[string]any{"memory": "512MB"})},
		{Name: "refused-memory-milli", Values: formValues(map[string]any{"memory": "250m"})},
		{Name: "refused-cpu-bytes", Values: formValues(map[string]any{"cpu": "512Mi"})},
		{Name: "refused-application", Values: formValues(map[string]any{"application": "1web"})},
		{Name: "refused-env-name", Values: formValues(map[string]any{"buildEnv": []any{map[string]any{"name": "CNB_X", "value": "1"}}})},
		{Name: "refused-env-control", Values: formValues(map[string]any{"buildEnv": []any{map[string]any{"name": "A", "value": "a\u0085b"}}})},
		{Name: "refused-tls-without-host", Values: formValues(map[string]any{"tls": true})},
		{Name: "refused-binding-name", Values: formValues(map[string]any{"bindings": []any{map[string]any{"type": "database", "name": strings.Repeat("d", 56)}}})},
	}
	casesFile := filepath.Join(tmp, "cases.json")
	data, err := json.Marshal(cases)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(casesFile, data, 0o644))
	outDir := filepath.Join(tmp, "out")
	check, err := filepath.Abs(filepath.Join(backstageDir, "check.mjs"))
	require.NoError(t, err)
	cmd := exec.Command("node", check, templateDir, casesFile, outDir)
	cmd.Dir = backstageDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "node check.mjs: %s", stderr.String())

	var report struct {
		Template struct {
			Valid bool
			Error string
		}
		Pages []struct {
			Title    string
			Compiles bool
			Error    string
		}
		Cases []struct {
			Name          string
			FormErrors    []string
			BackendErrors []string
			Files         map[string][]string
		}
	}
	require.NoError(t, json.Unmarshal(out, &report), "%s", out)
	assert.True(t, report.Template.Valid, "Backstage's template validation: %s", report.Template.Error)
	require.Len(t, report.Pages, 5)
	for _, p := range report.Pages {
		assert.True(t, p.Compiles, "ajv compiles page %q: %s", p.Title, p.Error)
	}
	require.Len(t, report.Cases, len(cases))
	platform := contract.DefaultPlatform()
	for i, c := range cases {
		got := report.Cases[i]
		t.Run(c.Name, func(t *testing.T) {
			if !c.valid {
				assert.NotEmpty(t, got.FormErrors, "the form refuses it")
				assert.NotEmpty(t, got.BackendErrors, "the backend refuses it")
				return
			}
			assert.Empty(t, got.FormErrors, "the form accepts it")
			assert.Empty(t, got.BackendErrors, "the backend accepts it")
			require.Len(t, got.Files, 2, "both engines render the skeleton")
			var rendered [][]byte
			for engine, paths := range got.Files {
				require.Len(t, paths, 1, engine)
				file := filepath.Join(outDir, paths[0])
				assert.Equal(t, filepath.Join(c.Name, engine, "contracts", c.Values["environment"].(string), c.Values["application"].(string)+".yaml"), paths[0])
				rep, err := goldenpath.ValidatePaths(context.Background(), []string{file}, goldenpath.WithPlatform(platform))
				require.NoError(t, err)
				assert.True(t, rep.Valid(), "%s: goldenpath validate: %v", engine, rep.Errors())
				reqs, err := contract.LoadFile(file)
				require.NoError(t, err)
				checkFilled(t, c.Values, reqs[0])
				data, err := os.ReadFile(file)
				require.NoError(t, err)
				rendered = append(rendered, data)
			}
			assert.Equal(t, string(rendered[0]), string(rendered[1]), "both engines write the same contract")
		})
	}
}

// checkFilled compares a contract with the form values it was written from.
func checkFilled(t *testing.T, v map[string]any, r *contract.AppDeploymentRequest) {
	t.Helper()
	str := func(k string) string { s, _ := v[k].(string); return s }
	assert.Equal(t, str("id"), r.ID)
	assert.Equal(t, str("application"), r.Application)
	assert.Equal(t, contract.Environment(str("environment")), r.Environment)
	assert.Equal(t, str("gitUrl"), r.Spec.Source.Git.URL)
	if b := str("branch"); b != "" {
		assert.Equal(t, b, r.Spec.Source.Git.Branch, "a branch stays the string typed in")
	}
	assert.Equal(t, str("subPath"), r.Spec.Source.Git.SubPath)
	assert.Equal(t, contract.Quantity(str("memory")), r.Spec.Runtime.Resources.Memory)
	assert.Equal(t, contract.Quantity(str("cpu")), r.Spec.Runtime.Resources.CPU)
	assert.EqualValues(t, v["replicas"], *r.Spec.Runtime.Replicas)
	assert.Equal(t, str("ingressHost"), r.Spec.Ingress.Host)
	tls, _ := v["tls"].(bool)
	assert.Equal(t, tls, r.Spec.Ingress.TLS != nil && r.Spec.Ingress.TLS.Enabled)
	env := map[string]string{}
	for _, e := range asList(v["buildEnv"]) {
		env[e["name"].(string)] = e["value"].(string)
	}
	if len(env) == 0 {
		env = nil
	}
	assert.Equal(t, env, r.Spec.Build.Env, "build env values arrive as typed")
	var bindings []contract.Binding
	for _, b := range asList(v["bindings"]) {
		bindings = append(bindings, contract.Binding{Type: b["type"].(string), Name: b["name"].(string)})
	}
	assert.Equal(t, bindings, r.Spec.Bindings)
}

func asList(v any) []map[string]any {
	var out []map[string]any
	l, _ := v.([]any)
	for _, x := range l {
		out = append(out, x.(map[string]any))
	}
	return out
}
