package build

import (
	"fmt"
	"maps"
	"strings"

	"github.com/goldenpath-dev/goldenpath/contract"
	pbuild "github.com/goldenpath-dev/goldenpath/pipeline/build"
)

// PlatformFiles is the CNB platform directory (/platform) of a buildpack build that runs the lifecycle's
// creator itself, as the Dagger module does: env/<NAME> for the request's build env with the platform's
// build network on top (mirrors, proxy: see contract.Egress), and bindings/<name>/<file> for the CA
// bundles, whose PEM data the caller reads (the platform's caCertificates files name paths on the machine
// running goldenpath build; a Dagger function gets them as files). Paths are relative to /platform. `goldenpath
// build` gets the same through pack (platform env and bind-mounted bindings). A nil platform has no build network.
// A platform that names CA bundle files for the builder while no caBundles are given is a *CABundlesError at
// once: the build would otherwise run without the private CA and fail late, at its first TLS request.
func PlatformFiles(p *contract.Platform, builder string, appEnv map[string]string, caBundles [][]byte) (map[string][]byte, error) {
	env := maps.Clone(appEnv)
	if env == nil {
		env = map[string]string{}
	}
	if p != nil {
		be := p.BuildEnvironment(builder)
		if len(be.CAFiles) > 0 && len(caBundles) == 0 {
			return nil, &CABundlesError{Builder: builder, Files: be.CAFiles}
		}
		maps.Copy(env, be.Env)
	}
	return pbuild.PlatformFiles(env, caBundles)
}

// CheckSecretBindings checks the names of the Secrets given to a build outside the cluster against those the
// platform names for builder's builds (egress.mirrors[].credentialsSecret): each named must be given, none other
// (see Request.Bindings; the Dagger module's --secret-bindings).
func CheckSecretBindings(p *contract.Platform, builder string, given []string) error {
	return pbuild.CheckSecretBindings(p, builder, given)
}

// CABundlesError is a platform whose egress.caCertificates.bundles[].file entries name CA bundles on the
// caller's machine, given to a build that cannot read them (the Dagger module runs in the engine) without
// their contents.
type CABundlesError struct {
	// Builder is the platform's builder whose egress names the files.
	Builder string
	// Files are the bundles' paths, as the platform names them.
	Files []string
}

func (e *CABundlesError) Error() string {
	flags := make([]string, len(e.Files))
	for i, f := range e.Files {
		flags[i] = "--ca-bundle=" + f
	}
	return fmt.Sprintf("the platform names CA bundle files %s (egress.caCertificates.bundles[].file, builder %q), "+
		"which a build in the Dagger engine cannot read from your machine: pass each with --ca-bundle (%s)",
		strings.Join(e.Files, ", "), e.Builder, strings.Join(flags, " "))
}
