package goldenpath_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
)

func seedContract(t *testing.T, edits ...string) []byte {
	t.Helper()
	data, err := os.ReadFile("../examples/contracts/dev/payments-api.yaml")
	require.NoError(t, err)
	s := string(data)
	for i := 0; i+1 < len(edits); i += 2 {
		require.Contains(t, s, edits[i])
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	return []byte(s)
}

func writeFiles(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, data, 0o644))
	}
	return dir
}

func paths(files []goldenpath.FileResult, dir string) []string {
	var out []string
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f.Path)
		out = append(out, filepath.ToSlash(rel))
	}
	return out
}

// Issue 13.5: in folders, what counts is decided by apiVersion and kind.
// A misspelt apiVersion was skipped silently (exit 0, "0 files"), and the
// rendered tree was read back as broken contracts.
func TestWhatCountsAsAContract(t *testing.T) {
	dir := writeFiles(t, map[string][]byte{
		"apps/payments.yaml": seedContract(t),
		"apps/typo.yaml":     seedContract(t, "goldenpath.io/v1", "goldenpth.io/v1", "application: payments-api", "application: typo"),
		"apps/v2.yaml":       seedContract(t, "goldenpath.io/v1", "goldenpath.io/v2", "application: payments-api", "application: later"),
		"ci/workflow.yml":    []byte("name: ci\non: push\n"),
		"charts/values.yaml": []byte("image: {{ .Values.image }}\n"),
	})
	objs, err := goldenpath.Render(context.Background(), []string{filepath.Join(dir, "apps", "payments.yaml")})
	require.NoError(t, err)
	_, err = goldenpath.WriteTree(filepath.Join(dir, "gitops"), objs)
	require.NoError(t, err)

	rep, err := goldenpath.ValidatePaths(context.Background(), []string{dir})
	require.NoError(t, err)
	assert.Equal(t, []string{"apps/payments.yaml", "apps/typo.yaml", "apps/v2.yaml"}, paths(rep.Files, dir))
	assert.False(t, rep.Valid())
	errs := rep.Errors().Error()
	assert.Contains(t, errs, `typo.yaml:1:13: apiVersion: unsupported apiVersion "goldenpth.io/v1"`)
	assert.Contains(t, errs, `v2.yaml:1:13: apiVersion: unsupported apiVersion "goldenpath.io/v2"`)
	var skipped []string
	for _, s := range rep.Skipped {
		rel, _ := filepath.Rel(dir, s.Path)
		skipped = append(skipped, filepath.ToSlash(rel))
		assert.Equal(t, "holds no goldenpath document", s.Reason)
	}
	// The rendered tree (gitops/, a goldenpath tree: IsTree) is not walked at all.
	assert.Equal(t, []string{"charts/values.yaml", "ci/workflow.yml"}, skipped)
	assert.Equal(t, "3 files, 1 valid request, 2 problems in 2 files (2 other YAML files skipped)", rep.Summary())
}

// No contract found in the given paths is a problem, not a success.
func TestNoContractFound(t *testing.T) {
	dir := writeFiles(t, map[string][]byte{"workflow.yaml": []byte("name: ci\n")})
	for _, p := range []string{dir, t.TempDir()} {
		rep, err := goldenpath.ValidatePaths(context.Background(), []string{p})
		require.NoError(t, err)
		assert.False(t, rep.Valid(), "finding nothing is a problem")
		require.Len(t, rep.Problems, 1)
		assert.Contains(t, rep.Problems[0].Error(), p+": no goldenpath document found")
		_, err = goldenpath.Render(context.Background(), []string{p})
		assert.ErrorContains(t, err, "no AppDeploymentRequest found")
	}
	rep, _ := goldenpath.ValidatePaths(context.Background(), []string{dir})
	assert.Contains(t, rep.Problems[0].Error(), "1 other YAML file skipped")
	// A folder holding only a platform has nothing to render.
	platform := writeFiles(t, map[string][]byte{"platform.yaml": contract.DefaultPlatformYAML()})
	rep, err := goldenpath.ValidatePaths(context.Background(), []string{platform})
	require.NoError(t, err)
	assert.True(t, rep.Valid(), rep.Errors())
	assert.Equal(t, "1 file, 0 valid requests, 1 valid platform, no problems", rep.Summary())
	_, err = goldenpath.Render(context.Background(), []string{platform})
	assert.ErrorContains(t, err, "no AppDeploymentRequest found")
}

// validate passes exactly what render renders (issue 13.5): both admit the
// whole set with contract.Platform.AdmitAll.
func TestValidateIsRender(t *testing.T) {
	for name, files := range map[string]map[string][]byte{
		"one application twice in one environment": {
			"a.yaml": seedContract(t),
			"b.yaml": seedContract(t, "APP-0001", "APP-0002"),
		},
		"two applications on one host": {
			"a.yaml": seedContract(t),
			"b.yaml": seedContract(t, "application: payments-api", "application: billing-api"),
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeFiles(t, files)
			rep, err := goldenpath.ValidatePaths(context.Background(), []string{dir})
			require.NoError(t, err)
			require.False(t, rep.Valid(), "validate must refuse what render refuses")
			assert.Equal(t, "2 files, 1 valid request, 1 problem in 1 file", rep.Summary())
			_, renderErr := goldenpath.Render(context.Background(), []string{dir})
			require.Error(t, renderErr)
			assert.Equal(t, rep.Errors(), contract.AsErrors(renderErr), "the same problems")
		})
	}
}

func TestSummaryGrammar(t *testing.T) {
	for _, tc := range []struct {
		rep  goldenpath.Report
		want string
	}{
		{goldenpath.Report{Files: []goldenpath.FileResult{{Requests: 1}}}, "1 file, 1 valid request, no problems"},
		{goldenpath.Report{Files: []goldenpath.FileResult{{Requests: 2}, {Errors: contract.Errors{{Message: "x"}}}}}, "2 files, 2 valid requests, 1 problem in 1 file"},
		{goldenpath.Report{Files: []goldenpath.FileResult{{Errors: contract.Errors{{}, {}}}}, Skipped: []goldenpath.SkippedFile{{}}}, "1 file, 0 valid requests, 2 problems in 1 file (1 other YAML file skipped)"},
		{goldenpath.Report{Problems: contract.Errors{{}}, Skipped: []goldenpath.SkippedFile{{}, {}}}, "0 files, 0 valid requests, 1 problem (2 other YAML files skipped)"},
	} {
		assert.Equal(t, tc.want, tc.rep.Summary())
	}
}

// A cancelled context (the CLI's on SIGINT or SIGTERM) ends validation and
// rendering.
func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := goldenpath.ValidatePaths(ctx, []string{"../examples"})
	assert.ErrorIs(t, err, context.Canceled)
	_, err = goldenpath.Render(ctx, []string{"../examples/contracts"})
	assert.ErrorIs(t, err, context.Canceled)
}
