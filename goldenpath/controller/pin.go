package controller

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/pipeline/gitops"
	"github.com/goldenpath-dev/goldenpath/render"
)

// PinTrailer is the git trailer each pin commit carries per application:
//
//	Goldenpath-Pin: dev/payments-api build=payments-api-build-7 number=7 image-uid=UID digest=sha256:...
//
// It is how the controller knows, from git alone, which build of an Image an
// application is pinned to, so that it never pins an older build over a
// newer one (after a restart, or when a former leader pinned last).
const PinTrailer = "Goldenpath-Pin"

// pinHistory is how many commits back the last pin of an application is
// looked for.
const pinHistory = 500

type outcome int

const (
	outcomePinned outcome = iota
	outcomeUnchanged
	outcomeSuperseded
	outcomeNoFolder
)

type pinOutcome struct {
	candidate candidate
	result    outcome
	detail    string
}

// pinChange pins a batch of candidates in the GitOps tree (a gitops.Change:
// it may run more than once, on each new head).
type pinChange struct {
	candidates []candidate
	outcomes   []pinOutcome
}

// pinRecord is a parsed PinTrailer.
type pinRecord struct {
	App      string
	Build    string
	Number   int64
	ImageUID types.UID
	Digest   string
}

func (c candidate) trailer() string {
	return fmt.Sprintf("%s: %s build=%s number=%d image-uid=%s digest=%s", PinTrailer, c.App, c.Build, c.Number, c.ImageUID, digestOf(c.Ref))
}

// parsePins reads the PinTrailer lines of a commit message.
func parsePins(msg string) []pinRecord {
	var out []pinRecord
	for _, line := range strings.Split(msg, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), PinTrailer+":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		r := pinRecord{App: f[0]}
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "build":
				r.Build = v
			case "number":
				r.Number, _ = strconv.ParseInt(v, 10, 64)
			case "image-uid":
				r.ImageUID = types.UID(v)
			case "digest":
				r.Digest = v
			}
		}
		out = append(out, r)
	}
	return out
}

// lastPins finds, for each application, its most recent pin record.
func lastPins(t *gitops.Tree, apps map[string]bool) (map[string]pinRecord, error) {
	out := map[string]pinRecord{}
	log, err := t.Log(pinHistory)
	if err != nil {
		return nil, err
	}
	for _, c := range log {
		for _, r := range parsePins(c.Message) {
			if _, done := out[r.App]; !done && apps[r.App] {
				out[r.App] = r
			}
		}
		if len(out) == len(apps) {
			break
		}
	}
	return out, nil
}

func (p *pinChange) apply(t *gitops.Tree) (string, error) {
	p.outcomes = nil
	apps := map[string]bool{}
	for _, c := range p.candidates {
		apps[c.App.String()] = true
	}
	last, err := lastPins(t, apps)
	if err != nil {
		return "", err
	}
	var pinned []candidate
	for _, c := range p.candidates {
		file := path.Join(c.App.Folder(), "deployment.yaml")
		if l, ok := last[c.App.String()]; ok && l.ImageUID == c.ImageUID && l.Number > c.Number {
			p.outcomes = append(p.outcomes, pinOutcome{c, outcomeSuperseded, fmt.Sprintf("git pins build %s (number %d)", l.Build, l.Number)})
			continue
		}
		data, err := t.ReadFile(file)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, os.ErrNotExist) {
			p.outcomes = append(p.outcomes, pinOutcome{c, outcomeNoFolder, "no " + file + " in the GitOps repository (render the application there first)"})
			continue
		}
		if err != nil {
			return "", err
		}
		out, err := render.PinDeployment(data, c.Ref)
		if err != nil {
			p.outcomes = append(p.outcomes, pinOutcome{c, outcomeNoFolder, file + ": " + err.Error()})
			continue
		}
		if string(out) == string(data) {
			p.outcomes = append(p.outcomes, pinOutcome{c, outcomeUnchanged, ""})
			continue
		}
		if err := t.WriteFile(file, out); err != nil {
			return "", err
		}
		p.outcomes = append(p.outcomes, pinOutcome{c, outcomePinned, ""})
		pinned = append(pinned, c)
	}
	return pinMessage(pinned), nil
}

// pinMessage names the applications, their builds, reasons and digests.
func pinMessage(cs []candidate) string {
	if len(cs) == 0 {
		return ""
	}
	var b strings.Builder
	if len(cs) == 1 {
		c := cs[0]
		fmt.Fprintf(&b, "goldenpath: pin %s to build %d (%s)\n\n", c.App, c.Number, joinReasons(c.Reasons))
	} else {
		envs := map[string]bool{}
		for _, c := range cs {
			envs[string(c.App.Env)] = true
		}
		var names []string
		for e := range envs {
			names = append(names, e)
		}
		fmt.Fprintf(&b, "goldenpath: pin %d applications in %s\n\n", len(cs), strings.Join(names, ", "))
	}
	for _, c := range cs {
		fmt.Fprintf(&b, "%s: kpack build %s/%s (reasons: %s", c.App, c.Image.Namespace, c.Build, joinReasons(c.Reasons))
		if c.Revision != "" {
			fmt.Fprintf(&b, "; revision %s", c.Revision)
		}
		fmt.Fprintf(&b, ")\n  %s\n", c.Ref)
	}
	b.WriteString("\n")
	for _, c := range cs {
		b.WriteString(c.trailer() + "\n")
	}
	return b.String()
}

func joinReasons(r []string) string {
	if len(r) == 0 {
		return "unknown reason"
	}
	return strings.Join(r, ", ")
}

func digestOf(ref string) string {
	if _, d, ok := strings.Cut(ref, "@"); ok {
		return d
	}
	return ref
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// applicationName is the Argo CD Application render names for an app.
func applicationName(a app) string {
	return render.ArgoApplicationName(&contract.AppDeploymentRequest{Environment: a.Env, Application: a.Name})
}
