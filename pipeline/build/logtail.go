package build

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

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
