// Package build builds an application's image from source: Cloud Native
// Buildpacks through the pack library, or the Dockerfile fallback through
// the Docker engine; it publishes it with the registry package's keychain
// and reports its digest so that GitOps can pin it. Every path a contract
// names in the source tree is resolved inside it ([Source]); builds get
// the host network only when the platform's build.network asks for it.
package build
