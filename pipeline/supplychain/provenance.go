package supplychain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/buildinfo"
	"github.com/goldenpath-dev/goldenpath/pipeline/cnb"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

// Provenance format: an in-toto Statement v1 carrying a SLSA Provenance v1
// predicate (the predicate kpack also writes for its builds), signed as a
// DSSE envelope and stored as a cosign attestation
// (sha256-<hex>.att tag).
const (
	// InTotoStatementType is the in-toto Statement v1 _type.
	InTotoStatementType = "https://in-toto.io/Statement/v1"
	// ProvenancePredicateType is SLSA Provenance v1.
	ProvenancePredicateType = "https://slsa.dev/provenance/v1"
	// SLSABuildTypeBuildpack and SLSABuildTypeDockerfile are the buildType of
	// goldenpath's provenance, for its two kinds of build. The
	// externalParameters they define are ProvenanceParameters.
	SLSABuildTypeBuildpack  = "https://goldenpath.io/slsa/build/buildpack/v1"
	SLSABuildTypeDockerfile = "https://goldenpath.io/slsa/build/dockerfile/v1"
	// ProvenanceBuilderID is runDetails.builder.id: the goldenpath build
	// command running outside the cluster.
	ProvenanceBuilderID = "https://goldenpath.io/goldenpath/build"
)

// Statement is an in-toto Statement v1 with a SLSA Provenance v1
// predicate.
type Statement struct {
	Type          string            `json:"_type"`
	Subject       []ResourceSubject `json:"subject"`
	PredicateType string            `json:"predicateType"`
	Predicate     Provenance        `json:"predicate"`
}

// ResourceSubject is an in-toto subject: an artifact by name and digest.
type ResourceSubject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Provenance is the SLSA Provenance v1 predicate.
type Provenance struct {
	BuildDefinition BuildDefinition `json:"buildDefinition"`
	RunDetails      RunDetails      `json:"runDetails"`
}

// BuildDefinition is SLSA's buildDefinition.
type BuildDefinition struct {
	BuildType            string               `json:"buildType"`
	ExternalParameters   ProvenanceParameters `json:"externalParameters"`
	InternalParameters   InternalParameters   `json:"internalParameters"`
	ResolvedDependencies []ResourceDescriptor `json:"resolvedDependencies"`
}

// ProvenanceParameters are the external parameters of a goldenpath build:
// what the application team asked for in its contract.
type ProvenanceParameters struct {
	Request ProvenanceRequest `json:"request"`
	Source  ProvenanceSource  `json:"source"`
	Build   ProvenanceBuild   `json:"build"`
}

// ProvenanceRequest names the AppDeploymentRequest built.
type ProvenanceRequest struct {
	ID          string `json:"id,omitempty"`
	Application string `json:"application"`
	Environment string `json:"environment"`
	Owner       string `json:"owner,omitempty"`
}

// ProvenanceSource is the contract's spec.source.git.
type ProvenanceSource struct {
	URL      string `json:"url"`
	Branch   string `json:"branch,omitempty"`
	Revision string `json:"revision,omitempty"`
	SubPath  string `json:"subPath,omitempty"`
}

// ProvenanceBuild is the contract's spec.build.
type ProvenanceBuild struct {
	Type       string            `json:"type"`
	Builder    string            `json:"builder,omitempty"`
	Env        map[string]string `json:"env,omitempty"`
	Dockerfile string            `json:"dockerfile,omitempty"`
	Context    string            `json:"context,omitempty"`
	Args       map[string]string `json:"args,omitempty"`
}

// InternalParameters are what the platform chose for the build.
type InternalParameters struct {
	Platform     string `json:"platform,omitempty"`
	BuilderImage string `json:"builderImage,omitempty"`
	RunImage     string `json:"runImage,omitempty"`
	StackID      string `json:"stackID,omitempty"`
}

// ResourceDescriptor is an in-toto ResourceDescriptor.
type ResourceDescriptor struct {
	Name        string            `json:"name,omitempty"`
	URI         string            `json:"uri,omitempty"`
	Digest      map[string]string `json:"digest,omitempty"`
	MediaType   string            `json:"mediaType,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// RunDetails is SLSA's runDetails.
type RunDetails struct {
	Builder    ProvenanceBuilder    `json:"builder"`
	Metadata   ProvenanceMetadata   `json:"metadata"`
	Byproducts []ResourceDescriptor `json:"byproducts,omitempty"`
}

// ProvenanceBuilder is SLSA's runDetails.builder.
type ProvenanceBuilder struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// ProvenanceMetadata is SLSA's runDetails.metadata.
type ProvenanceMetadata struct {
	InvocationID string     `json:"invocationId,omitempty"`
	StartedOn    *time.Time `json:"startedOn,omitempty"`
	FinishedOn   *time.Time `json:"finishedOn,omitempty"`
}

// ProvenanceInput is what NewProvenance is told about a build; the rest
// it reads from the image.
type ProvenanceInput struct {
	// Request is the contract built (required).
	Request *contract.AppDeploymentRequest
	// Platform names the platform whose builder was used.
	Platform *contract.Platform
	// BuilderImage names the builder image the build ran on (buildpack
	// builds), as the Docker engine knows it.
	BuilderImage string
	// Builder identifies it by digest (see BuilderIdentity); optional.
	Builder cnb.BuilderImageIdentity
	// SourceRevision is the commit the source folder was at (see
	// SourceRevision); empty when unknown.
	SourceRevision string
	// StartedOn and FinishedOn bound the build; zero when unknown.
	StartedOn, FinishedOn time.Time
	// InvocationID identifies this run (a CI job URL, for instance).
	InvocationID string
}

// NewProvenance describes how an image was built as an in-toto statement
// with a SLSA v1 provenance predicate. The image is read from its registry
// (config only): its digest is the subject; for buildpack builds the
// buildpacks and their versions come from the io.buildpacks.build.metadata
// label and the run image from io.buildpacks.lifecycle.metadata.
func NewProvenance(ctx context.Context, image string, in ProvenanceInput, opts ...registry.Option) (_ *Statement, err error) {
	if in.Request == nil {
		return nil, errors.New("provenance: no request")
	}
	o, _, digest, err := open(ctx, "provenance", image, opts)
	if err != nil {
		return nil, err
	}
	defer func() { err = o.finish(image, err) }()
	_, labels, err := o.labelled(ctx, "provenance", digest)
	if err != nil {
		return nil, err
	}
	var (
		lmd  *cnb.LifecycleMetadata
		sbom sbomLayerRef
	)
	if raw := labels[cnb.LabelLifecycleMetadata]; raw != "" {
		if lmd, err = cnb.ParseLifecycleMetadata(raw); err != nil {
			return nil, fmt.Errorf("provenance: %s: %w", digest, err)
		}
		if err := json.Unmarshal([]byte(raw), &sbom); err != nil {
			return nil, fmt.Errorf("provenance: %s: label %s: %w", digest, cnb.LabelLifecycleMetadata, err)
		}
	}
	bmd, err := cnb.ParseBuildMetadata(labels[cnb.LabelBuildMetadata])
	if err != nil {
		return nil, fmt.Errorf("provenance: %s: %w", digest, err)
	}
	if bmd == nil {
		bmd = &cnb.BuildMetadata{}
	}
	return provenanceStatement(digest, in, lmd, &sbom, bmd), nil
}

// provenanceStatement assembles the statement; lmd is nil for an image not
// built with buildpacks.
func provenanceStatement(digest name.Digest, in ProvenanceInput, lmd *cnb.LifecycleMetadata, sbom *sbomLayerRef, bmd *cnb.BuildMetadata) *Statement {
	r := in.Request
	b := r.Spec.Build
	params := ProvenanceParameters{
		Request: ProvenanceRequest{ID: r.ID, Application: r.Application, Environment: string(r.Environment), Owner: r.Owner},
		Source: ProvenanceSource{
			URL: r.Spec.Source.Git.URL, Branch: r.Spec.Source.Git.Branch,
			Revision: r.Spec.Source.Git.Revision, SubPath: r.Spec.Source.Git.SubPath,
		},
		Build: ProvenanceBuild{Type: string(b.Type), Env: b.Env},
	}
	buildType := SLSABuildTypeBuildpack
	internal := InternalParameters{BuilderImage: in.BuilderImage}
	if in.Platform != nil {
		internal.Platform = in.Platform.Name
	}
	if b.Type == contract.BuildTypeDockerfile {
		buildType = SLSABuildTypeDockerfile
		params.Build.Env = nil
		internal.BuilderImage = ""
		if d := b.Dockerfile; d != nil {
			params.Build.Dockerfile, params.Build.Context, params.Build.Args = d.Path, d.Context, d.Args
		}
	} else {
		params.Build.Builder = b.Builder
		if in.Platform != nil {
			if bld, ok := in.Platform.Builders[b.Builder]; ok {
				internal.RunImage, internal.StackID = bld.Stack.RunImage, bld.Stack.ID
			}
		}
	}

	var deps []ResourceDescriptor
	src := ResourceDescriptor{Name: "source", URI: gitURI(r.Spec.Source.Git)}
	if in.SourceRevision != "" {
		src.Digest = map[string]string{"gitCommit": in.SourceRevision}
	}
	deps = append(deps, src)
	if in.BuilderImage != "" && b.Type != contract.BuildTypeDockerfile {
		d := ResourceDescriptor{Name: "builder-image", URI: in.BuilderImage, Annotations: map[string]string{}}
		id := in.Builder
		if alg, hex, ok := strings.Cut(id.Digest, ":"); ok && id.Repository != "" {
			// The registry copy of the same image: repository and
			// manifest digest, as kpack records its builder.
			d.URI, d.Digest = id.Repository, map[string]string{alg: hex}
			d.Annotations["image"] = in.BuilderImage
		} else if alg, hex, ok := strings.Cut(id.ImageID, ":"); ok {
			// Only in the engine: the image ID is the digest of the
			// image's config, which names its layers.
			d.Digest = map[string]string{alg: hex}
			d.Annotations["digestOf"] = "image config (image ID)"
		}
		if id.ImageID != "" {
			d.Annotations["imageID"] = id.ImageID
		}
		if len(d.Annotations) == 0 {
			d.Annotations = nil
		}
		deps = append(deps, d)
	}
	if lmd != nil {
		if ri := runImageDescriptor(lmd); ri != nil {
			deps = append(deps, *ri)
		}
		for _, bp := range bmd.Buildpacks {
			deps = append(deps, ResourceDescriptor{
				Name:        "buildpack:" + bp.ID,
				URI:         "urn:cnb:buildpack:" + bp.ID + "@" + bp.Version,
				Annotations: map[string]string{"id": bp.ID, "version": bp.Version},
			})
		}
		for _, ext := range bmd.Extensions {
			deps = append(deps, ResourceDescriptor{
				Name: "extension:" + ext.ID, URI: "urn:cnb:extension:" + ext.ID + "@" + ext.Version,
				Annotations: map[string]string{"id": ext.ID, "version": ext.Version},
			})
		}
	}

	version := map[string]string{"goldenpath": goldenpathVersion()}
	if bmd.Launcher.Version != "" {
		version["lifecycle"] = bmd.Launcher.Version
	}
	run := RunDetails{
		Builder:  ProvenanceBuilder{ID: ProvenanceBuilderID, Version: version},
		Metadata: ProvenanceMetadata{InvocationID: in.InvocationID},
	}
	if !in.StartedOn.IsZero() {
		t := in.StartedOn.UTC().Truncate(time.Second)
		run.Metadata.StartedOn = &t
	}
	if !in.FinishedOn.IsZero() {
		t := in.FinishedOn.UTC().Truncate(time.Second)
		run.Metadata.FinishedOn = &t
	}
	if sbom != nil && sbom.SBOM != nil && sbom.SBOM.SHA != "" {
		if alg, hex, ok := strings.Cut(sbom.SBOM.SHA, ":"); ok {
			run.Byproducts = append(run.Byproducts, ResourceDescriptor{
				Name: "sbom-layer", Digest: map[string]string{alg: hex}, MediaType: "application/vnd.oci.image.layer.v1.tar",
				Annotations: map[string]string{"description": "diff ID of the image layer holding the buildpack SBOMs (goldenpath sbom)"},
			})
		}
	}

	hexDigest := strings.TrimPrefix(digest.DigestStr(), "sha256:")
	return &Statement{
		Type:          InTotoStatementType,
		Subject:       []ResourceSubject{{Name: digest.Context().Name(), Digest: map[string]string{"sha256": hexDigest}}},
		PredicateType: ProvenancePredicateType,
		Predicate: Provenance{
			BuildDefinition: BuildDefinition{
				BuildType: buildType, ExternalParameters: params, InternalParameters: internal, ResolvedDependencies: deps,
			},
			RunDetails: run,
		},
	}
}

// runImageDescriptor describes the run image from the lifecycle metadata:
// its reference (a digest reference when the image was exported to a
// registry) and the diff ID of its top layer, which rebase uses.
func runImageDescriptor(lmd *cnb.LifecycleMetadata) *ResourceDescriptor {
	ri := lmd.RunImage
	image := ri.Image
	if image == "" && lmd.Stack != nil {
		image = lmd.Stack.RunImage.Image
	}
	if ri.Reference == "" && image == "" {
		return nil
	}
	d := &ResourceDescriptor{Name: "run-image", URI: image, Annotations: map[string]string{}}
	if image != "" {
		d.Annotations["image"] = image
	}
	if ri.Reference != "" {
		d.Annotations["reference"] = ri.Reference
		if repo, dg, ok := strings.Cut(ri.Reference, "@"); ok {
			// The run image in the registry the app was exported to.
			d.URI = repo
			if alg, hex, ok := strings.Cut(dg, ":"); ok {
				d.Digest = map[string]string{alg: hex}
			}
		} else if alg, hex, ok := strings.Cut(ri.Reference, ":"); ok && alg == "sha256" {
			// An image exported to the Docker engine records the run
			// image's ID (config digest).
			d.Digest = map[string]string{alg: hex}
			d.Annotations["digestOf"] = "image config (image ID)"
		}
	}
	if ri.TopLayer != "" {
		d.Annotations["topLayer"] = ri.TopLayer
	}
	return d
}

// gitURI is the SLSA-style URI of a contract's source: git+<url>, with
// @<revision or branch> when known.
func gitURI(g contract.GitSource) string {
	if g.URL == "" {
		return ""
	}
	u := g.URL
	if !strings.HasPrefix(u, "git+") {
		u = "git+" + u
	}
	switch {
	case g.Revision != "":
		u += "@" + g.Revision
	case g.Branch != "":
		u += "@refs/heads/" + g.Branch
	}
	return u
}

// goldenpathVersion is the version of goldenpath in this binary, as the
// CLI's version command says it (also when goldenpath is a library of the
// binary, not its main module).
func goldenpathVersion() string { return buildinfo.Read().Version }
