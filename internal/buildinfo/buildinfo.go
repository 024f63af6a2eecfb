// Package buildinfo says which goldenpath a binary holds: its module
// version and, for a binary built from a checkout, the VCS revision, read
// from the build information the Go toolchain embeds (runtime/debug). The
// CLI's `version` command, the facade's goldenpath.Version and the SLSA
// provenance's builder version all read it here.
package buildinfo

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// ModulePath is goldenpath's module.
const ModulePath = "github.com/goldenpath-dev/goldenpath"

// Info is the goldenpath in a binary.
type Info struct {
	// Version is the module version: a release (v1.2.3), a pseudo-version
	// (v0.0.0-20250101120000-abcdef012345, which Go stamps for a build in
	// a checkout, +dirty when it had local changes), or "(devel)".
	Version string `json:"version"`
	// Revision, Time and Modified describe the checkout the binary was
	// built in (go build -buildvcs, the default in a checkout); empty when
	// goldenpath is a dependency of the binary or was built without VCS
	// information.
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	// GoVersion is the toolchain that built the binary.
	GoVersion string `json:"goVersion"`
}

// Read returns the goldenpath in this binary.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "(devel)"}
	}
	return FromBuildInfo(bi)
}

// FromBuildInfo finds goldenpath in a binary's build information: the main
// module (the CLI), or a dependency (a program importing the library).
func FromBuildInfo(bi *debug.BuildInfo) Info {
	info := Info{Version: "(devel)", GoVersion: bi.GoVersion}
	if bi.Main.Path == ModulePath {
		if bi.Main.Version != "" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Revision = s.Value
			case "vcs.time":
				info.Time = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
		return info
	}
	for _, d := range bi.Deps {
		if d.Path != ModulePath {
			continue
		}
		if d.Replace != nil {
			d = d.Replace
		}
		if d.Version != "" {
			info.Version = d.Version
		}
	}
	return info
}

// String is one line: goldenpath VERSION (revision REV[, modified],
// TIME; GO), or "revision unknown" for a build without VCS information.
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "goldenpath %s (", i.Version)
	if i.Revision == "" {
		b.WriteString("revision unknown")
	} else {
		b.WriteString("revision " + i.Revision)
		if i.Modified {
			b.WriteString(", modified")
		}
		if i.Time != "" {
			b.WriteString(", " + i.Time)
		}
	}
	if i.GoVersion != "" {
		b.WriteString("; " + i.GoVersion)
	}
	b.WriteString(")")
	return b.String()
}
