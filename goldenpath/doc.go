// Package goldenpath is the importable facade of goldenpath, and its light
// part: load and validate AppDeploymentRequest contracts (Load, LoadFile,
// ValidatePaths, LoadRequests), render what the cluster needs (Render,
// RenderRequests, RenderPlatform) and write it as a GitOps tree
// (WriteTree). It links contract and render only: a program that
// validates or renders does not link Docker, pack, cosign, go-git, a
// Kubernetes client or cobra.
//
// The heavier work is in sub-packages, each costing only what it needs:
//
//   - goldenpath/build: Ship, the golden path of one application
//     (validate, build, publish, sign, attest, verify, SBOM check, pin);
//   - goldenpath/supplychain: key pairs, Sign, Verify, SBOM, Provenance;
//   - goldenpath/fleet: Plan, Rebase, the ClusterStack updater;
//   - goldenpath/cluster: Promote (and what is read from the cluster);
//   - goldenpath/output: the printers of the results, one set per result
//     type (text, json, github).
//
// Every call of this package and of its sub-packages takes the one
// [Option] type for its configuration (WithPlatform, WithConcurrency,
// WithImages, WithKeyPassword, WithOutput, the registry options), and a
// request struct or plain arguments for its data. Data comes in memory
// (bytes, []string, io.Reader, *rest.Config), never as a key file path or
// "-" for stdin: reading files and stdin is the caller's, as the
// goldenpath CLI (internal/cli) does. Contract files and folders, and the
// GitOps tree, are the exception: they are what the calls work on.
//
// The layers below can be used directly: contract (types, strict loading,
// validation, JSON Schema), render (pure manifest rendering) and pipeline
// (builds, registries, signing, rebasing).
package goldenpath
