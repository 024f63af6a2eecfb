package cnb

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// Labels of Cloud Native Buildpacks images, as the lifecycle and pack write
// them (lifecycle platform/labels.go, pack internal/builder).
const (
	// LabelLifecycleMetadata is the app image's layers and run image record
	// (files.LayersMetadata): what a rebase reads and rewrites.
	LabelLifecycleMetadata = "io.buildpacks.lifecycle.metadata"
	// LabelBuildMetadata records the buildpacks used, their versions and
	// the launcher (lifecycle) version (files.BuildMetadata).
	LabelBuildMetadata = "io.buildpacks.build.metadata"
	// LabelProjectMetadata records the source (files.ProjectMetadata); kpack
	// writes the git repository, revision and commit.
	LabelProjectMetadata = "io.buildpacks.project.metadata"
	// LabelBuilderMetadata is on builder images: buildpacks, lifecycle
	// version, run images.
	LabelBuilderMetadata = "io.buildpacks.builder.metadata"
	// LabelStackID names the stack of run, build and app images.
	LabelStackID = "io.buildpacks.stack.id"
	// LabelMixins lists a stack image's mixins (platform API < 0.12).
	LabelMixins = "io.buildpacks.stack.mixins"
	// LabelRebasable is "false" on app images a buildpack marked unsafe to
	// rebase.
	LabelRebasable = "io.buildpacks.rebasable"
	// LabelDistroName and LabelDistroVersion are a base image's OS
	// distribution (target data, platform API >= 0.12).
	LabelDistroName    = "io.buildpacks.base.distro.name"
	LabelDistroVersion = "io.buildpacks.base.distro.version"
	// LabelBuildConfig is goldenpath's own record of the contract's build
	// configuration (a JSON [BuildConfig]). Plan compares it, when an image
	// carries it, to say CONFIG.
	LabelBuildConfig = "io.goldenpath.build.config"

	// EnvPlatformAPI is the platform API an app image was exported with.
	EnvPlatformAPI = "CNB_PLATFORM_API"
)

// LifecycleMetadata is the part of io.buildpacks.lifecycle.metadata that
// rebasing and planning use. The label's other fields are kept as they are
// when it is rewritten (see [LifecycleMetadata.Encode]).
type LifecycleMetadata struct {
	// RunImage is what the app image runs on.
	RunImage RunImageMetadata `json:"runImage"`
	// Stack is the run image record of platform API < 0.12.
	Stack *StackMetadata `json:"stack,omitempty"`
	// Buildpacks are the buildpacks that contributed layers.
	Buildpacks []LayersBuildpack `json:"buildpacks,omitempty"`

	raw map[string]json.RawMessage
}

// RunImageMetadata is the lifecycle's files.RunImageForRebase.
type RunImageMetadata struct {
	// TopLayer is the diff ID of the run image's top layer: the app's
	// layers start above it.
	TopLayer string `json:"topLayer"`
	// Reference is the run image the app image runs on, repo@digest.
	Reference string `json:"reference"`
	// Image is the run image name given at build time.
	Image string `json:"image,omitempty"`
	// Mirrors are other names of the same run image.
	Mirrors []string `json:"mirrors,omitempty"`
}

// StackMetadata is the lifecycle's files.Stack.
type StackMetadata struct {
	RunImage RunImageName `json:"runImage"`
}

// RunImageName is a run image name and its mirrors.
type RunImageName struct {
	Image   string   `json:"image,omitempty"`
	Mirrors []string `json:"mirrors,omitempty"`
}

// LayersBuildpack is a buildpack in the lifecycle metadata.
type LayersBuildpack struct {
	ID      string `json:"key"`
	Version string `json:"version"`
}

// ParseLifecycleMetadata decodes an io.buildpacks.lifecycle.metadata label.
func ParseLifecycleMetadata(label string) (*LifecycleMetadata, error) {
	if label == "" {
		return nil, fmt.Errorf("no %s label: not a Cloud Native Buildpacks app image", LabelLifecycleMetadata)
	}
	var md LifecycleMetadata
	if err := json.Unmarshal([]byte(label), &md); err != nil {
		return nil, fmt.Errorf("label %s: %w", LabelLifecycleMetadata, err)
	}
	if err := json.Unmarshal([]byte(label), &md.raw); err != nil {
		return nil, fmt.Errorf("label %s: %w", LabelLifecycleMetadata, err)
	}
	return &md, nil
}

// Names returns the run image names the metadata records: runImage.image and
// its mirrors, or (platform API < 0.12) stack.runImage's.
func (m *LifecycleMetadata) Names() []string {
	if m.RunImage.Image != "" {
		return append([]string{m.RunImage.Image}, m.RunImage.Mirrors...)
	}
	if m.Stack != nil && m.Stack.RunImage.Image != "" {
		return append([]string{m.Stack.RunImage.Image}, m.Stack.RunImage.Mirrors...)
	}
	return nil
}

// Contains reports whether a run image name is one the metadata records,
// ignoring digests, as the lifecycle's rebaser decides whether the new run
// image needs -force.
func (m *LifecycleMetadata) Contains(image string) bool {
	want := normalizeImageName(image)
	for _, n := range m.Names() {
		if normalizeImageName(n) == want {
			return true
		}
	}
	return false
}

// normalizeImageName is the lifecycle's internal/name.ParseMaybe: the
// fully qualified name without digest.
func normalizeImageName(s string) string {
	t := s
	if strings.Contains(s, "@sha256:") {
		t, _, _ = strings.Cut(s, "@")
	}
	if ref, err := name.ParseReference(t); err == nil {
		return ref.Name()
	}
	return s
}

// Encode returns the label with runImage and stack replaced by m's and
// every other field (and every unknown field of runImage) as it was.
func (m *LifecycleMetadata) Encode() (string, error) {
	out := make(map[string]json.RawMessage, len(m.raw)+2)
	for k, v := range m.raw {
		out[k] = v
	}
	ri := map[string]json.RawMessage{}
	if old, ok := m.raw["runImage"]; ok {
		_ = json.Unmarshal(old, &ri) // decoded once already in ParseLifecycleMetadata
	}
	set := func(k string, v any, omit bool) {
		if omit {
			delete(ri, k)
			return
		}
		b, _ := json.Marshal(v)
		ri[k] = b
	}
	set("topLayer", m.RunImage.TopLayer, false)
	set("reference", m.RunImage.Reference, false)
	set("image", m.RunImage.Image, m.RunImage.Image == "")
	set("mirrors", m.RunImage.Mirrors, len(m.RunImage.Mirrors) == 0)
	b, err := json.Marshal(ri)
	if err != nil {
		return "", err
	}
	out["runImage"] = b
	if m.Stack != nil {
		if out["stack"], err = json.Marshal(m.Stack); err != nil {
			return "", err
		}
	}
	b, err = json.Marshal(out)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// BuildMetadata is the part of io.buildpacks.build.metadata plan uses.
type BuildMetadata struct {
	// Buildpacks used in the build, with their versions.
	Buildpacks []BuildpackInfo `json:"buildpacks"`
	// Extensions used in the build.
	Extensions []BuildpackInfo `json:"extensions,omitempty"`
	// Launcher describes the launcher; its version is the lifecycle's.
	Launcher struct {
		Version string `json:"version"`
		Source  struct {
			Git struct {
				Repository string `json:"repository"`
				Commit     string `json:"commit"`
			} `json:"git"`
		} `json:"source"`
	} `json:"launcher"`
}

// BuildpackInfo is a buildpack id and version.
type BuildpackInfo struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

func (b BuildpackInfo) String() string { return b.ID + "@" + b.Version }

// ParseBuildMetadata decodes an io.buildpacks.build.metadata label; an empty
// label gives nil.
func ParseBuildMetadata(label string) (*BuildMetadata, error) {
	if label == "" {
		return nil, nil
	}
	var md BuildMetadata
	if err := json.Unmarshal([]byte(label), &md); err != nil {
		return nil, fmt.Errorf("label %s: %w", LabelBuildMetadata, err)
	}
	return &md, nil
}

// ProjectMetadata is io.buildpacks.project.metadata: the source an image was
// built from, in kpack's layout (version.commit, metadata.repository,
// metadata.revision) or pack's (version.commit, metadata.url,
// metadata.refs).
type ProjectMetadata struct {
	Source *struct {
		Type     string         `json:"type"`
		Version  map[string]any `json:"version"`
		Metadata map[string]any `json:"metadata"`
	} `json:"source,omitempty"`
}

// ParseProjectMetadata decodes an io.buildpacks.project.metadata label; an
// empty label gives nil.
func ParseProjectMetadata(label string) (*ProjectMetadata, error) {
	if label == "" {
		return nil, nil
	}
	var md ProjectMetadata
	if err := json.Unmarshal([]byte(label), &md); err != nil {
		return nil, fmt.Errorf("label %s: %w", LabelProjectMetadata, err)
	}
	return &md, nil
}

func (p *ProjectMetadata) field(m func() map[string]any, keys ...string) string {
	if p == nil || p.Source == nil {
		return ""
	}
	for _, k := range keys {
		if s, ok := m()[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// Commit is the source commit the image was built from, or "".
func (p *ProjectMetadata) Commit() string {
	return p.field(func() map[string]any { return p.Source.Version }, "commit")
}

// Repository is the source repository URL, or "".
func (p *ProjectMetadata) Repository() string {
	return p.field(func() map[string]any { return p.Source.Metadata }, "repository", "url")
}

// BuilderMetadata is the part of io.buildpacks.builder.metadata plan uses.
type BuilderMetadata struct {
	Buildpacks []BuildpackInfo `json:"buildpacks"`
	Lifecycle  struct {
		Version string `json:"version"`
	} `json:"lifecycle"`
}

// ParseBuilderMetadata decodes an io.buildpacks.builder.metadata label.
func ParseBuilderMetadata(label string) (*BuilderMetadata, error) {
	if label == "" {
		return nil, fmt.Errorf("no %s label: not a builder image", LabelBuilderMetadata)
	}
	var md BuilderMetadata
	if err := json.Unmarshal([]byte(label), &md); err != nil {
		return nil, fmt.Errorf("label %s: %w", LabelBuilderMetadata, err)
	}
	return &md, nil
}

// BuildConfig is what of a contract shapes a build, other than the commit:
// kpack's CONFIG (the source without its revision, the build environment)
// plus the builder. Goldenpath records it in the image as the
// io.goldenpath.build.config label.
type BuildConfig struct {
	// Source is the git URL and sub-path.
	Source BuildConfigSource `json:"source"`
	// Env is the contract's spec.build.env.
	Env map[string]string `json:"env,omitempty"`
	// Builder is the platform builder's name.
	Builder string `json:"builder,omitempty"`
	// Commit is the commit built, when known.
	Commit string `json:"commit,omitempty"`
}

// BuildConfigSource is the source part of a BuildConfig.
type BuildConfigSource struct {
	URL     string `json:"url"`
	SubPath string `json:"subPath,omitempty"`
}

// BuildConfigOf returns the BuildConfig of a (defaulted) request.
func BuildConfigOf(r *contract.AppDeploymentRequest) BuildConfig {
	c := BuildConfig{
		Source:  BuildConfigSource{URL: r.Spec.Source.Git.URL, SubPath: r.Spec.Source.Git.SubPath},
		Builder: r.Spec.Build.Builder,
	}
	if len(r.Spec.Build.Env) > 0 {
		c.Env = make(map[string]string, len(r.Spec.Build.Env))
		for k, v := range r.Spec.Build.Env {
			c.Env[k] = v
		}
	}
	return c
}

// Label returns the BuildConfig as the io.goldenpath.build.config label
// value (JSON with sorted keys).
func (c BuildConfig) Label() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// ParseBuildConfig decodes an io.goldenpath.build.config label; an empty
// label gives nil.
func ParseBuildConfig(label string) (*BuildConfig, error) {
	if label == "" {
		return nil, nil
	}
	var c BuildConfig
	if err := json.Unmarshal([]byte(label), &c); err != nil {
		return nil, fmt.Errorf("label %s: %w", LabelBuildConfig, err)
	}
	return &c, nil
}
