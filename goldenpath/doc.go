// Package goldenpath is the importable facade of goldenpath: load and
// validate AppDeploymentRequest contracts, render what the cluster needs,
// and run the build pipeline. Platform tools (Backstage plugins, operators,
// CI steps) import this package; the goldenpath CLI is flag parsing plus one
// call into it.
//
// The layers below it can be used directly: contract (types, strict
// loading, validation, JSON Schema), render (pure manifest rendering) and
// pipeline (builds, publishing, signing, rebasing).
package goldenpath
