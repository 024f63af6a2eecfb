package fleet

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/pipeline/cnb"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

// Action is what an app image needs.
type Action string

// The actions, from most to least work.
const (
	// ActionRebuild: build again from source (see the reasons).
	ActionRebuild Action = "REBUILD"
	// ActionRebase: only the run image changed; a rebase patches the image
	// in seconds without a build.
	ActionRebase Action = "REBASE"
	// ActionNothing: the image is built from what the contract and the
	// platform say now.
	ActionNothing Action = "NOTHING"
	// ActionSkip: goldenpath cannot plan this image (not a Cloud Native
	// Buildpacks image, such as a Dockerfile build); see the evidence.
	ActionSkip Action = "SKIP"
	// ActionError: the image could not be read; see Error.
	ActionError Action = "ERROR"
)

// Reason is why an image needs work, as kpack names its build reasons.
type Reason string

// The reasons, in the order kpack evaluates them.
const (
	// ReasonCommit: the source commit to build is not the one built.
	ReasonCommit Reason = "COMMIT"
	// ReasonConfig: the build configuration changed (source URL or
	// sub-path, build env, builder), or there is no image yet.
	ReasonConfig Reason = "CONFIG"
	// ReasonBuildpack: a buildpack the image was built with is no longer
	// in the builder at that version.
	ReasonBuildpack Reason = "BUILDPACK"
	// ReasonStack: the run image changed; alone, a rebase fixes it.
	ReasonStack Reason = "STACK"
	// ReasonLifecycle: the builder's lifecycle is not the one that built
	// the image.
	ReasonLifecycle Reason = "LIFECYCLE"
)

var reasonOrder = map[Reason]int{ReasonCommit: 0, ReasonConfig: 1, ReasonBuildpack: 2, ReasonStack: 3, ReasonLifecycle: 4}

// Evidence is one comparison behind a plan: what the image was built from
// and what the contract and platform say now.
type Evidence struct {
	// Reason the comparison is about.
	Reason Reason `json:"reason"`
	// Field compared: commit, runImage, runImage.image, lifecycle,
	// buildpack <id>, spec.build.env.<NAME>, ...
	Field string `json:"field"`
	// Old is the image's value; empty when the image does not record it.
	Old string `json:"old"`
	// New is the current value; empty when unknown.
	New string `json:"new"`
	// Changed says the values differ (and the reason applies).
	Changed bool `json:"changed"`
	// Note explains a comparison that could not be made, or a detail.
	Note string `json:"note,omitempty"`
}

// PlanTarget is one app to plan: its image, its contract, or both.
type PlanTarget struct {
	// Image is the app image reference. Empty: the tag builds push for the
	// request (the platform's, or the spec's, registry/env/app:latest).
	Image string
	// Request is the app's contract (loaded and defaulted). Without it
	// COMMIT and CONFIG cannot be assessed.
	Request *contract.AppDeploymentRequest
}

// PlanSpec is one plan over a fleet.
type PlanSpec struct {
	// Platform names the builders: their run images, buildpacks and
	// lifecycle. Required.
	Platform *contract.Platform
	// Targets are the apps.
	Targets []PlanTarget
	// Registry replaces the platform's registry prefix for images derived
	// from requests, as for builds. Empty keeps the platform's.
	Registry string
	// RunImage replaces every builder's stack run image (for example a
	// patched run image pushed under a new tag). Empty keeps the builders'.
	RunImage string
	// Revisions says which commit each request's source is at now.
	// Default: PinnedRevisions{} (the contract's revision when it is a
	// commit SHA, else unknown).
	Revisions RevisionResolver
	// SkipBuilder does not read builder images: BUILDPACK compares only
	// the platform's version pins and LIFECYCLE is not assessed.
	SkipBuilder bool
}

// PlanItem is the plan of one app.
type PlanItem struct {
	// Image is the reference read.
	Image string `json:"image"`
	// Environment and Application, when a contract was given.
	Environment string `json:"environment,omitempty"`
	Application string `json:"application,omitempty"`
	// Builder is the platform builder compared against.
	Builder string `json:"builder,omitempty"`
	// Digest is the image's manifest digest.
	Digest string `json:"digest,omitempty"`
	// Action is what the image needs.
	Action Action `json:"action"`
	// Reasons are kpack's, in its order (STACK too when a rebuild also
	// picks up a new run image).
	Reasons []Reason `json:"reasons,omitempty"`
	// RunImage is the run image a REBASE goes onto.
	RunImage string `json:"runImage,omitempty"`
	// Evidence lists every comparison made, changed or not.
	Evidence []Evidence `json:"evidence"`
	// Error says why the image could not be planned (ActionError).
	Error string `json:"error,omitempty"`
}

// Plan is the plan of a fleet, in the order of the spec's targets.
type Plan struct {
	Items []PlanItem `json:"items"`
	// Seconds is the wall-clock time of the planning.
	Seconds float64 `json:"seconds"`
}

// Count returns how many items have an action.
func (p *Plan) Count(a Action) int {
	n := 0
	for _, it := range p.Items {
		if it.Action == a {
			n++
		}
	}
	return n
}

// Images returns the images whose action is a, in order: Images(ActionRebase)
// is the list to give to a rebase.
func (p *Plan) Images(a Action) []string {
	var out []string
	for _, it := range p.Items {
		if it.Action == a {
			out = append(out, it.Image)
		}
	}
	return out
}

// RevisionResolver says which commit a request's source is at now.
type RevisionResolver interface {
	// Revision returns the commit SHA, or "" when it cannot be known.
	Revision(ctx context.Context, r *contract.AppDeploymentRequest) (string, error)
}

var fullSHA = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

// PinnedRevisions knows the commits given to it, by application name or
// environment/application, and the commits contracts pin
// (spec.source.git.revision when it is a full SHA). Other revisions are
// unknown: COMMIT is then not assessed.
type PinnedRevisions map[string]string

// Revision implements RevisionResolver.
func (p PinnedRevisions) Revision(_ context.Context, r *contract.AppDeploymentRequest) (string, error) {
	if sha, ok := p[string(r.Environment)+"/"+r.Application]; ok {
		return sha, nil
	}
	if sha, ok := p[r.Application]; ok {
		return sha, nil
	}
	if rev := strings.ToLower(r.Spec.Source.Git.Revision); fullSHA.MatchString(rev) {
		return rev, nil
	}
	return "", nil
}

// GitRevisions asks the repository with `git ls-remote` for the commit of
// the contract's revision (a tag) or branch, after the pins of Pinned. It
// needs network access to the source repositories.
type GitRevisions struct {
	// Pinned are consulted first.
	Pinned PinnedRevisions
	// Git is the git binary. Default: git on $PATH.
	Git string
}

// Revision implements RevisionResolver.
func (g GitRevisions) Revision(ctx context.Context, r *contract.AppDeploymentRequest) (string, error) {
	if sha, _ := g.Pinned.Revision(ctx, r); sha != "" {
		return sha, nil
	}
	src := r.Spec.Source.Git
	ref := src.Revision
	if ref == "" {
		ref = src.Branch
	}
	if ref == "" {
		ref = "HEAD"
	}
	bin := g.Git
	if bin == "" {
		bin = "git"
	}
	cmd := exec.CommandContext(ctx, bin, "ls-remote", "--", src.URL, ref, "refs/tags/"+ref+"^{}")
	cmd.Env = append(cmd.Environ(), "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			err = fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("git ls-remote %s %s: %w", src.URL, ref, err)
	}
	// A peeled tag (^{}) names the commit; otherwise the first match.
	var first string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		sha, refName, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		if strings.HasSuffix(refName, "^{}") {
			return sha, nil
		}
		if first == "" {
			first = sha
		}
	}
	if first == "" {
		return "", fmt.Errorf("git ls-remote %s: no ref %q", src.URL, ref)
	}
	return first, nil
}

// Planner compares app images with what they would be built from now.
type Planner struct {
	reg *registry.Client
}

// NewPlanner returns a Planner with the registry options applied over the
// documented defaults.
func NewPlanner(opts ...registry.Option) (*Planner, error) {
	reg, err := registry.New(opts...)
	if err != nil {
		return nil, err
	}
	return &Planner{reg: reg}, nil
}

// Plan says, for each target, REBUILD (with kpack's reasons COMMIT,
// CONFIG, BUILDPACK, LIFECYCLE), REBASE (STACK only, and the run image can
// be swapped) or NOTHING, with the evidence: the image's CNB labels
// (io.buildpacks.lifecycle.metadata, io.buildpacks.build.metadata,
// io.buildpacks.project.metadata, io.goldenpath.build.config) against the
// contract, the platform's builder and the run image and builder images in
// the registry. Problems with one image are in its item; the error is for
// the call itself.
func (p *Planner) Plan(ctx context.Context, spec *PlanSpec) (*Plan, error) {
	if spec == nil || spec.Platform == nil {
		return nil, errors.New("plan: no platform")
	}
	if len(spec.Targets) == 0 {
		return nil, errors.New("plan: no images or contracts given")
	}
	start := time.Now()
	revs := spec.Revisions
	if revs == nil {
		revs = PinnedRevisions{}
	}
	plan := &Plan{Items: make([]PlanItem, len(spec.Targets))}
	cc := registry.NewCache()
	forEach(ctx, len(spec.Targets), p.reg.Concurrency(), func(i int) {
		plan.Items[i] = p.planOne(ctx, cc, spec, revs, spec.Targets[i])
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	plan.Seconds = time.Since(start).Seconds()
	return plan, nil
}

func (p *Planner) planOne(ctx context.Context, cc *registry.Cache, spec *PlanSpec, revs RevisionResolver, t PlanTarget) (it PlanItem) {
	it.Image = t.Image
	fail := func(err error) PlanItem {
		it.Action, it.Error = ActionError, err.Error()
		return it
	}
	if r := t.Request; r != nil {
		it.Environment, it.Application, it.Builder = string(r.Environment), r.Application, r.Spec.Build.Builder
		if it.Image == "" {
			it.Image = spec.Platform.ImageRepositoryOn(spec.Registry, r) + ":latest"
		}
	}
	if it.Image == "" {
		return fail(errors.New("no image and no contract"))
	}
	ref, err := p.reg.Parse(it.Image)
	if err != nil {
		return fail(err)
	}
	if t.Request != nil && t.Request.Spec.Build.Type == contract.BuildTypeDockerfile {
		it.Action, it.Builder = ActionSkip, ""
		it.Evidence = append(it.Evidence, Evidence{Field: "spec.build.type", New: "dockerfile",
			Note: "a Dockerfile build has no buildpacks metadata: rebuild it to pick up base image patches"})
		return it
	}
	img, err := p.reg.Image(ctx, ref, &v1.Platform{OS: "linux", Architecture: "amd64"})
	if err != nil {
		if registry.IsNotFound(err) {
			it.Action, it.Reasons = ActionRebuild, []Reason{ReasonConfig}
			it.Evidence = append(it.Evidence, Evidence{Reason: ReasonConfig, Field: "image", Old: "(none)", New: it.Image, Changed: true,
				Note: "no image yet: first build"})
			return it
		}
		return fail(fmt.Errorf("reading the image: %w", err))
	}
	it.Digest = img.Digest.String()
	labels := img.Config.Config.Labels
	md, err := cnb.ParseLifecycleMetadata(labels[cnb.LabelLifecycleMetadata])
	if err != nil {
		it.Action = ActionSkip
		it.Evidence = append(it.Evidence, Evidence{Field: cnb.LabelLifecycleMetadata, Note: err.Error() + " (a Dockerfile build?): rebuild it to pick up base image patches"})
		return it
	}
	bmd, err := cnb.ParseBuildMetadata(labels[cnb.LabelBuildMetadata])
	if err != nil {
		return fail(err)
	}
	if bmd == nil {
		bmd = &cnb.BuildMetadata{}
	}
	builderName, builder := pickBuilder(spec.Platform, t.Request, md, labels)
	it.Builder = builderName

	var ev []Evidence
	var rebasable = true
	if t.Request != nil {
		ev = append(ev, commitEvidence(ctx, revs, t.Request, labels)...)
		ev = append(ev, configEvidence(t.Request, labels)...)
	} else {
		ev = append(ev, Evidence{Reason: ReasonCommit, Field: "commit", Note: "no contract given: COMMIT not assessed"},
			Evidence{Reason: ReasonConfig, Field: "config", Note: "no contract given: CONFIG not assessed"})
	}
	var bm *cnb.BuilderMetadata
	if builder != nil && !spec.SkipBuilder {
		var note string
		bm, note = p.builderMetadata(ctx, cc, builder)
		if note != "" {
			ev = append(ev, Evidence{Reason: ReasonBuildpack, Field: "builder", New: builder.Tag, Note: note})
		}
	}
	ev = append(ev, buildpackEvidence(bmd, builder, bm)...)
	runName := spec.RunImage
	if runName == "" && builder != nil {
		runName = builder.Stack.RunImage
	}
	if runName == "" {
		ev = append(ev, Evidence{Reason: ReasonStack, Field: "runImage", Old: md.RunImage.Reference, Note: "no run image to compare with: name the platform's builder or the run image"})
	} else {
		stackEv, ok, err := p.stackEvidence(ctx, cc, img, md, runName)
		if err != nil {
			return fail(fmt.Errorf("reading the run image %s: %w", runName, err))
		}
		ev = append(ev, stackEv...)
		rebasable = ok
		it.RunImage = runName
	}
	ev = append(ev, lifecycleEvidence(bmd, bm, builder != nil && !spec.SkipBuilder)...)
	it.Evidence = ev

	seen := map[Reason]bool{}
	for _, e := range ev {
		if e.Changed && !seen[e.Reason] {
			seen[e.Reason] = true
			it.Reasons = append(it.Reasons, e.Reason)
		}
	}
	sort.Slice(it.Reasons, func(i, j int) bool { return reasonOrder[it.Reasons[i]] < reasonOrder[it.Reasons[j]] })
	switch {
	case len(it.Reasons) == 0:
		it.Action = ActionNothing
	case len(it.Reasons) == 1 && it.Reasons[0] == ReasonStack && rebasable:
		it.Action = ActionRebase
	default:
		it.Action = ActionRebuild
	}
	if it.Action != ActionRebase {
		it.RunImage = ""
	}
	return it
}

// pickBuilder returns the platform builder of the request, or for a bare
// image the one whose run image the image records (or whose stack it
// has), else "default".
func pickBuilder(p *contract.Platform, r *contract.AppDeploymentRequest, md *cnb.LifecycleMetadata, labels map[string]string) (string, *contract.Builder) {
	if r != nil {
		if b, ok := p.Builders[r.Spec.Build.Builder]; ok {
			return r.Spec.Build.Builder, &b
		}
		return r.Spec.Build.Builder, nil
	}
	names := make([]string, 0, len(p.Builders))
	for n := range p.Builders {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if b := p.Builders[n]; md.Contains(b.Stack.RunImage) {
			return n, &b
		}
	}
	for _, n := range names {
		if b := p.Builders[n]; b.Stack.ID != "" && b.Stack.ID == labels[cnb.LabelStackID] {
			return n, &b
		}
	}
	if b, ok := p.Builders["default"]; ok {
		return "default", &b
	}
	return "", nil
}

// builderMetadata reads a builder image's io.buildpacks.builder.metadata
// from the registry (its tag, where kpack writes it), or says why not.
func (p *Planner) builderMetadata(ctx context.Context, cc *registry.Cache, b *contract.Builder) (*cnb.BuilderMetadata, string) {
	ref := b.Tag
	if ref == "" {
		ref = b.Image
	}
	img, err := p.reg.CachedImage(ctx, cc, ref, &v1.Platform{OS: "linux", Architecture: "amd64"}, false)
	if err != nil {
		return nil, fmt.Sprintf("builder %s not read: %v", ref, err)
	}
	bm, err := cnb.ParseBuilderMetadata(img.Config.Config.Labels[cnb.LabelBuilderMetadata])
	if err != nil {
		return nil, fmt.Sprintf("builder %s: %v", ref, err)
	}
	return bm, ""
}
