package fleet_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
	"github.com/goldenpath-dev/goldenpath/pipeline/fleet"
)

// stackPlatform is the default platform with its default builder's stack
// in the test registry.
func stackPlatform(t *testing.T, reg *testregistry.Registry) *contract.Platform {
	p := contract.DefaultPlatform()
	b := p.Builders["default"]
	b.Stack.BuildImage = reg.Host + "/stacks/build:bookworm"
	b.Stack.RunImage = reg.Host + "/stacks/run:bookworm"
	p.Builders["default"] = b
	return p
}

// memStacks keeps ClusterStacks as the API server would for Get/Apply.
type memStacks map[string]*kpack.ClusterStack

func (m memStacks) Get(_ context.Context, name string) (*kpack.ClusterStack, error) {
	return m[name], nil
}
func (m memStacks) Apply(_ context.Context, s *kpack.ClusterStack) error { m[s.Name] = s; return nil }

func randomImage(t *testing.T) *randomImg { return &randomImg{t: t} }

type randomImg struct{ t *testing.T }

func (r *randomImg) push(reg *testregistry.Registry, ref string) string {
	img, err := random.Image(64, 1)
	require.NoError(r.t, err)
	return reg.Push(r.t, ref, img)
}

func TestResolveStacksPinsToCurrentDigests(t *testing.T) {
	reg := testregistry.New(t)
	p := stackPlatform(t, reg)
	buildDigest := randomImage(t).push(reg, p.Builders["default"].Stack.BuildImage)
	runDigest := randomImage(t).push(reg, p.Builders["default"].Stack.RunImage)

	pinned, images, err := fleet.ResolveStacks(context.Background(), p)
	require.NoError(t, err)
	require.Equal(t, []fleet.StackImage{
		{Builder: "default", Role: fleet.StackBuildImage, Ref: reg.Host + "/stacks/build:bookworm", Pinned: reg.Host + "/stacks/build@" + buildDigest},
		{Builder: "default", Role: fleet.StackRunImage, Ref: reg.Host + "/stacks/run:bookworm", Pinned: reg.Host + "/stacks/run@" + runDigest},
	}, images)
	require.Equal(t, reg.Host+"/stacks/run@"+runDigest, pinned.Builders["default"].Stack.RunImage)
	require.Equal(t, reg.Host+"/stacks/run:bookworm", p.Builders["default"].Stack.RunImage, "the given platform is not modified")

	stacks, err := fleet.PlatformClusterStacks(pinned)
	require.NoError(t, err)
	require.Len(t, stacks, 1)
	require.Equal(t, reg.Host+"/stacks/run@"+runDigest, stacks[0].Spec.RunImage.Image)
	// What the updater applies passes kpack's own validation.
	stacks[0].SetDefaults(context.Background())
	require.Nil(t, stacks[0].Validate(context.Background()))

	// A platform that already pins a digest is kept as it is, with no request.
	reg.ResetLog()
	_, images, err = fleet.ResolveStacks(context.Background(), pinned)
	require.NoError(t, err)
	require.Equal(t, reg.Host+"/stacks/run@"+runDigest, images[1].Pinned)
	require.Empty(t, reg.Requests())
}

func TestResolveStacksNamesTheMissingImage(t *testing.T) {
	reg := testregistry.New(t)
	p := stackPlatform(t, reg)
	randomImage(t).push(reg, p.Builders["default"].Stack.BuildImage)
	_, _, err := fleet.ResolveStacks(context.Background(), p)
	require.Error(t, err)
	require.Contains(t, err.Error(), "builder default: stack run image: resolving "+reg.Host+"/stacks/run:bookworm")
	require.NotContains(t, err.Error(), "build image")
}

func TestStackUpdaterAppliesOnlyWhatMoved(t *testing.T) {
	reg := testregistry.New(t)
	p := stackPlatform(t, reg)
	ri := randomImage(t)
	ri.push(reg, p.Builders["default"].Stack.BuildImage)
	run1 := ri.push(reg, p.Builders["default"].Stack.RunImage)
	cluster := memStacks{}
	u := &fleet.StackUpdater{Platform: p, Stacks: cluster}
	ctx := context.Background()

	rep, err := u.Update(ctx)
	require.NoError(t, err)
	require.Len(t, rep.Changes, 2, "a missing ClusterStack is created")
	require.Equal(t, reg.Host+"/stacks/run@"+run1, cluster["default"].Spec.RunImage.Image)

	rep, err = u.Update(ctx)
	require.NoError(t, err)
	require.Empty(t, rep.Changes, "nothing moved: nothing applied")

	// The platform team patches the run image under the same tag.
	run2 := ri.push(reg, p.Builders["default"].Stack.RunImage)
	require.NotEqual(t, run1, run2)
	dry := &fleet.StackUpdater{Platform: p, Stacks: cluster, DryRun: true}
	rep, err = dry.Update(ctx)
	require.NoError(t, err)
	require.Len(t, rep.Changes, 1)
	require.Equal(t, reg.Host+"/stacks/run@"+run1, cluster["default"].Spec.RunImage.Image, "a dry run changes nothing")

	rep, err = u.Update(ctx)
	require.NoError(t, err)
	require.Equal(t, []fleet.StackChange{{Stack: "default", Role: fleet.StackRunImage,
		From: reg.Host + "/stacks/run@" + run1, To: reg.Host + "/stacks/run@" + run2}}, rep.Changes)
	require.Equal(t, reg.Host+"/stacks/run@"+run2, cluster["default"].Spec.RunImage.Image)
	require.True(t, strings.HasPrefix(rep.Changes[0].String(), "ClusterStack default: run image "))
}
