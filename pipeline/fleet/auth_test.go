package fleet_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
	"github.com/goldenpath-dev/goldenpath/pipeline/fleet"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

// authRegistry is a registry that requires basic auth over TLS with a CA
// the test made: the options that reach it with and without credentials,
// and the error every call must give without.
func authRegistry(t *testing.T) (reg *testregistry.Registry, with, without []registry.Option, want string) {
	t.Helper()
	reg = testregistry.New(t, testregistry.WithTLS(), testregistry.WithBasicAuth("ci", "s3cret"))
	tr := registry.WithTransport(reg.Transport())
	with = []registry.Option{tr, registry.WithKeychain(reg.Keychain()), registry.WithRetries(0)}
	without = []registry.Option{tr, registry.WithKeychain(testregistry.Anonymous), registry.WithRetries(0)}
	want = "authentication required for " + reg.Host + ": run `docker login " + reg.Host + "` (or configure a credential helper)"
	return reg, with, without, want
}

// Issue 18: rebase, plan and the stack updater use the keychain, and say
// what to do when a registry wants credentials they lack.
func TestFleetCallsUseTheKeychain(t *testing.T) {
	ctx := context.Background()
	reg, with, without, want := authRegistry(t)
	f := newFleet(t, reg, 2, nil)
	reg.Push(t, f.runRef, patchRunImage(t, f.run, "auth"))

	rep, err := newRebaser(t, without...).Rebase(ctx, &fleet.RebaseSpec{Images: f.apps})
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Count(fleet.RebaseFailed))
	assert.Contains(t, rep.Results[0].Error, want)
	rep, err = newRebaser(t, with...).Rebase(ctx, &fleet.RebaseSpec{Images: f.apps})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	assert.Equal(t, 2, rep.Count(fleet.RebaseRebased))

	spec := &fleet.PlanSpec{Platform: planPlatform(t, reg.Host, false), RunImage: f.runRef, Targets: []fleet.PlanTarget{{Image: f.apps[0]}}}
	pl, err := fleet.NewPlanner(without...)
	require.NoError(t, err)
	plan, err := pl.Plan(ctx, spec)
	require.NoError(t, err)
	assert.Equal(t, fleet.ActionError, plan.Items[0].Action)
	assert.Contains(t, plan.Items[0].Error, want)
	pl, err = fleet.NewPlanner(with...)
	require.NoError(t, err)
	plan, err = pl.Plan(ctx, spec)
	require.NoError(t, err)
	assert.NotEqual(t, fleet.ActionError, plan.Items[0].Action, plan.Items[0].Error)

	p := stackPlatform(t, reg)
	ri := randomImage(t)
	ri.push(reg, p.Builders["default"].Stack.BuildImage)
	ri.push(reg, p.Builders["default"].Stack.RunImage)
	_, _, err = fleet.ResolveStacks(ctx, p, without...)
	assert.ErrorContains(t, err, want)
	_, err = (&fleet.StackUpdater{Platform: p, Stacks: memStacks{}, Registry: without}).Update(ctx)
	assert.ErrorContains(t, err, want)
	_, images, err := fleet.ResolveStacks(ctx, p, with...)
	require.NoError(t, err)
	assert.Len(t, images, 2)
	up, err := (&fleet.StackUpdater{Platform: p, Stacks: memStacks{}, Registry: with}).Update(ctx)
	require.NoError(t, err)
	assert.Len(t, up.Changes, 2)
}
