// Package build runs the golden path for one application: Ship validates
// its contract, builds the image (Cloud Native Buildpacks through pack, or
// its Dockerfile with the Docker engine), publishes it, signs it and
// attests its SLSA provenance, verifies both, checks its SBOM and pins the
// GitOps tree to the digest. The goldenpath CLI's `build` and the Dagger
// module's `ship` both call Ship, so they run the same steps.
//
// Configuration is goldenpath.Option (WithPlatform, WithKeyPassword,
// WithOutput, the registry options); keys are bytes (PEM), never paths.
// Output prints a Result.
package build
