// Package supplychain signs and verifies images (cosign's formats, no
// transparency log), reads their buildpack SBOMs within bounds, and makes,
// attests and verifies SLSA provenance. Registry access is the registry
// package's options.
package supplychain
