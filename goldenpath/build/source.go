package build

import pbuild "github.com/goldenpath-dev/goldenpath/pipeline/build"

// GitAuthError is a clone of a git URL Source the git server refused for
// want of credentials: it names the host and where git looks for them.
type GitAuthError = pbuild.GitAuthError

// IsGitSource reports whether a Request's Source is a git URL (https://,
// http://, ssh:// or scp-like git@host:path) that Ship clones, rather than
// a checkout folder. Front ends use it to skip their folder checks.
func IsGitSource(source string) bool { return pbuild.IsGitSource(source) }
