package cnb_test

import (
	"encoding/json"
	"testing"

	"github.com/goldenpath-dev/goldenpath/pipeline/cnb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A label as lifecycle 0.21 exports it (trimmed), plus a field it may add
// one day.
const exportedMetadata = `{"app":[{"sha":"sha256:aa"}],"buildpacks":[{"key":"goldenpath/go","version":"0.1.0","layers":{"bin":{"sha":"sha256:bb","launch":true}}}],"config":{"sha":"sha256:cc"},"launcher":{"sha":"sha256:dd"},"process-types":{"sha":"sha256:ee"},"runImage":{"topLayer":"sha256:11","reference":"127.0.0.1:5111/goldenpath/run@sha256:22","image":"goldenpath/run:bookworm","mirrors":["127.0.0.1:5111/goldenpath/run:bookworm"],"later":1},"stack":{"runImage":{"image":"goldenpath/run:bookworm"}},"sbom":{"sha":"sha256:ff"}}`

func TestLifecycleMetadataRoundTrip(t *testing.T) {
	md, err := cnb.ParseLifecycleMetadata(exportedMetadata)
	require.NoError(t, err)
	assert.Equal(t, "sha256:11", md.RunImage.TopLayer)
	assert.Equal(t, []string{"goldenpath/run:bookworm", "127.0.0.1:5111/goldenpath/run:bookworm"}, md.Names())
	assert.True(t, md.Contains("127.0.0.1:5111/goldenpath/run:bookworm"))
	assert.True(t, md.Contains("127.0.0.1:5111/goldenpath/run:bookworm@sha256:"+"0123456789012345678901234567890123456789012345678901234567890123"), "digests are ignored")
	assert.True(t, md.Contains("index.docker.io/goldenpath/run:bookworm"), "names are compared fully qualified")
	assert.False(t, md.Contains("127.0.0.1:5111/goldenpath/run:trixie"))
	assert.Equal(t, "goldenpath/go", md.Buildpacks[0].ID)

	md.RunImage.TopLayer, md.RunImage.Reference = "sha256:33", "127.0.0.1:5111/goldenpath/run@sha256:44"
	out, err := md.Encode()
	require.NoError(t, err)
	var before, after map[string]any
	require.NoError(t, json.Unmarshal([]byte(exportedMetadata), &before))
	require.NoError(t, json.Unmarshal([]byte(out), &after))
	ri := before["runImage"].(map[string]any)
	ri["topLayer"], ri["reference"] = "sha256:33", "127.0.0.1:5111/goldenpath/run@sha256:44"
	assert.Equal(t, before, after, "only the run image's top layer and reference change")

	_, err = cnb.ParseLifecycleMetadata("")
	assert.ErrorContains(t, err, "not a Cloud Native Buildpacks app image")
	_, err = cnb.ParseLifecycleMetadata("{")
	assert.Error(t, err)
}

func TestOtherLabels(t *testing.T) {
	pm, err := cnb.ParseProjectMetadata(`{"source":{"type":"git","version":{"commit":"abc"},"metadata":{"repository":"https://github.com/org/a","revision":"main"}}}`)
	require.NoError(t, err)
	assert.Equal(t, "abc", pm.Commit())
	assert.Equal(t, "https://github.com/org/a", pm.Repository())
	pm, err = cnb.ParseProjectMetadata(`{"source":{"type":"git","version":{"commit":"abc"},"metadata":{"url":"git@github.com:org/a.git","refs":["main"]}}}`)
	require.NoError(t, err)
	assert.Equal(t, "git@github.com:org/a.git", pm.Repository(), "pack's layout")
	pm, err = cnb.ParseProjectMetadata("")
	require.NoError(t, err)
	assert.Empty(t, pm.Commit(), "nil-safe")

	bm, err := cnb.ParseBuildMetadata(`{"buildpacks":[{"id":"a","version":"1"}],"launcher":{"version":"0.21.0"}}`)
	require.NoError(t, err)
	assert.Equal(t, "a@1", bm.Buildpacks[0].String())
	assert.Equal(t, "0.21.0", bm.Launcher.Version)

	bd, err := cnb.ParseBuilderMetadata(`{"buildpacks":[{"id":"a","version":"2"}],"lifecycle":{"version":"0.21.0","api":{}}}`)
	require.NoError(t, err)
	assert.Equal(t, "0.21.0", bd.Lifecycle.Version)
	_, err = cnb.ParseBuilderMetadata("")
	assert.Error(t, err)

	c := cnb.BuildConfig{Source: cnb.BuildConfigSource{URL: "https://x/y"}, Env: map[string]string{"B": "2", "A": "1"}}
	got, err := cnb.ParseBuildConfig(c.Label())
	require.NoError(t, err)
	assert.Equal(t, c, *got)
	assert.Equal(t, `{"source":{"url":"https://x/y"},"env":{"A":"1","B":"2"}}`, c.Label(), "sorted, stable")
}
