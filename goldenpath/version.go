package goldenpath

import "github.com/goldenpath-dev/goldenpath/internal/buildinfo"

// VersionInfo says which goldenpath a binary holds.
type VersionInfo = buildinfo.Info

// Version returns the goldenpath in this binary: its module version (a
// release, or the pseudo-version Go stamps for a build in a checkout) and,
// when the binary was built from a goldenpath checkout, the VCS revision,
// from the build information the Go toolchain embeds. `goldenpath
// version` prints it.
func Version() VersionInfo { return buildinfo.Read() }
