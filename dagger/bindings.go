package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/goldenpath-dev/goldenpath/dagger/internal/dagger"
	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
)

// Secret bindings: the Secrets a platform names for builds (egress.mirrors[].credentialsSecret: a mirror that
// wants credentials) reach the module as one Dagger secret, --secret-bindings, a JSON object by Secret name of its
// keys, e.g. {"corp-maven": {"username": "ci", "password": "..."}} (file://PATH or env://VAR); each key is mounted
// as a secret file at /platform/bindings/NAME/KEY of the creator, where kpack mounts the Secret and
// `goldenpath build --binding` the folder. They are checked against the platform before the build: each Secret it
// names must be given, with a username and a password, and no other.

// secretBindings are the Secrets' keys by Secret name.
type secretBindings map[string]map[string]string

// readSecretBindings reads the --secret-bindings secret (nil: none).
func readSecretBindings(ctx context.Context, s *dagger.Secret) (secretBindings, error) {
	if s == nil {
		return nil, nil
	}
	text, err := s.Plaintext(ctx)
	if err != nil {
		return nil, err
	}
	var b secretBindings
	if err := json.Unmarshal([]byte(text), &b); err != nil {
		// (json's errors may quote a character of the secret: only the offset of a syntax error is kept)
		where := ""
		var se *json.SyntaxError
		if errors.As(err, &se) {
			where = fmt.Sprintf(" (syntax error at byte %d)", se.Offset)
		}
		return nil, fmt.Errorf("--secret-bindings: want a JSON object {\"SECRET\": {\"username\": ..., \"password\": ...}}%s", where)
	}
	for _, name := range slices.Sorted(maps.Keys(b)) {
		for _, key := range slices.Sorted(maps.Keys(b[name])) {
			if key != "username" && key != "password" {
				return nil, fmt.Errorf("--secret-bindings: %q: key %q: a mirror's credentials Secret holds username and password only", name, key)
			}
		}
		for _, key := range []string{"username", "password"} {
			if b[name][key] == "" {
				return nil, fmt.Errorf("--secret-bindings: %q has no %s (a mirror's credentials Secret holds username and password)", name, key)
			}
		}
	}
	return b, nil
}

// check compares the bindings with the Secrets the platform (the default one without --platform) names for
// builder's builds.
func (b secretBindings) check(ctx context.Context, platform *dagger.File, builder string) error {
	p, err := loadPlatform(ctx, platform)
	if err != nil {
		return err
	}
	return build.CheckSecretBindings(p, builder, slices.Collect(maps.Keys(b)))
}

// mount mounts each key as a secret file of the creator's /platform/bindings, readable by owner.
func (b secretBindings) mount(ctr *dagger.Container, owner string) *dagger.Container {
	for _, name := range slices.Sorted(maps.Keys(b)) {
		for _, key := range slices.Sorted(maps.Keys(b[name])) {
			ctr = ctr.WithMountedSecret("/platform/bindings/"+name+"/"+key,
				dag.SetSecret("goldenpath-binding-"+name+"-"+key, b[name][key]), dagger.ContainerWithMountedSecretOpts{Owner: owner})
		}
	}
	return ctr
}
