// Package supplychain is the facade of goldenpath's supply chain: key
// pairs (GenerateKeys), signatures (Sign, Verify), buildpack SBOMs (SBOM)
// and signed SLSA provenance (Provenance) of images in their registries.
// It works air-gapped: cosign is used as a library, nothing goes to a
// transparency log and no TUF root is fetched; signatures and attestations
// sit next to the image in cosign's layout.
//
// Keys are bytes (PEM), never file paths: the caller reads and writes key
// files (the goldenpath CLI does, with mode 0600 for the private key).
// Configuration is goldenpath.Option: WithKeyPassword and the registry
// options (WithInsecureRegistries, WithCredentials, WithTransport, ...).
// The printers of the results are in print.go (SignOutput, VerifyOutput,
// SBOMOutput, ProvenanceOutput, KeysOutput).
package supplychain
