// Package contract is the AppDeploymentRequest and Platform contract: the
// types, strict decoding, defaults, validation, the platform's admission
// policy and the JSON Schema. It is light: no Docker, pack, cosign or
// Kubernetes client.
package contract
