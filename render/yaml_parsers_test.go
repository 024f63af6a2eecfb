package render

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"

	yaml3 "go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// The emitter is held to three independent YAML parsers: go.yaml.in/yaml/v3
// (a Go port of libyaml, YAML 1.2 resolution), sigs.k8s.io/yaml (its own
// fork of go-yaml v2, YAML 1.1 resolution, what kubectl and client-go read
// with) and PyYAML (Python, YAML 1.1; its pure-Python SafeLoader, and its
// libyaml-based CSafeLoader when built with libyaml).

// pyYAMLScript answers each length-prefixed document on stdin with one line
// of JSON: {"<loader>": value, ...} or {"<loader>!": "error"}.
const pyYAMLScript = `
import sys, json, yaml
loaders = [("SafeLoader", yaml.SafeLoader)]
if getattr(yaml, "__with_libyaml__", False):
    loaders.append(("CSafeLoader", yaml.CSafeLoader))
inp = sys.stdin.buffer
print(json.dumps([name for name, _ in loaders]), flush=True)
while True:
    line = inp.readline()
    if not line:
        break
    data = inp.read(int(line)).decode("utf-8")
    out = {}
    for name, loader in loaders:
        try:
            out[name] = yaml.load(data, Loader=loader)
        except Exception as e:
            out[name + "!"] = str(e)
    sys.stdout.write(json.dumps(out, ensure_ascii=True) + "\n")
    sys.stdout.flush()
`

// pyYAMLInstall says how to get PyYAML.
const pyYAMLInstall = "apt-get install -y python3-yaml (Debian's PyYAML for /usr/bin/python3), or set GOLDENPATH_PYTHON to a python3 that can import yaml"

// pyYAML is a running python3 that parses documents with PyYAML.
type pyYAML struct {
	mu      sync.Mutex
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Reader
	loaders []string
}

var (
	pyOnce sync.Once
	py     *pyYAML
	pyErr  error
)

// sharedPyYAML starts PyYAML once per test binary: the first python3 of
// $GOLDENPATH_PYTHON, python3 and /usr/bin/python3 that imports yaml.
func sharedPyYAML() (*pyYAML, error) {
	pyOnce.Do(func() {
		var candidates []string
		if p := os.Getenv("GOLDENPATH_PYTHON"); p != "" {
			candidates = append(candidates, p)
		}
		candidates = append(candidates, "python3", "/usr/bin/python3")
		var errs []error
		for _, c := range candidates {
			p, err := startPyYAML(c)
			if err == nil {
				py = p
				return
			}
			errs = append(errs, fmt.Errorf("%s: %w", c, err))
		}
		pyErr = fmt.Errorf("no python3 with PyYAML (%w): %s", errors.Join(errs...), pyYAMLInstall)
	})
	return py, pyErr
}

func startPyYAML(python string) (*pyYAML, error) {
	cmd := exec.Command(python, "-c", pyYAMLScript)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &pyYAML{cmd: cmd, in: in, out: bufio.NewReader(stdout)}
	line, err := p.out.ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &p.loaders)
	}
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("cannot import yaml")
	}
	return p, nil
}

// parse returns what each PyYAML loader reads from doc, as JSON values.
func (p *pyYAML) parse(doc []byte) (map[string]any, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := fmt.Fprintf(p.in, "%d\n%s", len(doc), doc); err != nil {
		return nil, err
	}
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		return nil, err
	}
	var out map[string]any
	return out, json.Unmarshal(line, &out)
}

// asJSON turns a value into what JSON makes of it, so that values decoded
// by different parsers compare equal.
func asJSON(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	return out, json.Unmarshal(data, &out)
}

// checkRoundTrip encodes v and checks that every parser reads back v. With
// withPython false, PyYAML is left out.
func checkRoundTrip(v map[string]any, withPython bool) error {
	data, err := encodeYAML(v)
	if err != nil {
		return err
	}
	want, err := asJSON(v)
	if err != nil {
		return err
	}
	same := func(parser string, got any) error {
		g, err := asJSON(got)
		if err != nil {
			return fmt.Errorf("%s: %w", parser, err)
		}
		if !equalJSON(want, g) {
			return fmt.Errorf("%s reads back\n%#v\ninstead of\n%#v\nfrom\n%s", parser, g, want, data)
		}
		return nil
	}
	var v3 any
	if err := yaml3.Unmarshal(data, &v3); err != nil {
		return fmt.Errorf("go.yaml.in/yaml/v3 cannot read\n%s: %w", data, err)
	}
	if err := same("go.yaml.in/yaml/v3", v3); err != nil {
		return err
	}
	var v2 any
	if err := sigsyaml.Unmarshal(data, &v2); err != nil {
		return fmt.Errorf("sigs.k8s.io/yaml cannot read\n%s: %w", data, err)
	}
	if err := same("sigs.k8s.io/yaml", v2); err != nil {
		return err
	}
	if !withPython {
		return nil
	}
	p, err := sharedPyYAML()
	if err != nil {
		return err
	}
	got, err := p.parse(data)
	if err != nil {
		return fmt.Errorf("PyYAML: %w", err)
	}
	for _, loader := range p.loaders {
		if msg, failed := got[loader+"!"]; failed {
			return fmt.Errorf("PyYAML %s cannot read\n%s: %v", loader, data, msg)
		}
		if err := same("PyYAML "+loader, got[loader]); err != nil {
			return err
		}
	}
	return nil
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// usePyYAML reports whether PyYAML takes part in a unit test: it does
// whenever a python3 with PyYAML is found. When none is, the test says so
// in its log, and fails when $CI is set: CI must never skip it silently
// (the integration suite, which CI runs, always requires it).
func usePyYAML(t testing.TB) bool {
	t.Helper()
	if _, err := sharedPyYAML(); err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatalf("CI must check the emitter with PyYAML: %v", err)
		}
		t.Logf("NOT checked with PyYAML: %v", err)
		return false
	}
	return true
}
