package build

import (
	"io"

	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
	"github.com/google/go-containerregistry/pkg/name"
)

// buildRun is the state every builder starts with: the output (remembered
// for error reports), the tag and the app's folder.
type buildRun struct {
	out  io.Writer
	tail *logTail
	tag  name.Tag
	src  *Source
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
	if r.src, err = OpenSource(spec.SourceDir); err != nil {
		return nil, r.fail(PhaseSetup, err, "")
	}
	if r.dir, err = r.src.Dir("", spec.Request.Spec.Source.Git.SubPath, "spec.source.git.subPath"); err != nil {
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
