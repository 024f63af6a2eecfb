package contract

import "strings"

// ImageRepositoryOn is the one rule for where a request's image lives:
// REGISTRY/ENVIRONMENT/APPLICATION, on registry when it is not empty (a
// CI's local registry, a build's --publish), else on the platform's
// registry.
func (p *Platform) ImageRepositoryOn(registry string, r *AppDeploymentRequest) string {
	if registry == "" {
		registry = p.Registry
	}
	return strings.TrimSuffix(registry, "/") + "/" + string(r.Environment) + "/" + r.Application
}
