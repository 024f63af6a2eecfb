package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/cli"
	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
)

// Issue 14 item 11: names with escape sequences in an image's SBOM never
// reach the terminal raw; the JSON output keeps them exact.
func TestSBOMCommandNeverPrintsEscapes(t *testing.T) {
	reg := testregistry.New(t)
	evilName := "evil\x1b]0;pwned\x07\x1b[2J\u202egnp.exe"
	evilPath := "layers/sbom/launch/goldenpath_go/\x1b[31mred/sbom.cdx.json"
	doc, err := json.Marshal(map[string]any{"bomFormat": "CycloneDX", "components": []map[string]string{{"name": evilName, "version": "1\x1b[0m"}}})
	require.NoError(t, err)
	img := scSBOMImage(t, evilPath, doc, "", "")
	tag := reg.Host + "/apps/dev/escapes:latest"
	reg.Push(t, tag, img)

	code, out, errOut := run(t, "sbom", tag)
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.NotContains(t, out, "\x1b")
	assert.NotContains(t, out, "\x07")
	assert.NotContains(t, out, "\u202e")
	assert.Contains(t, out, `evil\x1b]0;pwned\x07\x1b[2J\u202egnp.exe 1\x1b[0m`)
	assert.Contains(t, out, `launch/goldenpath_go/\x1b[31mred/sbom.cdx.json`)

	code, out, errOut = run(t, "sbom", tag, "-o", "json")
	require.Equal(t, cli.ExitOK, code, errOut)
	var got struct {
		Files []struct {
			Path       string
			Components []struct{ Name string }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	require.Len(t, got.Files, 1)
	assert.Equal(t, strings.TrimPrefix(evilPath, "layers/sbom/"), got.Files[0].Path, "JSON stays exact")
	assert.Equal(t, evilName, got.Files[0].Components[0].Name)
}

// Errors that quote what an image holds are printed safely too.
func TestErrorsNeverPrintEscapes(t *testing.T) {
	reg := testregistry.New(t)
	code, _, errOut := run(t, "sbom", reg.Host+"/apps/dev/\x1b[2Jgone:latest")
	assert.NotEqual(t, cli.ExitOK, code)
	assert.NotContains(t, errOut, "\x1b")
}
