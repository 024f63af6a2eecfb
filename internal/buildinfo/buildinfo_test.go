package buildinfo

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFromBuildInfo(t *testing.T) {
	cli := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: ModulePath, Version: "v0.0.0-20250101120000-abcdef012345+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abcdef0123456789"}, {Key: "vcs.time", Value: "2025-01-01T12:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	assert.Equal(t, "goldenpath v0.0.0-20250101120000-abcdef012345+dirty (revision abcdef0123456789, modified, 2025-01-01T12:00:00Z; go1.26.8)", FromBuildInfo(cli).String())

	lib := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "example.com/consumer", Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "the consumer's"}},
		Deps:     []*debug.Module{{Path: "golang.org/x/sync", Version: "v0.1.0"}, {Path: ModulePath, Version: "v1.2.3"}}}
	assert.Equal(t, Info{Version: "v1.2.3", GoVersion: "go1.26.8"}, FromBuildInfo(lib), "a dependency has no VCS information of its own")

	replaced := &debug.BuildInfo{Main: debug.Module{Path: "example.com/consumer"},
		Deps: []*debug.Module{{Path: ModulePath, Version: "v1.2.3", Replace: &debug.Module{Path: "../goldenpath", Version: ""}}}}
	assert.Equal(t, "goldenpath (devel) (revision unknown)", FromBuildInfo(replaced).String())
}
