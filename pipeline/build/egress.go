package build

import (
	"bytes"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// BindingsMount is where CNB bindings are mounted in the build container
// (the CNB platform's /platform/bindings).
const BindingsMount = "/platform/bindings"

// LifecycleCertsDir is where each CA bundle is also mounted (as
// goldenpath-ca-N.pem) in the build container: the lifecycle, a Go program,
// adds every file of /etc/ssl/certs to the roots it trusts, so its own
// registry traffic (reading the run image, pushing the app image) trusts
// the platform's CA too; a registry behind the corporate CA needs no
// builder image with the CA baked in.
const LifecycleCertsDir = "/etc/ssl/certs"

// egress is the platform's build network for one pack build: the
// platform environment and the bindings to mount.
type egress struct {
	// Env is the request's build env with the platform's on top (the
	// platform's mirrors and proxy win over an application's env).
	Env map[string]string
	// Volumes are pack volumes of the staged bindings:
	// "<dir>:/platform/bindings/<name>:ro" each, and
	// "<dir>/ca.pem:/etc/ssl/certs/<name>.pem:ro" per CA bundle.
	Volumes []string
	dir     string
}

// Close removes the staged bindings.
func (n *egress) Close() {
	if n.dir != "" {
		os.RemoveAll(n.dir)
	}
}

// newEgress stages the build network of builder for a local build:
// each CA bundle file becomes a binding of type ca-certificates (read by
// the goldenpath/ca-certificates buildpack) in a temporary directory, each
// Secret the build network names (a mirror's credentialsSecret) a binding
// with the username and password read from the folder given for it, and
// the mirrors and proxy become platform environment variables. Files that
// hold no PEM certificate are refused, naming the platform field, as are
// missing or unexpected Secret folders (see CheckSecretBindings).
func newEgress(p *contract.Platform, builder string, appEnv map[string]string, secretBindings map[string]string) (*egress, error) {
	be := p.BuildEnvironment(builder)
	n := &egress{Env: map[string]string{}}
	maps.Copy(n.Env, appEnv)
	maps.Copy(n.Env, be.Env)
	if err := checkSecretBindings(be, builder, slices.Collect(maps.Keys(secretBindings))); err != nil {
		return nil, err
	}
	// Both kinds of bindings are staged: only what the build may see is mounted (a CA bundle's certificates, a
	// Secret's username and password), readable by the build's user (the builder's, not this process's).
	bindings := map[string]map[string][]byte{}
	if len(be.CAFiles) > 0 {
		var bundles [][]byte
		for _, file := range be.CAFiles {
			data, err := os.ReadFile(file)
			if err != nil {
				return nil, fmt.Errorf("platform egress.caCertificates: reading CA bundle: %w", err)
			}
			bundles = append(bundles, data)
		}
		ca, err := CABindings(bundles)
		if err != nil {
			return nil, fmt.Errorf("platform egress.caCertificates: %w", err)
		}
		maps.Copy(bindings, ca)
	}
	for _, name := range slices.Sorted(maps.Keys(secretBindings)) {
		if _, clash := bindings[name]; clash {
			return nil, fmt.Errorf("binding %s: the name of one of goldenpath's CA bindings: name the Secret otherwise", name)
		}
		keys, err := readSecretFolder(name, secretBindings[name])
		if err != nil {
			return nil, err
		}
		bindings[name] = keys
	}
	if len(bindings) == 0 {
		return n, nil
	}
	dir, err := os.MkdirTemp("", "goldenpath-bindings-")
	if err != nil {
		return nil, err
	}
	n.dir = dir
	if err := os.Chmod(dir, 0o755); err != nil {
		n.Close()
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(bindings)) {
		bdir := filepath.Join(dir, name)
		if err := os.Mkdir(bdir, 0o755); err != nil {
			n.Close()
			return nil, err
		}
		for f, data := range bindings[name] {
			if err := os.WriteFile(filepath.Join(bdir, f), data, 0o644); err != nil {
				n.Close()
				return nil, err
			}
		}
		n.Volumes = append(n.Volumes, bdir+":"+BindingsMount+"/"+name+":ro")
		if _, ca := bindings[name]["ca.pem"]; ca {
			n.Volumes = append(n.Volumes, filepath.Join(bdir, "ca.pem")+":"+LifecycleCertsDir+"/"+name+".pem:ro")
		}
	}
	return n, nil
}

// readSecretFolder reads the keys of Secret name from the folder given for it: the files username and password,
// nothing else of the folder.
func readSecretFolder(name, folder string) (map[string][]byte, error) {
	keys := map[string][]byte{}
	for _, key := range secretBindingKeys {
		path := filepath.Join(folder, key)
		info, err := os.Stat(path)
		if err != nil || !info.Mode().IsRegular() {
			return nil, fmt.Errorf("binding %s: %s has no file %s (the Secret's keys username and password, one file each)", name, folder, key)
		}
		if keys[key], err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("binding %s: %w", name, err)
		}
	}
	return keys, nil
}

// secretBindingKeys are the keys of a mirror's credentials Secret (files of its binding).
var secretBindingKeys = []string{"username", "password"}

// CheckSecretBindings checks the Secrets given to a build that runs outside the cluster (by name) against those
// the platform names for builder's builds: the mirrors' credentialsSecret, which the buildpacks read as bindings
// of that name. Each one named must be given; one not named is refused (nothing else may be mounted where the
// platform's bindings go).
func CheckSecretBindings(p *contract.Platform, builder string, given []string) error {
	return checkSecretBindings(p.BuildEnvironment(builder), builder, given)
}

func checkSecretBindings(be contract.BuildEnvironment, builder string, given []string) error {
	named := be.MirrorCredentials // Secret -> the variable that names it
	for _, name := range slices.Sorted(slices.Values(given)) {
		if _, ok := named[name]; !ok {
			return fmt.Errorf("binding %s: the platform names no Secret %s for the builds of builder %q (egress.mirrors[].credentialsSecret): drop it", name, name, builder)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(named)) {
		if !slices.Contains(given, name) {
			return fmt.Errorf("platform egress.mirrors: %s names the Secret %s, whose username and password a build outside the cluster must be given: goldenpath build --binding %s=DIR (DIR holding the files username and password); the Dagger module: --secret-bindings (a JSON secret {%q: {\"username\": ..., \"password\": ...}})", named[name], name, name, name)
		}
	}
	return nil
}

// CABindings lays out CA bundles (PEM data) as CNB bindings of type
// ca-certificates, by binding name (goldenpath-ca-1, ...) then file name
// (type, provider, ca.pem), as the goldenpath/ca-certificates buildpack
// reads them below /platform/bindings. Only the certificates of each bundle
// are kept (never a private key that slipped into the file); a bundle
// without any is refused. The pack path mounts them; the Dagger module
// writes them into the creator's /platform (see PlatformFiles).
func CABindings(bundles [][]byte) (map[string]map[string][]byte, error) {
	out := map[string]map[string][]byte{}
	for i, data := range bundles {
		certs, err := pemCertificates(data)
		if err != nil {
			return nil, fmt.Errorf("CA bundle %d: %w", i+1, err)
		}
		out[fmt.Sprintf("goldenpath-ca-%d", i+1)] = map[string][]byte{
			"type": []byte(contract.BindingTypeCA), "provider": []byte("goldenpath"), "ca.pem": certs,
		}
	}
	return out, nil
}

// PlatformFiles is the CNB platform directory of a build that has no
// volumes (the Dagger module runs the creator in a container it makes):
// env/<NAME> for each platform environment variable and
// bindings/<name>/<file> for the CA bundles, by path relative to /platform.
func PlatformFiles(env map[string]string, caBundles [][]byte) (map[string][]byte, error) {
	files := map[string][]byte{}
	for k, v := range env {
		files["env/"+k] = []byte(v)
	}
	bindings, err := CABindings(caBundles)
	if err != nil {
		return nil, err
	}
	for name, b := range bindings {
		for f, data := range b {
			files["bindings/"+name+"/"+f] = data
		}
	}
	return files, nil
}

// pemCertificates keeps the certificates of PEM data (no private key ever
// reaches a build by mistake).
func pemCertificates(data []byte) ([]byte, error) {
	var out bytes.Buffer
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			if err := pem.Encode(&out, &pem.Block{Type: b.Type, Bytes: b.Bytes}); err != nil {
				return nil, err
			}
		}
	}
	if out.Len() == 0 {
		return nil, errors.New("holds no PEM certificate")
	}
	return out.Bytes(), nil
}

// proxyBuildArgs passes the platform's build proxy to a Dockerfile build as
// Docker's predefined proxy build arguments, which are not kept in the
// image's history or config: the proxy reaches RUN steps, not the image.
func proxyBuildArgs(p *contract.Platform, builder string) []string {
	var args []string
	env := p.BuildEnvironment(builder).Env
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"} {
		if v, ok := env[k]; ok {
			args = append(args, "--build-arg", k+"="+v)
		}
	}
	return args
}
