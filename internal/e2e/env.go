package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EnvFile is the one environment file the hack/ setup scripts write, under
// $GOLDENPATH_CACHE; its sections are also kept one per component under
// env.d/ (hack/lib.sh env_write).
const EnvFile = "env.sh"

// Cache is $GOLDENPATH_CACHE, default /var/cache/goldenpath.
func Cache() string {
	if c := os.Getenv("GOLDENPATH_CACHE"); c != "" {
		return c
	}
	return "/var/cache/goldenpath"
}

// Env reads the settings the setup scripts wrote: the GOLDENPATH_*
// variables of $GOLDENPATH_CACHE/env.sh and of its sections under env.d/
// (which win: env.sh is assembled from them; before them, the one file per
// component of the earlier layout, <component>/env.sh, still read). A
// GOLDENPATH_* variable set in the environment wins over all. Lines that are
// not `export NAME=VALUE` are ignored, and values are taken literally (no
// shell expansion).
func Env() map[string]string {
	env := map[string]string{}
	files := []string{filepath.Join(Cache(), EnvFile)}
	for _, c := range []string{"kind", "git", "kpack", "argocd", "dagger"} {
		files = append(files, filepath.Join(Cache(), c, EnvFile))
	}
	sections, _ := filepath.Glob(filepath.Join(Cache(), "env.d", "*.sh"))
	for _, f := range append(files, sections...) {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			line, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "export ")
			if !ok {
				continue
			}
			if k, v, ok := strings.Cut(line, "="); ok && strings.HasPrefix(k, "GOLDENPATH_") {
				env[k] = strings.Trim(v, `"`)
			}
		}
	}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "GOLDENPATH_") && v != "" {
			env[k] = v
		}
	}
	return env
}

// Settings returns Env, or an error saying which setup to run when it names
// no cluster (GOLDENPATH_KUBECONFIG and GOLDENPATH_KUBECTL).
func Settings() (map[string]string, error) {
	env := Env()
	if env["GOLDENPATH_KUBECONFIG"] == "" || env["GOLDENPATH_KUBECTL"] == "" {
		return nil, fmt.Errorf("no e2e cluster: neither GOLDENPATH_KUBECONFIG and GOLDENPATH_KUBECTL nor %s names one; run `bash hack/setup.sh && bash hack/setup.sh kind` (see README, \"End-to-end on kind\")", filepath.Join(Cache(), EnvFile))
	}
	return env, nil
}

// Require returns the values of keys from Env, or an error naming the
// missing ones and the setup that writes them.
func Require(setup string, keys ...string) (map[string]string, error) {
	env := Env()
	var missing []string
	for _, k := range keys {
		if env[k] == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s not set (in %s or the environment): run `%s`", strings.Join(missing, ", "), filepath.Join(Cache(), EnvFile), setup)
	}
	return env, nil
}

// Prefix starts the names of what the scenario tests create in shared
// places (registry repositories, namespaces, git repositories, Argo CD
// Applications): $GOLDENPATH_E2E_PREFIX, empty by default. Two people
// running the suites against one cluster and registry give different
// prefixes (e.g. GOLDENPATH_E2E_PREFIX=alice-).
func Prefix() string { return os.Getenv("GOLDENPATH_E2E_PREFIX") }
