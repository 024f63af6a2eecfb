package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/cli"
)

// run runs the CLI in-process and returns its exit code and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}, args)
	return code, out.String(), errOut.String()
}

func TestValidateExitCodes(t *testing.T) {
	code, out, _ := run(t, "validate", "../../examples/contracts")
	assert.Equal(t, cli.ExitOK, code, out)

	code, out, _ = run(t, "validate", "../../contract/testdata/invalid-seed-five-mistakes.yaml")
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, out, "invalid-seed-five-mistakes.yaml:21:15: spec.runtime.replicas: must be >= 0")

	for _, args := range [][]string{{"validate"}, {"validate", "--nope", "x"}, {"validate", "-o", "xml", "."}, {"validate", "does-not-exist"}, {"nonsense"}} {
		code, _, errOut := run(t, args...)
		assert.Equal(t, cli.ExitUsage, code, "%v: %s", args, errOut)
		assert.NotEmpty(t, errOut)
	}
}

func TestValidateOutputs(t *testing.T) {
	file := "../../contract/testdata/invalid-quantity-mb.yaml"
	_, out, _ := run(t, "validate", "-o", "github", file)
	assert.Contains(t, out, "::error file=../../contract/testdata/invalid-quantity-mb.yaml,line=14,col=15,title=spec.runtime.resources.memory::")

	_, out, _ = run(t, "validate", "-o", "json", file)
	var rep struct {
		Valid bool
		Files []struct {
			Path   string
			Errors []contract.FieldError
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.False(t, rep.Valid)
	require.Len(t, rep.Files, 1)
	require.Len(t, rep.Files[0].Errors, 2)
	assert.Equal(t, 14, rep.Files[0].Errors[0].Line)
	assert.Equal(t, "spec.runtime.resources.memory", rep.Files[0].Errors[0].Path)
}

func TestValidateAppliesPlatformPolicy(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("../../examples/contracts/dev/payments-api.yaml")
	require.NoError(t, err)
	prod := strings.Replace(string(data), "environment: dev", "environment: prod", 1)
	prod = strings.Replace(prod, "replicas: 2", "replicas: 1", 1)
	f := filepath.Join(dir, "prod.yaml")
	require.NoError(t, os.WriteFile(f, []byte(prod), 0o644))
	code, out, _ := run(t, "validate", f)
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, out, "prod.yaml:19:15: spec.runtime.replicas: must be >= 2 in prod")
	assert.Contains(t, out, "spec.ingress.tls: TLS is required in prod")
	assert.Contains(t, out, `spec.bindings[0].name: binding "payments-db" is not offered to prod`)
	assert.Contains(t, out, "1 file, 0 valid requests, 5 problems in 1 file\n", "a request the policy refuses is not valid")
}

func TestSchemaCommand(t *testing.T) {
	code, out, _ := run(t, "schema")
	require.Equal(t, cli.ExitOK, code)
	want, err := contract.Schema(contract.KindAppDeploymentRequest)
	require.NoError(t, err)
	assert.Equal(t, string(want), out)

	code, _, _ = run(t, "schema", "--kind", "Nope")
	assert.Equal(t, cli.ExitUsage, code)
}

func TestValidateSkipsOtherYAMLInFolders(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "workflow.yaml"), []byte("name: ci\non: push\n"), 0o644))
	data, err := os.ReadFile("../../examples/contracts/dev/payments-api.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app.yaml"), data, 0o644))
	code, out, _ := run(t, "validate", dir)
	assert.Equal(t, cli.ExitOK, code, out)
	assert.Contains(t, out, "1 file, 1 valid request, no problems (1 other YAML file skipped)")
	// Named explicitly, the same file is validated and refused.
	code, out, _ = run(t, "validate", filepath.Join(dir, "workflow.yaml"))
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, out, "apiVersion: required field is missing")
}

type result struct {
	code           int
	stdout, stderr string
}

// runIn runs the CLI in-process with stdin.
func runIn(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), cli.Streams{In: strings.NewReader(stdin), Out: &out, Err: &errOut}, args)
	return result{code, out.String(), errOut.String()}
}
