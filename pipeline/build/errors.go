package build

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
	"github.com/google/go-containerregistry/pkg/name"
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

// buildRun is the state every builder starts with: the output (remembered
// for error reports), the tag and the app's folder.
type buildRun struct {
	out  io.Writer
	tail *logTail
	tag  name.Tag
	dir  string
}

// start prepares a build of spec; the error is a setup-phase BuildError.
func start(spec *Spec, reg *registry.Client) (*buildRun, error) {
	out := spec.out()
	r := &buildRun{out: out, tail: newLogTail(out, 40)}
	var err error
	if r.tag, err = spec.Tag(reg); err != nil {
		return nil, r.fail(PhaseSetup, err, "")
	}
	if r.dir, err = spec.AppDir(); err != nil {
		return nil, r.fail(PhaseSetup, err, "")
	}
	return r, nil
}

// fail wraps err as a BuildError in phase (or, when phase is empty, the
// lifecycle phase the output was in) with the end of the output.
func (r *buildRun) fail(phase string, err error, hint string) error {
	p, lines := r.tail.snapshot()
	if phase == "" {
		phase = p
	}
	if phase == "" {
		phase = PhaseSetup
	}
	return &BuildError{Phase: phase, Err: err, Hint: hint, Output: lines}
}

// logTail passes a build's output through to the user line by line,
// remembering the last lines and the lifecycle phase they belong to.
type logTail struct {
	mu      sync.Mutex
	w       io.Writer
	partial []byte
	lines   []string
	max     int
	phase   string
}

func newLogTail(w io.Writer, max int) *logTail { return &logTail{w: w, max: max} }

// lifecycle phase banners, as the CNB lifecycle prints them.
var phaseBanners = map[string]string{
	"===> DETECTING": PhaseDetect, "===> ANALYZING": PhaseAnalyze, "===> RESTORING": PhaseRestore,
	"===> BUILDING": PhaseBuild, "===> EXPORTING": PhaseExport,
	"[detector]": PhaseDetect, "[analyzer]": PhaseAnalyze, "[restorer]": PhaseRestore, "[builder]": PhaseBuild, "[exporter]": PhaseExport,
}

func (t *logTail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, err := t.w.Write(p)
	if err != nil {
		return n, err
	}
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			break
		}
		t.add(string(t.partial[:i]))
		t.partial = t.partial[i+1:]
	}
	return len(p), nil
}

func (t *logTail) add(line string) {
	line = strings.TrimRight(line, "\r")
	for banner, phase := range phaseBanners {
		if strings.Contains(line, banner) {
			t.phase = phase
		}
	}
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

// snapshot returns the phase seen last and the remembered lines.
func (t *logTail) snapshot() (string, []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := append([]string(nil), t.lines...)
	if len(t.partial) > 0 {
		lines = append(lines, string(t.partial))
	}
	return t.phase, lines
}

// contains reports whether any remembered line contains s.
func (t *logTail) contains(s string) bool {
	_, lines := t.snapshot()
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}
