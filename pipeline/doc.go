// Package pipeline holds the CI side of the golden path, one package per
// job (this package itself has no code):
//
//   - pipeline/registry: the one registry room (options, plain-HTTP rule,
//     go-containerregistry with a circuit breaker and request statistics,
//     authentication errors);
//   - pipeline/cnb: Cloud Native Buildpacks label types;
//   - pipeline/build: building an app's image (pack, Dockerfile) from a
//     source tree whose paths never leave it;
//   - pipeline/supplychain: keys, signatures, SBOMs, SLSA provenance;
//   - pipeline/fleet: plan, rebase and stack updates across many apps;
//   - pipeline/kube: the cluster clients.
package pipeline
