package pipeline

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"maps"
	"os"
	"path/filepath"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// BindingsMount is where CNB bindings are mounted in the build container
// (the CNB platform's /platform/bindings).
const BindingsMount = "/platform/bindings"

// buildNetwork is the platform's build network for one pack build: the
// platform environment and the bindings to mount.
type buildNetwork struct {
	// Env is the request's build env with the platform's on top (the
	// platform's mirrors and proxy win over an application's env).
	Env map[string]string
	// Volumes are pack volumes "<host dir>:/platform/bindings/<name>:ro".
	Volumes []string
	dir     string
}

// Close removes the staged bindings.
func (n *buildNetwork) Close() {
	if n.dir != "" {
		os.RemoveAll(n.dir)
	}
}

// newBuildNetwork stages the build network of builder for a local build:
// each CA bundle file becomes a binding of type ca-certificates (read by
// the goldenpath/ca-certificates buildpack) in a temporary directory, and
// the mirrors and proxy become platform environment variables. Files that
// hold no PEM certificate are refused, naming the platform field.
func newBuildNetwork(p *contract.Platform, builder string, appEnv map[string]string) (*buildNetwork, error) {
	be := p.BuildEnvironment(builder)
	n := &buildNetwork{Env: map[string]string{}}
	maps.Copy(n.Env, appEnv)
	maps.Copy(n.Env, be.Env)
	if len(be.CAFiles) == 0 {
		return n, nil
	}
	dir, err := os.MkdirTemp("", "goldenpath-bindings-")
	if err != nil {
		return nil, err
	}
	n.dir = dir
	// The build runs as the builder's user: the bindings must be readable by it.
	if err := os.Chmod(dir, 0o755); err != nil {
		n.Close()
		return nil, err
	}
	for i, file := range be.CAFiles {
		pemData, err := readCABundle(file)
		if err != nil {
			n.Close()
			return nil, fmt.Errorf("platform buildNetwork.caCertificates: %w", err)
		}
		name := fmt.Sprintf("goldenpath-ca-%d", i+1)
		bdir := filepath.Join(dir, name)
		if err := os.Mkdir(bdir, 0o755); err != nil {
			n.Close()
			return nil, err
		}
		for f, data := range map[string][]byte{"type": []byte(contract.BindingTypeCA), "provider": []byte("goldenpath"), "ca.pem": pemData} {
			if err := os.WriteFile(filepath.Join(bdir, f), data, 0o644); err != nil {
				n.Close()
				return nil, err
			}
		}
		n.Volumes = append(n.Volumes, bdir+":"+BindingsMount+"/"+name+":ro")
	}
	return n, nil
}

// readCABundle reads a PEM file and keeps its certificates only (no private
// key ever reaches a build by mistake).
func readCABundle(file string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading CA bundle: %w", err)
	}
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
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
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
