package build

import (
	"maps"

	"github.com/goldenpath-dev/goldenpath/contract"
	pbuild "github.com/goldenpath-dev/goldenpath/pipeline/build"
)

// PlatformFiles is the CNB platform directory (/platform) of a buildpack build that runs the lifecycle's
// creator itself, as the Dagger module does: env/<NAME> for the request's build env with the platform's
// build network on top (mirrors, proxy: see contract.Egress), and bindings/<name>/<file> for the CA
// bundles, whose PEM data the caller reads (the platform's caCertificates files name paths on the machine
// running goldenpath build; a Dagger function gets them as files). Paths are relative to /platform. `goldenpath
// build` gets the same through pack (platform env and bind-mounted bindings). A nil platform has no build network.
func PlatformFiles(p *contract.Platform, builder string, appEnv map[string]string, caBundles [][]byte) (map[string][]byte, error) {
	env := maps.Clone(appEnv)
	if env == nil {
		env = map[string]string{}
	}
	if p != nil {
		maps.Copy(env, p.BuildEnvironment(builder).Env)
	}
	return pbuild.PlatformFiles(env, caBundles)
}
