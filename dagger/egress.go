package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/goldenpath-dev/goldenpath/dagger/internal/dagger"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
)

// withEgress writes the creator's /platform for the platform's build network (contract.Egress): the
// platform env (env NAME=VALUE first, the platform's mirrors and proxy on top) and the CA bundles as bindings of
// type ca-certificates, as `goldenpath build` passes them to pack (see build.PlatformFiles). The CA
// bundles are files given to the function: the platform's caCertificates name paths on the caller's machine.
func withEgress(ctx context.Context, ctr *dagger.Container, owner string, platform *dagger.File, builderName string,
	caBundle []*dagger.File, env []string) (*dagger.Container, error) {
	if platform == nil && len(caBundle) == 0 && len(env) == 0 {
		return ctr, nil
	}
	appEnv := map[string]string{}
	for _, e := range env {
		k, v, ok := strings.Cut(e, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("env %q: want NAME=VALUE", e)
		}
		appEnv[k] = v
	}
	var bundles [][]byte
	for _, f := range caBundle {
		s, err := f.Contents(ctx)
		if err != nil {
			return nil, err
		}
		bundles = append(bundles, []byte(s))
	}
	var files map[string][]byte
	var err error
	if platform != nil {
		tmp, err := os.MkdirTemp("", "platform-")
		if err != nil {
			return nil, err
		}
		path := filepath.Join(tmp, "platform.yaml")
		if _, err := platform.Export(ctx, path); err != nil {
			return nil, fmt.Errorf("export platform file: %w", err)
		}
		p, err := goldenpath.LoadPlatformFile(path)
		if err != nil {
			return nil, err
		}
		files, err = build.PlatformFiles(p, builderName, appEnv, bundles)
		if err != nil {
			return nil, err
		}
	} else if files, err = build.PlatformFiles(nil, builderName, appEnv, bundles); err != nil {
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		ctr = ctr.WithNewFile("/platform/"+name, string(files[name]), dagger.ContainerWithNewFileOpts{Owner: owner, Permissions: 0o644})
	}
	return ctr, nil
}
