package fleet_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/goldenpath-dev/goldenpath/goldenpath/fleet"
)

// exampleFleet starts an in-process registry holding a run image
// (goldenpath/run:bookworm) and an app built on it (apps/dev/web:latest),
// then pushes a patched run image under the same tag, as a platform team
// does when the OS gets a fix. It returns the registry's host.
func exampleFleet() (host string, stop func()) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	host = strings.TrimPrefix(srv.URL, "http://")
	layer := func(s string) v1.Layer { return static.NewLayer([]byte(s), types.DockerLayer) }
	push := func(ref string, img v1.Image) {
		r, err := name.ParseReference(ref)
		if err == nil {
			err = remote.Write(r, img)
		}
		if err != nil {
			panic(err)
		}
	}
	configure := func(img v1.Image, f func(*v1.ConfigFile)) v1.Image {
		cf, _ := img.ConfigFile()
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = "linux", "amd64"
		if cf.Config.Labels == nil {
			cf.Config.Labels = map[string]string{}
		}
		f(cf)
		img, err := mutate.ConfigFile(img, cf)
		if err != nil {
			panic(err)
		}
		return img
	}
	runTag := host + "/goldenpath/run:bookworm"
	run, _ := mutate.AppendLayers(empty.Image, layer("debian bookworm"))
	run = configure(run, func(c *v1.ConfigFile) { c.Config.Labels["io.buildpacks.stack.id"] = "io.goldenpath.stacks.bookworm" })
	push(runTag, run)
	runDigest, _ := run.Digest()
	top, _ := layer("debian bookworm").DiffID()
	app, _ := mutate.AppendLayers(run, layer("the app"))
	app = configure(app, func(c *v1.ConfigFile) {
		c.Config.Env = []string{"CNB_PLATFORM_API=0.13"}
		c.Config.Labels["io.buildpacks.lifecycle.metadata"] = fmt.Sprintf(
			`{"app":[],"buildpacks":[],"runImage":{"topLayer":%q,"reference":"%s/goldenpath/run@%s","image":%q}}`, top, host, runDigest, runTag)
		c.Config.Labels["io.buildpacks.build.metadata"] = `{"buildpacks":[{"id":"goldenpath/go","version":"0.1.0"}],"launcher":{"version":"0.21.0"}}`
	})
	push(host+"/apps/dev/web:latest", app)
	patched, _ := mutate.AppendLayers(run, layer("the OS fix"))
	push(runTag, patched)
	return host, srv.Close
}

// Plan says the app needs a rebase: its run image was patched.
func ExamplePlan() {
	host, stop := exampleFleet()
	defer stop()
	plan, err := fleet.Plan(context.Background(), fleet.PlanRequest{
		Request:     fleet.Request{Images: []string{host + "/apps/dev/web:latest"}, RunImage: host + "/goldenpath/run:bookworm"},
		SkipBuilder: true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, it := range plan.Items {
		fmt.Println(it.Action, strings.TrimPrefix(it.Image, host), it.Reasons)
	}
	// Output: REBASE /apps/dev/web:latest [STACK]
}

// Rebase swaps the patched run image under the app, in the registry; a
// second run finds it up to date.
func ExampleRebase() {
	host, stop := exampleFleet()
	defer stop()
	req := fleet.RebaseRequest{Request: fleet.Request{Images: []string{host + "/apps/dev/web:latest"}}}
	for range 2 {
		rep, err := fleet.Rebase(context.Background(), req)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, r := range rep.Results {
			fmt.Println(r.Status, strings.TrimPrefix(r.Image, host))
		}
	}
	// Output:
	// rebased /apps/dev/web:latest
	// up-to-date /apps/dev/web:latest
}
