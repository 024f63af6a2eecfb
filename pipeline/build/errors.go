package build

import (
	"fmt"
	"strings"
)

// Phases a build can fail in.
const (
	PhaseDetect  = "detect"
	PhaseAnalyze = "analyze"
	PhaseRestore = "restore"
	PhaseBuild   = "build"
	PhaseExport  = "export"
	PhasePush    = "push"
	PhaseSetup   = "setup"
)

// BuildError says which phase of a build failed, with the last lines the
// build printed: the answer to "why did my build fail".
type BuildError struct {
	// Phase is one of detect, analyze, restore, build, export, push, setup.
	Phase string
	// Hint says what to do, when something can be said.
	Hint string
	// Output is the end of the build's output.
	Output []string
	// Err is the underlying error.
	Err error
}

func (e *BuildError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "build failed in the %s phase: %v", e.Phase, e.Err)
	if e.Hint != "" {
		fmt.Fprintf(&b, "\n%s", e.Hint)
	}
	if len(e.Output) > 0 {
		b.WriteString("\nlast output:")
		for _, l := range e.Output {
			b.WriteString("\n  ")
			b.WriteString(l)
		}
	}
	return b.String()
}

func (e *BuildError) Unwrap() error { return e.Err }
