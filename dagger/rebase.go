package main

import (
	"context"
	"errors"

	"github.com/goldenpath-dev/goldenpath/dagger/internal/dagger"
	"github.com/goldenpath-dev/goldenpath/goldenpath/fleet"
)

// Rebase swaps the run image under app images in their registry (no rebuild; a manifest per image), like
// `goldenpath rebase IMAGE...`, and returns the JSON report. Per-image failures are in the report and fail the call.
// The engine reaches the goldenpath registry as GATEWAY:PORT: name it with --insecure-registry (plain HTTP for that
// host only).
func (m *Goldenpath) Rebase(
	ctx context.Context,
	// App image references (tags or digests).
	image []string,
	// Run image to rebase onto (default: the one each image's metadata names, re-read from the registry).
	// +optional
	runImage string,
	// Report what would change without writing anything.
	// +optional
	dryRun bool,
	// Rebase where the lifecycle would need -force.
	// +optional
	force bool,
	// Registries reached over plain HTTP (repeatable).
	// +optional
	insecureRegistry []string,
	// Docker config.json (what docker login writes) as a secret, e.g. file://$HOME/.docker/config.json: credentials per registry host.
	// +optional
	dockerConfig *dagger.Secret,
) (string, error) {
	if len(image) == 0 {
		return "", errors.New("no --image given")
	}
	opts, err := registryOptions(ctx, "", "", nil, dockerConfig, insecureRegistry)
	if err != nil {
		return "", err
	}
	report, err := fleet.Rebase(ctx, fleet.RebaseRequest{
		Request: fleet.Request{Images: image, RunImage: runImage},
		DryRun:  dryRun, Force: force,
	}, opts...)
	if err != nil {
		return "", err
	}
	out, jerr := toJSON(report)
	if jerr != nil {
		return "", jerr
	}
	if err := report.Err(); err != nil {
		return "", errors.New(out + err.Error())
	}
	return out, nil
}
