package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/cli"
)

// Finding no contract is a failure, not "0 files" and exit 0 (issue 13.5).
func TestNoContractIsAFailure(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("../../examples/contracts/dev/payments-api.yaml")
	require.NoError(t, err)
	typo := strings.Replace(string(data), "goldenpath.io/v1", "goldenpth.io/v1", 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(typo), 0o644))
	code, out, _ := run(t, "validate", dir)
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, out, `unsupported apiVersion "goldenpth.io/v1"`)
	assert.Contains(t, out, "1 file, 0 valid requests, 1 problem in 1 file")

	empty := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(empty, "workflow.yaml"), []byte("name: ci\n"), 0o644))
	code, out, _ = run(t, "validate", empty)
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, out, "no goldenpath document found")
	code, _, errOut := run(t, "render", empty)
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, errOut, "no AppDeploymentRequest found")
}

// validate and render agree on the exit code: two files requesting one
// application in one environment were exit 0 from validate, 1 from render.
func TestValidateAndRenderAgree(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("../../examples/contracts/dev/payments-api.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.yaml"), data, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.yaml"), []byte(strings.Replace(string(data), "APP-0001", "APP-0002", 1)), 0o644))
	code, out, _ := run(t, "validate", dir)
	assert.Equal(t, cli.ExitFailure, code, out)
	assert.Contains(t, out, `application: application "payments-api" in dev is already requested at`)
	code, _, errOut := run(t, "render", dir)
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, errOut, `application: application "payments-api" in dev is already requested at`)
}

// An interrupted command (the context main cancels on SIGINT and SIGTERM)
// says so and exits 130.
func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{{"validate", "../../examples"}, {"render", "../../examples/contracts"}} {
		var out, errOut bytes.Buffer
		code := cli.Run(ctx, cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}, args)
		assert.Equal(t, cli.ExitInterrupted, code, args)
		assert.Contains(t, errOut.String(), "goldenpath: interrupted")
		assert.Empty(t, out.String())
	}
}
