package fleet

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
	"github.com/goldenpath-dev/goldenpath/render"
)

// kpack does not watch the images of a ClusterStack: a run image patched
// and pushed under the same tag goes unnoticed (kpack resyncs every ten
// hours), and its documentation leaves updating the ClusterStack to a CI
// tool. The StackUpdater is that tool: it resolves each builder's build and
// run images to digests and, when one moved, updates the ClusterStack to
// the new digest, which makes kpack rebase every Image built on it.

// StackRole names which image of a stack.
type StackRole string

// The two images of a CNB stack.
const (
	StackBuildImage StackRole = "build"
	StackRunImage   StackRole = "run"
)

// StackImage is one image of a builder's stack as resolved in its registry.
type StackImage struct {
	// Builder is the platform's builder (and ClusterStack) name.
	Builder string `json:"builder"`
	// Role is build or run.
	Role StackRole `json:"role"`
	// Ref is the reference the platform names (usually a tag).
	Ref string `json:"ref"`
	// Pinned is the repository at the digest Ref resolves to now.
	Pinned string `json:"pinned"`
}

// StackChange is one ClusterStack image that the update moved.
type StackChange struct {
	// Stack is the ClusterStack's name.
	Stack string `json:"stack"`
	// Role is build or run.
	Role StackRole `json:"role"`
	// From is the image the ClusterStack named before ("" when the
	// ClusterStack did not exist); To is the pinned image it names now.
	From string `json:"from"`
	To   string `json:"to"`
}

func (c StackChange) String() string {
	from := c.From
	if from == "" {
		from = "(new ClusterStack)"
	}
	return fmt.Sprintf("ClusterStack %s: %s image %s -> %s", c.Stack, c.Role, from, c.To)
}

// StackReport is what one update found and did.
type StackReport struct {
	// Time the update started.
	Time time.Time `json:"time"`
	// Images are the stack images, resolved, sorted by builder and role.
	Images []StackImage `json:"images"`
	// Changes are the ClusterStack images that moved (none: nothing to do).
	Changes []StackChange `json:"changes"`
	// DryRun: the changes were found but not applied.
	DryRun bool `json:"dryRun,omitempty"`
}

// ResolveStacks resolves every builder's stack images to digests in their
// registries and returns a copy of the platform whose stacks name the
// pinned images (repository@sha256:...), which render.Platform turns into
// ClusterStacks pinned to them. An image the platform already pins by
// digest is kept. The platform itself is not modified.
func ResolveStacks(ctx context.Context, p *contract.Platform, opts ...registry.Option) (*contract.Platform, []StackImage, error) {
	c, err := registry.New(opts...)
	if err != nil {
		return nil, nil, err
	}
	pinned := *p
	pinned.Builders = make(map[string]contract.Builder, len(p.Builders))
	var images []StackImage
	var errs []error
	for _, bname := range slices.Sorted(maps.Keys(p.Builders)) {
		b := p.Builders[bname]
		for _, img := range []struct {
			role StackRole
			ref  *string
		}{{StackBuildImage, &b.Stack.BuildImage}, {StackRunImage, &b.Stack.RunImage}} {
			pin, err := pin(ctx, c, *img.ref)
			if err != nil {
				errs = append(errs, fmt.Errorf("builder %s: stack %s image: %w", bname, img.role, err))
				continue
			}
			images = append(images, StackImage{Builder: bname, Role: img.role, Ref: *img.ref, Pinned: pin})
			*img.ref = pin
		}
		pinned.Builders[bname] = b
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return &pinned, images, nil
}

// pin resolves ref to repository@digest: a HEAD request (a GET when the
// registry does not answer HEAD) through the registry client.
func pin(ctx context.Context, c *registry.Client, ref string) (string, error) {
	r, err := c.Parse(ref)
	if err != nil {
		return "", err
	}
	if d, ok := r.(name.Digest); ok {
		return d.Context().Name() + "@" + d.DigestStr(), nil
	}
	desc, err := c.Head(ctx, r)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", ref, err)
	}
	return r.Context().Name() + "@" + desc.Digest.String(), nil
}

// ClusterStacks reads and writes kpack ClusterStacks in a cluster.
// NewKubeClusterStacks is the Kubernetes API implementation.
type ClusterStacks interface {
	// Get returns the ClusterStack, or nil and no error when there is none.
	Get(ctx context.Context, name string) (*kpack.ClusterStack, error)
	// Apply creates or updates the ClusterStack (server-side apply).
	Apply(ctx context.Context, stack *kpack.ClusterStack) error
}

// StackUpdater keeps the ClusterStacks of a platform on the current
// digests of their images.
type StackUpdater struct {
	// Platform names the builders and their stack images (tags).
	Platform *contract.Platform
	// Stacks is the cluster; nil with DryRun only reports.
	Stacks ClusterStacks
	// Registry configures registry access (credentials, plain HTTP hosts).
	Registry []registry.Option
	// DryRun reports the changes without applying them.
	DryRun bool
}

// Update resolves the stack images and applies every ClusterStack whose
// images differ from the cluster's (or that is missing), rendered by
// render.Platform from the pinned platform, so what it applies is exactly
// what `goldenpath platform render` gives for the pinned images. kpack then
// rebases (run image) or rebuilds (build image) every Image on the stack.
func (u *StackUpdater) Update(ctx context.Context) (*StackReport, error) {
	rep := &StackReport{Time: time.Now().UTC(), DryRun: u.DryRun}
	if u.Stacks == nil && !u.DryRun {
		return nil, errors.New("stack update: no cluster to update (give one, or ask for a dry run)")
	}
	pinned, images, err := ResolveStacks(ctx, u.Platform, u.Registry...)
	if err != nil {
		return nil, err
	}
	rep.Images = images
	stacks, err := PlatformClusterStacks(pinned)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, want := range stacks {
		var have *kpack.ClusterStack
		if u.Stacks != nil {
			if have, err = u.Stacks.Get(ctx, want.Name); err != nil {
				errs = append(errs, fmt.Errorf("reading ClusterStack %s: %w", want.Name, err))
				continue
			}
		}
		changes := stackChanges(have, want)
		if len(changes) == 0 {
			continue
		}
		if !u.DryRun {
			if err := u.Stacks.Apply(ctx, want); err != nil {
				errs = append(errs, fmt.Errorf("updating ClusterStack %s: %w", want.Name, err))
				continue
			}
		}
		rep.Changes = append(rep.Changes, changes...)
	}
	return rep, errors.Join(errs...)
}

// Watch runs Update every interval until ctx ends, handing each report (or
// error: a failed round is retried at the next tick) to report. It returns
// ctx's error.
func (u *StackUpdater) Watch(ctx context.Context, interval time.Duration, report func(*StackReport, error)) error {
	if interval <= 0 {
		return fmt.Errorf("stack watch: interval %v is not positive", interval)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		report(u.Update(ctx))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// PlatformClusterStacks returns the ClusterStacks render.Platform renders
// for p, typed.
func PlatformClusterStacks(p *contract.Platform) ([]*kpack.ClusterStack, error) {
	objs, err := render.Platform(p)
	if err != nil {
		return nil, err
	}
	var out []*kpack.ClusterStack
	for _, o := range objs {
		if o.Kind() != kpack.ClusterStackKind {
			continue
		}
		s := &kpack.ClusterStack{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Value, s); err != nil {
			return nil, fmt.Errorf("ClusterStack %s: %w", o.Name(), err)
		}
		out = append(out, s)
	}
	return out, nil
}

func stackChanges(have, want *kpack.ClusterStack) []StackChange {
	var from kpack.ClusterStackSpec
	if have != nil {
		from = have.Spec
	}
	var out []StackChange
	if from.BuildImage.Image != want.Spec.BuildImage.Image {
		out = append(out, StackChange{Stack: want.Name, Role: StackBuildImage, From: from.BuildImage.Image, To: want.Spec.BuildImage.Image})
	}
	if from.RunImage.Image != want.Spec.RunImage.Image {
		out = append(out, StackChange{Stack: want.Name, Role: StackRunImage, From: from.RunImage.Image, To: want.Spec.RunImage.Image})
	}
	if have != nil && len(out) == 0 && from.Id != want.Spec.Id {
		out = append(out, StackChange{Stack: want.Name, Role: "id", From: from.Id, To: want.Spec.Id})
	}
	return out
}
