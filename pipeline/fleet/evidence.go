package fleet

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/pipeline/cnb"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

func commitEvidence(ctx context.Context, revs RevisionResolver, r *contract.AppDeploymentRequest, labels map[string]string) []Evidence {
	e := Evidence{Reason: ReasonCommit, Field: "commit"}
	pmd, err := cnb.ParseProjectMetadata(labels[cnb.LabelProjectMetadata])
	if err != nil {
		e.Note = err.Error()
		return []Evidence{e}
	}
	e.Old = pmd.Commit()
	if e.Old == "" {
		if bc, _ := cnb.ParseBuildConfig(labels[cnb.LabelBuildConfig]); bc != nil {
			e.Old = bc.Commit
		}
	}
	e.New, err = revs.Revision(ctx, r)
	switch {
	case err != nil:
		e.Note = "current commit unknown: " + err.Error()
	case e.Old == "":
		e.Note = "the image records no source commit (" + cnb.LabelProjectMetadata + ")"
	case e.New == "":
		e.Note = "current commit unknown: the contract pins no commit SHA (give the revision, or resolve it with git)"
	default:
		e.Changed = !strings.EqualFold(e.Old, e.New)
	}
	return []Evidence{e}
}

func configEvidence(r *contract.AppDeploymentRequest, labels map[string]string) []Evidence {
	now := cnb.BuildConfigOf(r)
	if bc, err := cnb.ParseBuildConfig(labels[cnb.LabelBuildConfig]); err != nil {
		return []Evidence{{Reason: ReasonConfig, Field: "config", Note: err.Error()}}
	} else if bc != nil {
		ev := configDiff(*bc, now)
		if len(ev) == 0 {
			ev = append(ev, Evidence{Reason: ReasonConfig, Field: "config", Old: bc.Label(), New: now.Label()})
		}
		return ev
	}
	pmd, _ := cnb.ParseProjectMetadata(labels[cnb.LabelProjectMetadata])
	if repo := pmd.Repository(); repo != "" {
		return []Evidence{{Reason: ReasonConfig, Field: "spec.source.git.url", Old: repo, New: now.Source.URL, Changed: !sameRepository(repo, now.Source.URL)},
			{Reason: ReasonConfig, Field: "spec.build.env", Note: "the image records no build env (" + cnb.LabelBuildConfig + "): only the source URL is compared"}}
	}
	return []Evidence{{Reason: ReasonConfig, Field: "config", New: now.Label(),
		Note: "the image records no build configuration (" + cnb.LabelBuildConfig + " or " + cnb.LabelProjectMetadata + ")"}}
}

// buildpackEvidence is kpack's BUILDPACK: each buildpack the image was
// built with must still be in the builder at that version, and match the
// platform's version pins.
func buildpackEvidence(bmd *cnb.BuildMetadata, b *contract.Builder, bm *cnb.BuilderMetadata) []Evidence {
	var ev []Evidence
	if len(bmd.Buildpacks) == 0 {
		return []Evidence{{Reason: ReasonBuildpack, Field: "buildpacks", Note: "the image records no buildpacks (" + cnb.LabelBuildMetadata + ")"}}
	}
	pins := map[string]string{}
	if b != nil {
		for _, g := range b.Order {
			for _, bp := range g.Buildpacks {
				if bp.Version != "" {
					pins[bp.ID] = bp.Version
				}
			}
		}
	}
	for _, used := range bmd.Buildpacks {
		e := Evidence{Reason: ReasonBuildpack, Field: "buildpack " + used.ID, Old: used.Version}
		switch {
		case bm != nil:
			var versions []string
			for _, have := range bm.Buildpacks {
				if have.ID == used.ID {
					versions = append(versions, have.Version)
				}
			}
			e.New = strings.Join(versions, ", ")
			e.Changed = !slices.Contains(versions, used.Version)
			if len(versions) == 0 {
				e.Note = "no longer in the builder"
			}
			if pin, ok := pins[used.ID]; ok && pin != used.Version {
				e.Changed, e.Note = true, "the platform pins "+pin
			}
		case pins[used.ID] != "":
			e.New = pins[used.ID]
			e.Changed = e.New != used.Version
			e.Note = "the platform's pin (the builder was not read)"
		default:
			e.New = used.Version
			e.Note = "the builder was not read and the platform pins no version"
		}
		ev = append(ev, e)
	}
	return ev
}

func lifecycleEvidence(bmd *cnb.BuildMetadata, bm *cnb.BuilderMetadata, read bool) []Evidence {
	e := Evidence{Reason: ReasonLifecycle, Field: "lifecycle", Old: bmd.Launcher.Version}
	switch {
	case bm == nil && read:
		e.Note = "the builder could not be read"
	case bm == nil:
		e.Note = "the builder was not read"
	case e.Old == "":
		e.New = bm.Lifecycle.Version
		e.Note = "the image records no launcher version (" + cnb.LabelBuildMetadata + ")"
	default:
		e.New = bm.Lifecycle.Version
		e.Changed = e.New != "" && e.New != e.Old
	}
	return []Evidence{e}
}

// stackEvidence is kpack's STACK: the run image the image runs on against
// the run image in the registry now. ok says whether a rebase can swap it
// (the lifecycle would accept it, at most with force for a new name).
func (p *Planner) stackEvidence(ctx context.Context, cc *registry.Cache, img *registry.Image, md *cnb.LifecycleMetadata, runName string) ([]Evidence, bool, error) {
	base, err := p.reg.RunImage(ctx, cc, runName, img.Platform())
	if err != nil {
		return nil, false, err
	}
	newRef := base.Ref.Context().Name() + "@" + base.Digest.String()
	_, oldDigest, _ := strings.Cut(md.RunImage.Reference, "@")
	e := Evidence{Reason: ReasonStack, Field: "runImage",
		Old:     fmt.Sprintf("%s (top layer %s)", md.RunImage.Reference, md.RunImage.TopLayer),
		New:     fmt.Sprintf("%s (top layer %s)", newRef, base.Top()),
		Changed: md.RunImage.TopLayer != base.Top().String() || (oldDigest != "" && oldDigest != base.Digest.String()),
	}
	if oldDigest == "" {
		e.Note = "the image records the run image by ID, not digest: compared by top layer"
		e.Changed = md.RunImage.TopLayer != base.Top().String()
	}
	ev := []Evidence{e}
	ok := true
	warnings, err := checkRebasable(img.Config, base.Config, md, runName, true)
	appStack, baseStack := img.Config.Config.Labels[cnb.LabelStackID], base.Config.Config.Labels[cnb.LabelStackID]
	switch {
	case err == nil && appStack != "" && baseStack != "" && appStack != baseStack:
		// kpack rebases only onto the same stack; the lifecycle (platform
		// API 0.12+) would not check.
		ok = false
		ev[0].Note = joinNote(ev[0].Note, fmt.Sprintf("the run image's stack %s is not the image's %s: rebuild", baseStack, appStack))
	case err != nil:
		ok = false
		ev[0].Note = joinNote(ev[0].Note, "a rebase cannot swap it ("+err.Error()+"): rebuild")
	case len(warnings) > 0:
		for _, w := range warnings {
			if strings.Contains(w, "not found in existing run image metadata") {
				ev = append(ev, Evidence{Reason: ReasonStack, Field: "runImage.image", Old: strings.Join(md.Names(), ", "), New: runName, Changed: true,
					Note: "a new run image name: rebase with force"})
			} else {
				ok = false
				ev[0].Note = joinNote(ev[0].Note, w+": rebuild")
			}
		}
	}
	return ev, ok, nil
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// configDiff lists the differences between two build configs as evidence, in a
// fixed order (source, sub-path, builder, then env keys sorted).
func configDiff(c, to cnb.BuildConfig) []Evidence {
	var ev []Evidence
	add := func(field, old, new string) {
		if old != new {
			ev = append(ev, Evidence{Reason: ReasonConfig, Field: field, Old: old, New: new, Changed: true})
		}
	}
	add("spec.source.git.url", c.Source.URL, to.Source.URL)
	add("spec.source.git.subPath", c.Source.SubPath, to.Source.SubPath)
	add("spec.build.builder", c.Builder, to.Builder)
	keys := map[string]bool{}
	for k := range c.Env {
		keys[k] = true
	}
	for k := range to.Env {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		old, okOld := c.Env[k]
		new, okNew := to.Env[k]
		switch {
		case !okOld:
			old = "(unset)"
		case !okNew:
			new = "(unset)"
		}
		add("spec.build.env."+k, old, new)
	}
	return ev
}

// sameRepository compares git URLs loosely: scheme, user, a trailing
// slash or ".git" do not matter.
func sameRepository(a, b string) bool {
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		if i := strings.Index(s, "://"); i >= 0 {
			s = s[i+3:]
		}
		if i := strings.Index(s, "@"); i >= 0 && i < strings.IndexAny(s+"/", "/:") {
			s = s[i+1:]
		}
		s = strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git")
		return strings.Replace(s, ":", "/", 1)
	}
	return norm(a) == norm(b)
}
