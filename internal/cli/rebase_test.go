package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/goldenpath/fleet"
	"github.com/goldenpath-dev/goldenpath/internal/cli"
	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
	"github.com/goldenpath-dev/goldenpath/pipeline/cnb"
)

// rbRun runs the CLI in-process with stdin.
func rbRun(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), cli.Streams{In: strings.NewReader(stdin), Out: &out, Err: &errOut}, args)
	return code, out.String(), errOut.String()
}

// rbFleet is a run image and CNB-like app images in an in-process
// registry: host/goldenpath/run:test and host/apps/dev/app-<i>:latest.
type rbFleet struct {
	host   string
	runRef string
	run    v1.Image
	apps   []string
}

func rbWrite(t *testing.T, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	require.NoError(t, err)
	require.NoError(t, remote.Write(r, img))
}

func rbDigest(t *testing.T, ref string) string {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	require.NoError(t, err)
	d, err := remote.Head(r)
	require.NoError(t, err)
	return d.Digest.String()
}

func rbWithConfig(t *testing.T, img v1.Image, f func(*v1.ConfigFile)) v1.Image {
	t.Helper()
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	cf = cf.DeepCopy()
	if cf.Config.Labels == nil {
		cf.Config.Labels = map[string]string{}
	}
	f(cf)
	img, err = mutate.ConfigFile(img, cf)
	require.NoError(t, err)
	return img
}

func rbAppend(t *testing.T, img v1.Image) v1.Image {
	t.Helper()
	l, err := random.Layer(100, types.DockerLayer)
	require.NoError(t, err)
	img, err = mutate.AppendLayers(img, l)
	require.NoError(t, err)
	return img
}

func newRBFleet(t *testing.T, n int) *rbFleet {
	t.Helper()
	f := &rbFleet{host: testregistry.New(t).Host}
	f.runRef = f.host + "/goldenpath/run:test"
	run, err := random.Image(100, 2)
	require.NoError(t, err)
	f.run = rbWithConfig(t, run, func(c *v1.ConfigFile) {
		c.OS, c.Architecture = "linux", "amd64"
		c.Config.Labels[cnb.LabelStackID] = "io.goldenpath.stacks.test"
	})
	rbWrite(t, f.runRef, f.run)
	runCfg, err := f.run.ConfigFile()
	require.NoError(t, err)
	runDigest, err := f.run.Digest()
	require.NoError(t, err)
	top := runCfg.RootFS.DiffIDs[len(runCfg.RootFS.DiffIDs)-1]
	for i := range n {
		app := rbWithConfig(t, rbAppend(t, f.run), func(c *v1.ConfigFile) {
			c.Config.Env = []string{"CNB_PLATFORM_API=0.13"}
			c.Config.Labels[cnb.LabelLifecycleMetadata] = fmt.Sprintf(
				`{"app":[],"buildpacks":[],"runImage":{"topLayer":%q,"reference":"%s/goldenpath/run@%s","image":"goldenpath/run:test","mirrors":[%q]}}`,
				top, f.host, runDigest, f.runRef)
			c.Config.Labels[cnb.LabelBuildMetadata] = `{"buildpacks":[{"id":"goldenpath/go","version":"0.1.0"}],"launcher":{"version":"0.21.0"}}`
		})
		ref := fmt.Sprintf("%s/apps/dev/app-%d:latest", f.host, i)
		rbWrite(t, ref, app)
		f.apps = append(f.apps, ref)
	}
	return f
}

func (f *rbFleet) patch(t *testing.T) {
	t.Helper()
	f.run = rbAppend(t, f.run)
	rbWrite(t, f.runRef, f.run)
}

// platformFile writes a platform whose default builder runs on the fleet's
// run image and whose registry is the fleet's.
func (f *rbFleet) platformFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "platform.yaml")
	require.NoError(t, os.WriteFile(p, []byte(fmt.Sprintf(`apiVersion: goldenpath.io/v1
kind: Platform
name: test
registry: %[1]s/apps
builders:
  default:
    tag: %[1]s/goldenpath/builder:test
    stack: {id: io.goldenpath.stacks.test, buildImage: %[1]s/goldenpath/build:test, runImage: %[1]s/goldenpath/run:test}
    buildpacks: [%[1]s/goldenpath/builder:test]
    order: [{language: go, buildpacks: [{id: goldenpath/go}]}]
environments:
  dev:
    namespace: apps-dev
    ingressDomain: dev.goldenpath.io
    gitops: {repoURL: https://github.com/goldenpath-dev/gitops}
`, f.host)), 0o644))
	return p
}

// contracts writes a contract per app (app-0, app-1, ...) into a folder.
func (f *rbFleet) contracts(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for i := range f.apps {
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("app-%d.yaml", i)), []byte(fmt.Sprintf(`apiVersion: goldenpath.io/v1
kind: AppDeploymentRequest
id: APP-000%d
environment: dev
owner: team
application: app-%d
spec:
  source:
    git: {url: https://github.com/org/app-%d}
  build: {type: buildpack}
  runtime: {replicas: 1}
`, i, i, i)), 0o644))
	}
	return dir
}

func TestRebaseCommand(t *testing.T) {
	f := newRBFleet(t, 3)
	f.patch(t)
	before := rbDigest(t, f.apps[0])

	code, out, errOut := rbRun(t, "", "rebase", "--dry-run", f.apps[0])
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Contains(t, out, "would-rebase  "+f.apps[0])
	assert.Contains(t, out, "base layers 2 -> 3, app layers 1 kept")
	assert.Contains(t, out, "runImage.reference")
	assert.Contains(t, out, "1 image: 1 would-rebase, 0 failed")
	assert.Contains(t, out, "(dry run: nothing written)")
	assert.Equal(t, before, rbDigest(t, f.apps[0]))

	report := filepath.Join(t.TempDir(), "report.json")
	code, out, errOut = rbRun(t, strings.Join(f.apps[1:], "\n")+"\n# a comment\n", "rebase", f.apps[0], "--images-file", "-", "--report", report)
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Equal(t, 3, strings.Count(out, "rebased       "), out)
	assert.Contains(t, out, "3 images: 3 rebased, 0 failed")
	assert.NotEqual(t, before, rbDigest(t, f.apps[0]))
	data, err := os.ReadFile(report)
	require.NoError(t, err)
	var rep fleet.RebaseReport
	require.NoError(t, json.Unmarshal(data, &rep))
	assert.Len(t, rep.Results, 3)

	code, out, _ = rbRun(t, "", "rebase", "-q", "--resume", report, f.apps[0], f.apps[1])
	require.Equal(t, cli.ExitOK, code)
	assert.Equal(t, "2 images: 2 up-to-date, 0 failed", strings.SplitN(strings.TrimSpace(out), " in ", 2)[0])

	code, out, _ = rbRun(t, "", "rebase", "-o", "json", f.apps[2], f.host+"/apps/dev/nope:latest")
	assert.Equal(t, cli.ExitFailure, code)
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.Equal(t, fleet.RebaseUpToDate, rep.Results[0].Status)
	assert.Equal(t, fleet.RebaseFailed, rep.Results[1].Status)

	for _, args := range [][]string{{"rebase"}, {"rebase", "-o", "yaml", "x"}, {"rebase", "--concurrency", "0", "x"}, {"rebase", "--nope"}} {
		code, _, errOut := rbRun(t, "", args...)
		assert.Equal(t, cli.ExitUsage, code, "%v: %s", args, errOut)
	}
}

// With contracts, each app's image is the tag builds push and the run image
// its builder's.
func TestRebaseCommandWithContracts(t *testing.T) {
	f := newRBFleet(t, 2)
	f.patch(t)
	code, out, errOut := rbRun(t, "", "rebase", "--platform", f.platformFile(t), "-f", f.contracts(t))
	require.Equal(t, cli.ExitOK, code, errOut+out)
	assert.Contains(t, out, "2 images: 2 rebased, 0 failed")
	assert.Contains(t, out, "run image "+f.runRef)
}

func TestPlanCommand(t *testing.T) {
	f := newRBFleet(t, 2)
	f.patch(t)
	platform := f.platformFile(t)
	contracts := f.contracts(t)

	code, out, errOut := rbRun(t, "", "plan", "--platform", platform, "--skip-builder", contracts)
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Contains(t, out, "REBASE   "+f.apps[0]+"  STACK")
	assert.Contains(t, out, "STACK      runImage: ")
	assert.Contains(t, out, "goldenpath rebase "+f.apps[0]+" --run-image "+f.runRef)
	assert.Contains(t, out, "2 images: 0 to rebuild, 2 to rebase, 0 up to date, 0 skipped, 0 errors")

	code, out, _ = rbRun(t, "", "plan", "--platform", platform, "--skip-builder", "-o", "rebase", contracts)
	require.Equal(t, cli.ExitOK, code)
	assert.Equal(t, f.apps[0]+"\n"+f.apps[1]+"\n", out)

	// plan -o rebase | rebase --images-file -, then plan says NOTHING.
	code, _, errOut = rbRun(t, out, "rebase", "--images-file", "-")
	require.Equal(t, cli.ExitOK, code, errOut)
	code, out, _ = rbRun(t, "", "plan", "--platform", platform, "--skip-builder", "-o", "json", "--image", f.apps[0])
	require.Equal(t, cli.ExitOK, code)
	var plan fleet.PlanReport
	require.NoError(t, json.Unmarshal([]byte(out), &plan))
	require.Len(t, plan.Items, 1)
	assert.Equal(t, fleet.ActionNothing, plan.Items[0].Action)

	// A pinned commit the image does not record: the evidence says so with --all.
	code, out, _ = rbRun(t, "", "plan", "--platform", platform, "--skip-builder", "--all", "--revision", "app-0="+strings.Repeat("a", 40), filepath.Join(contracts, "app-0.yaml"))
	require.Equal(t, cli.ExitOK, code)
	assert.Contains(t, out, "COMMIT     commit: (unknown) -> "+strings.Repeat("a", 40)+" (the image records no source commit")

	code, out, _ = rbRun(t, "", "plan", "--platform", platform, "--image", f.host+"/apps/dev/nope:latest", "--image", "127.0.0.1:1/x:y")
	assert.Equal(t, cli.ExitFailure, code, "an image that cannot be read")
	assert.Contains(t, out, "REBUILD  "+f.host+"/apps/dev/nope:latest")
	assert.Contains(t, out, "ERROR    127.0.0.1:1/x:y: ")

	for _, args := range [][]string{{"plan"}, {"plan", "-o", "xml", "x"}, {"plan", "--revision", "nosha", "--image", "x"}} {
		code, _, errOut := rbRun(t, "", args...)
		assert.Equal(t, cli.ExitUsage, code, "%v: %s", args, errOut)
	}
}
