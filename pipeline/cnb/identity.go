package cnb

// BuilderImageIdentity identifies a builder image by digest: what
// build.BuilderIdentity finds and SLSA provenance records.
type BuilderImageIdentity struct {
	// ImageID is the image ID (config digest) in the Docker engine.
	ImageID string `json:"imageID,omitempty"`
	// Repository and Digest locate the same image in a registry (manifest
	// digest); empty when no registry holds it.
	Repository string `json:"repository,omitempty"`
	Digest     string `json:"digest,omitempty"`
}
