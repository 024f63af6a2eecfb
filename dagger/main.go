// Package main is the goldenpath Dagger module: the goldenpath library behind `dagger call`.
//
// The functions are thin wrappers over the goldenpath facade (and contract for the JSON Schema), so their
// output is the CLI's: `dagger call render --contracts=DIR` gives the tree `goldenpath render --out OUT DIR`
// writes. The library reaches the module through dagger.json's "include" of the parent directories and the
// replace directive in go.mod (see the README, section "Dagger").
package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/goldenpath-dev/goldenpath/dagger/internal/dagger"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
	"github.com/goldenpath-dev/goldenpath/render"
)

// Goldenpath is the module's object: `dagger call <function>`.
type Goldenpath struct{}

// Validate checks every AppDeploymentRequest (and Platform) document under contracts against the schema and the
// platform's policy, and returns the report. It fails, with the report as the error, when any document is invalid
// (like `goldenpath validate`, whose exit status is then 1). File names in the report are relative to contracts.
func (m *Goldenpath) Validate(
	ctx context.Context,
	// Folder of contracts (*.yaml/*.yml, searched recursively).
	contracts *dagger.Directory,
	// Platform file whose policy applies (default: the embedded default platform).
	// +optional
	platform *dagger.File,
	// Report format: text, json or github (named format: --output is dagger call's own flag).
	// +optional
	// +default="text"
	format string,
) (string, error) {
	printer, err := output.Report.Get(format)
	if err != nil {
		return "", err
	}
	popt, err := platformOption(ctx, platform)
	if err != nil {
		return "", err
	}
	dir, err := exportDir(ctx, contracts)
	if err != nil {
		return "", err
	}
	report, err := inDir(dir, func() (*goldenpath.Report, error) {
		return goldenpath.ValidatePaths(ctx, []string{"."}, popt)
	})
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	if err := printer.Print(&out, report); err != nil {
		return "", err
	}
	if !report.Valid() {
		return "", fmt.Errorf("%s%s", out.String(), output.Count(report.ErrorCount(), "problem"))
	}
	return out.String(), nil
}

// Render renders the contracts under contracts into the GitOps tree (what `goldenpath render --out` writes into an
// empty folder): <environment>/<application>/ per application, argocd/<environment>/<application>.yaml, the
// environments' roots and goldenpath's index (.goldenpath/).
func (m *Goldenpath) Render(
	ctx context.Context,
	// Folder of contracts (*.yaml/*.yml, searched recursively).
	contracts *dagger.Directory,
	// Platform file (default: the embedded default platform).
	// +optional
	platform *dagger.File,
	// Pin Deployments to image digests: REF for a single contract, or APPLICATION=REF.
	// +optional
	image []string,
) (*dagger.Directory, error) {
	objs, err := m.render(ctx, contracts, platform, image)
	if err != nil {
		return nil, err
	}
	popt, err := platformOption(ctx, platform)
	if err != nil {
		return nil, err
	}
	// The files render --out writes into an empty folder, goldenpath's index included.
	files, err := goldenpath.TreeFiles(objs, popt)
	if err != nil {
		return nil, err
	}
	out := dag.Directory()
	for _, name := range slices.Sorted(maps.Keys(files)) {
		out = out.WithNewFile(name, string(files[name]))
	}
	return out, nil
}

// RenderStream renders the contracts as one YAML stream (what `goldenpath render` prints).
func (m *Goldenpath) RenderStream(
	ctx context.Context,
	// Folder of contracts (*.yaml/*.yml, searched recursively).
	contracts *dagger.Directory,
	// Platform file (default: the embedded default platform).
	// +optional
	platform *dagger.File,
	// Pin Deployments to image digests: REF for a single contract, or APPLICATION=REF.
	// +optional
	image []string,
) (string, error) {
	popt, err := platformOption(ctx, platform)
	if err != nil {
		return "", err
	}
	dir, err := exportDir(ctx, contracts)
	if err != nil {
		return "", err
	}
	pins, err := goldenpath.ImagePins(image)
	if err != nil {
		return "", err
	}
	// The CLI's stream: request by request in file order, then the roots.
	var out strings.Builder
	_, err = inDir(dir, func() (struct{}, error) {
		return struct{}{}, goldenpath.RenderStream(ctx, []string{"."}, &out, popt, goldenpath.WithImages(pins))
	})
	if err != nil {
		return "", renderError(err)
	}
	return out.String(), nil
}

// Schema returns the JSON Schema (draft-07) of a document kind (what `goldenpath schema` prints).
func (m *Goldenpath) Schema(
	// Document kind: AppDeploymentRequest or Platform.
	// +optional
	// +default="AppDeploymentRequest"
	kind string,
) (*dagger.File, error) {
	data, err := contract.Schema(kind)
	if err != nil {
		return nil, err
	}
	name := strings.ToLower(kind) + ".schema.json"
	return dag.Directory().WithNewFile(name, string(data)).File(name), nil
}

func (m *Goldenpath) render(ctx context.Context, contracts *dagger.Directory, platform *dagger.File, image []string) ([]render.Object, error) {
	popt, err := platformOption(ctx, platform)
	if err != nil {
		return nil, err
	}
	pins, err := goldenpath.ImagePins(image)
	if err != nil {
		return nil, err
	}
	dir, err := exportDir(ctx, contracts)
	if err != nil {
		return nil, err
	}
	objs, err := inDir(dir, func() ([]render.Object, error) {
		return goldenpath.Render(ctx, []string{"."}, popt, goldenpath.WithImages(pins))
	})
	if err != nil {
		return nil, renderError(err)
	}
	return objs, nil
}

// renderError lists contract problems as the CLI prints them.
func renderError(err error) error {
	if errs, ok := err.(contract.Errors); ok {
		var b strings.Builder
		for _, e := range errs {
			fmt.Fprintln(&b, e.Error())
		}
		return fmt.Errorf("%s%s; nothing was rendered", b.String(), output.Count(len(errs), "problem"))
	}
	return err
}

// request loads the one request under contracts (or the one for application), checked against the platform.
func (m *Goldenpath) request(ctx context.Context, contracts *dagger.Directory, platform *dagger.File, application string) (*contract.AppDeploymentRequest, error) {
	popt, err := platformOption(ctx, platform)
	if err != nil {
		return nil, err
	}
	dir, err := exportDir(ctx, contracts)
	if err != nil {
		return nil, err
	}
	reqs, err := inDir(dir, func() ([]*contract.AppDeploymentRequest, error) {
		return goldenpath.LoadRequests(ctx, []string{"."}, popt)
	})
	if err != nil {
		return nil, err
	}
	return goldenpath.PickRequest(reqs, application)
}

// platformOption loads the platform file, or the embedded default platform when there is none.
func platformOption(ctx context.Context, platform *dagger.File) (goldenpath.Option, error) {
	p, err := loadPlatform(ctx, platform)
	if err != nil {
		return nil, err
	}
	return goldenpath.WithPlatform(p), nil
}

// loadPlatform loads the platform file, or the embedded default platform when there is none.
func loadPlatform(ctx context.Context, platform *dagger.File) (*contract.Platform, error) {
	path := ""
	if platform != nil {
		tmp, err := os.MkdirTemp("", "platform-")
		if err != nil {
			return nil, err
		}
		path = filepath.Join(tmp, "platform.yaml")
		if _, err := platform.Export(ctx, path); err != nil {
			return nil, fmt.Errorf("export platform file: %w", err)
		}
	}
	return goldenpath.LoadPlatformFile(path)
}

// exportDir copies a directory argument into the module's container and returns its path.
func exportDir(ctx context.Context, d *dagger.Directory) (string, error) {
	tmp, err := os.MkdirTemp("", "contracts-")
	if err != nil {
		return "", err
	}
	if _, err := d.Export(ctx, tmp); err != nil {
		return "", fmt.Errorf("export contracts: %w", err)
	}
	return tmp, nil
}

// inDir runs f with dir as the working directory, so that file names in reports are relative to it (each
// function call runs in its own process: changing the working directory is safe).
func inDir[T any](dir string, f func() (T, error)) (T, error) {
	var zero T
	old, err := os.Getwd()
	if err != nil {
		return zero, err
	}
	if err := os.Chdir(dir); err != nil {
		return zero, err
	}
	defer os.Chdir(old) //nolint:errcheck // best effort; the process ends with the call
	return f()
}
