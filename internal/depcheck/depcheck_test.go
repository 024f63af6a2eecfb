// Package depcheck fences heavy dependencies out of the packages that must
// stay light: contract and render are imported by editors' tooling,
// Backstage plugins and operators, which should not pull in a Docker
// client, pack, cosign or the Dagger SDK.
package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

var forbidden = []string{
	"github.com/docker/",
	"github.com/moby/",
	"github.com/buildpacks/",
	"github.com/sigstore/",
	"dagger.io/",
	"github.com/spf13/cobra",
}

// TestRenderIsPure checks render's own imports: no file system, network,
// clock or randomness, so output depends on the inputs alone.
func TestRenderIsPure(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, "github.com/goldenpath-dev/goldenpath/render").Output()
	if err != nil {
		t.Fatal(err)
	}
	imports := strings.Fields(string(out))
	if len(imports) < 3 {
		t.Fatalf("go list returned too little: %v", imports)
	}
	for _, imp := range imports {
		switch {
		case imp == "os", imp == "time", imp == "math/rand", imp == "math/rand/v2", imp == "net", strings.HasPrefix(imp, "net/"), imp == "io/ioutil", imp == "path/filepath":
			t.Errorf("render imports %s; rendering must be pure", imp)
		}
	}
}

func TestLightPackagesStayLight(t *testing.T) {
	for _, pkg := range []string{"github.com/goldenpath-dev/goldenpath/contract", "github.com/goldenpath-dev/goldenpath/render"} {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("go list returned too little for %s: %v", pkg, deps)
		}
		for _, d := range deps {
			for _, f := range forbidden {
				if strings.HasPrefix(d, f) {
					t.Errorf("%s depends on %s (fenced out by %q)", pkg, d, f)
				}
			}
		}
	}
}

// The render package must not import the pipeline or the facade: imports go
// contract <- render <- pipeline <- goldenpath.
func TestImportDirection(t *testing.T) {
	rules := map[string][]string{
		"github.com/goldenpath-dev/goldenpath/contract": {"/render", "/pipeline", "/goldenpath/goldenpath", "/internal/cli"},
		"github.com/goldenpath-dev/goldenpath/render":   {"/pipeline", "/goldenpath/goldenpath", "/internal/cli"},
	}
	for pkg, banned := range rules {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range strings.Fields(string(out)) {
			for _, b := range banned {
				if strings.HasPrefix(d, "github.com/goldenpath-dev/goldenpath") && strings.HasSuffix(d, b) || strings.Contains(d, "goldenpath/goldenpath"+b+"/") {
					t.Errorf("%s imports %s", pkg, d)
				}
			}
		}
	}
}
