// Package pipeline runs the CI side of the golden path outside the cluster:
// build an application's image from source (Cloud Native Buildpacks through
// the pack library, or the Dockerfile fallback through the Docker engine),
// publish it, and report its digest so the GitOps tree can pin it.
//
// Each stage is a small interface (Builder) with implementations that can
// be swapped or wrapped; Build picks the one the contract asks for.
package pipeline
