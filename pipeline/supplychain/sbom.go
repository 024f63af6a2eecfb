package supplychain

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goldenpath-dev/goldenpath/pipeline/cnb"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// SBOM formats, as named in the lifecycle's file names
// (sbom.<format>.json).
const (
	SBOMFormatCycloneDX = "cdx"
	SBOMFormatSPDX      = "spdx"
	SBOMFormatSyft      = "syft"
	// SBOMFormatLegacy is the lifecycle's sbom.legacy.json: the
	// unstructured bill of materials of older buildpack APIs.
	SBOMFormatLegacy = "legacy"
)

// ErrNoSBOM is wrapped by ReadSBOM's error when the image carries no
// buildpack SBOM: not built by Cloud Native Buildpacks (a Dockerfile
// build), or built by buildpacks that wrote none.
var ErrNoSBOM = errors.New("no buildpack SBOM")

// Bounds on what ReadSBOM reads from an image, so that a small hostile
// layer (gigabytes of zeros compress to megabytes) cannot exhaust memory:
// an SBOM layer holding more files, a larger file, or more bytes in all
// (uncompressed, every entry counted) is refused as soon as the bound is
// crossed, without reading the rest.
const (
	MaxSBOMFiles      = 1024
	MaxSBOMFileBytes  = 16 << 20
	MaxSBOMLayerBytes = 128 << 20
)

// SBOM is the software bill of materials a CNB image carries: the files
// the buildpacks wrote for their launch layers, which the lifecycle
// exports in one layer of the image (layers/sbom/launch/...).
type SBOM struct {
	// Image is the reference as given.
	Image string `json:"image"`
	// Digest is the image's manifest digest.
	Digest string `json:"digest"`
	// Layer is the diff ID of the SBOM layer.
	Layer string `json:"layer"`
	// Files are the SBOM documents, sorted by path.
	Files []SBOMFile `json:"files"`
}

// SBOMFile is one SBOM document of the SBOM layer.
type SBOMFile struct {
	// Path is the file's path below layers/sbom, such as
	// launch/goldenpath_go/app/sbom.cdx.json.
	Path string `json:"path"`
	// Buildpack is the ID of the buildpack that wrote it (slashes
	// restored when the image names the buildpack); empty for the
	// lifecycle's legacy file.
	Buildpack string `json:"buildpack,omitempty"`
	// BuildpackVersion is the buildpack's version, from the image's
	// io.buildpacks.build.metadata label.
	BuildpackVersion string `json:"buildpackVersion,omitempty"`
	// Layer is the buildpack layer the SBOM describes; empty for an SBOM
	// of the buildpack as a whole.
	Layer string `json:"layer,omitempty"`
	// Format is cdx (CycloneDX), spdx, syft or legacy.
	Format string `json:"format"`
	// Components are the packages listed, in document order.
	Components []SBOMComponent `json:"components"`
	// ParseError is set when the document could not be read as its
	// format; Components is then empty.
	ParseError string `json:"parseError,omitempty"`
	// Data is the document as stored in the image.
	Data []byte `json:"-"`
}

// SBOMComponent is one package an SBOM lists.
type SBOMComponent struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	// Type is the format's package type (library, application, go-module...).
	Type string `json:"type,omitempty"`
	// PURL is the package URL, when the document gives one.
	PURL string `json:"purl,omitempty"`
}

// sbomLayerRef is the sbom field of io.buildpacks.lifecycle.metadata: the
// diff ID of the layer holding the launch SBOMs.
type sbomLayerRef struct {
	SBOM *struct {
		SHA string `json:"sha"`
	} `json:"sbom,omitempty"`
}

// ReadSBOM reads the buildpack SBOMs of a CNB image from its registry. It
// fetches the image's config, finds the SBOM layer named by the
// io.buildpacks.lifecycle.metadata label and downloads that layer only.
// An image without that layer (a Dockerfile build) gives an error wrapping
// ErrNoSBOM.
func ReadSBOM(ctx context.Context, image string, opts ...registry.Option) (_ *SBOM, err error) {
	o, _, digest, err := open(ctx, "sbom", image, opts)
	if err != nil {
		return nil, err
	}
	defer func() { err = o.finish(image, err) }()
	img, labels, err := o.labelled(ctx, "sbom", digest)
	if err != nil {
		return nil, err
	}
	raw, ok := labels[cnb.LabelLifecycleMetadata]
	if !ok || raw == "" {
		return nil, fmt.Errorf("sbom: %s has no %s label: it was not built with Cloud Native Buildpacks (a Dockerfile build?), so it carries no buildpack SBOM: %w", image, cnb.LabelLifecycleMetadata, ErrNoSBOM)
	}
	var lmd sbomLayerRef
	if err := json.Unmarshal([]byte(raw), &lmd); err != nil {
		return nil, fmt.Errorf("sbom: %s: label %s: %w", digest, cnb.LabelLifecycleMetadata, err)
	}
	if lmd.SBOM == nil || lmd.SBOM.SHA == "" {
		return nil, fmt.Errorf("sbom: %s was built with buildpacks, but its %s label names no SBOM layer (its buildpacks wrote no SBOM for their launch layers): %w", image, cnb.LabelLifecycleMetadata, ErrNoSBOM)
	}
	bmd, err := cnb.ParseBuildMetadata(labels[cnb.LabelBuildMetadata])
	if err != nil {
		return nil, fmt.Errorf("sbom: %s: %w", digest, err)
	}
	var buildpacks []cnb.BuildpackInfo
	if bmd != nil {
		buildpacks = bmd.Buildpacks
	}
	diffID, err := v1.NewHash(lmd.SBOM.SHA)
	if err != nil {
		return nil, fmt.Errorf("sbom: %s: SBOM layer %q: %w", digest, lmd.SBOM.SHA, err)
	}
	layer, err := img.LayerByDiffID(diffID)
	if err != nil {
		return nil, fmt.Errorf("sbom: %s: SBOM layer %s: %w", digest, diffID, err)
	}
	if size, err := layer.Size(); err == nil && size > MaxSBOMLayerBytes {
		return nil, fmt.Errorf("sbom: %s: SBOM layer %s is %d bytes compressed, more than the %d an SBOM layer may have: refusing to read it", digest, diffID, size, MaxSBOMLayerBytes)
	}
	rc, err := layer.Uncompressed()
	if err != nil {
		return nil, fmt.Errorf("sbom: %s: downloading SBOM layer %s: %w", digest, diffID, o.explain(err, digest))
	}
	defer rc.Close()
	files, err := readSBOMLayer(&cappedReader{r: rc, left: MaxSBOMLayerBytes}, buildpacks)
	if err != nil {
		return nil, fmt.Errorf("sbom: %s: SBOM layer %s: %w", digest, diffID, err)
	}
	return &SBOM{Image: image, Digest: digest.DigestStr(), Layer: diffID.String(), Files: files}, nil
}

// readSBOMLayer reads the SBOM documents of an SBOM layer's tar stream.
// The lifecycle stores them as
//
//	layers/sbom/launch/<escaped buildpack id>/<layer>/sbom.<format>.json
//	layers/sbom/launch/<escaped buildpack id>/sbom.<format>.json
//	layers/sbom/launch/sbom.legacy.json
//
// where the escaped ID has its slashes replaced by underscores.
func readSBOMLayer(r io.Reader, buildpacks []cnb.BuildpackInfo) ([]SBOMFile, error) {
	byEscaped := map[string]cnb.BuildpackInfo{}
	for _, bp := range buildpacks {
		byEscaped[strings.ReplaceAll(bp.ID, "/", "_")] = bp
	}
	var out []SBOMFile
	seen := map[string]string{} // clean path -> entry name
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading tar: %w", err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		rel, ok := sbomPath(hdr.Name)
		if !ok {
			continue
		}
		base := path.Base(rel)
		format, ok := sbomFormat(base)
		if !ok {
			continue
		}
		if first, dup := seen[rel]; dup {
			return nil, fmt.Errorf("two entries, %q and %q, are both the file %s: refusing an ambiguous SBOM layer", first, hdr.Name, rel)
		}
		seen[rel] = hdr.Name
		if len(out) == MaxSBOMFiles {
			return nil, fmt.Errorf("more than %d SBOM files: refusing the layer", MaxSBOMFiles)
		}
		if hdr.Size > MaxSBOMFileBytes {
			return nil, fmt.Errorf("%s: %d bytes, more than the %d an SBOM file may have: refusing the layer", rel, hdr.Size, MaxSBOMFileBytes)
		}
		data, err := io.ReadAll(io.LimitReader(tr, MaxSBOMFileBytes+1))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", rel, err)
		}
		if len(data) > MaxSBOMFileBytes {
			return nil, fmt.Errorf("%s: more than the %d bytes an SBOM file may have: refusing the layer", rel, MaxSBOMFileBytes)
		}
		f := SBOMFile{Path: rel, Format: format, Data: data}
		// rel is launch/<bp>/<layer>/file, launch/<bp>/file or launch/file.
		parts := strings.Split(rel, "/")
		if len(parts) >= 3 {
			f.Buildpack = parts[1]
			if bp, ok := byEscaped[parts[1]]; ok {
				f.Buildpack, f.BuildpackVersion = bp.ID, bp.Version
			} else if parts[1] == "buildpacksio_lifecycle" {
				f.Buildpack = "buildpacksio/lifecycle"
			}
			if len(parts) >= 4 {
				f.Layer = strings.Join(parts[2:len(parts)-1], "/")
			}
		}
		f.Components, err = sbomComponents(format, data)
		if err != nil {
			f.ParseError = err.Error()
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// cappedReader fails once more than left bytes were read.
type cappedReader struct {
	r    io.Reader
	left int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, fmt.Errorf("more than %d bytes uncompressed, more than an SBOM layer may have: refusing the rest", MaxSBOMLayerBytes)
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// sbomPath returns a tar entry's path below layers/sbom (launch/...), or
// false when the entry is not under it or is not a clean relative path.
func sbomPath(name string) (string, bool) {
	name = strings.TrimPrefix(path.Clean("/"+strings.TrimPrefix(name, "./")), "/")
	const prefix = "layers/sbom/"
	if !strings.HasPrefix(name, prefix) {
		return "", false
	}
	rel := strings.TrimPrefix(name, prefix)
	if rel == "" || strings.Contains(rel, "..") {
		return "", false
	}
	return rel, true
}

// sbomFormat returns the format of an SBOM file name (sbom.cdx.json,
// sbom.spdx.json, sbom.syft.json, sbom.legacy.json).
func sbomFormat(base string) (string, bool) {
	switch base {
	case "sbom.cdx.json":
		return SBOMFormatCycloneDX, true
	case "sbom.spdx.json":
		return SBOMFormatSPDX, true
	case "sbom.syft.json":
		return SBOMFormatSyft, true
	case "sbom.legacy.json":
		return SBOMFormatLegacy, true
	}
	return "", false
}

// sbomComponents lists the packages of an SBOM document. CycloneDX nested
// components are included after their parent.
func sbomComponents(format string, data []byte) ([]SBOMComponent, error) {
	out := []SBOMComponent{}
	switch format {
	case SBOMFormatCycloneDX:
		type cdxComponent struct {
			Name       string         `json:"name"`
			Version    string         `json:"version"`
			Type       string         `json:"type"`
			PURL       string         `json:"purl"`
			Components []cdxComponent `json:"components"`
		}
		var doc struct {
			BOMFormat  string         `json:"bomFormat"`
			Components []cdxComponent `json:"components"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			return out, fmt.Errorf("not CycloneDX JSON: %w", err)
		}
		var walk func([]cdxComponent)
		walk = func(cs []cdxComponent) {
			for _, c := range cs {
				out = append(out, SBOMComponent{Name: c.Name, Version: c.Version, Type: c.Type, PURL: c.PURL})
				walk(c.Components)
			}
		}
		walk(doc.Components)
	case SBOMFormatSPDX:
		var doc struct {
			Packages []struct {
				Name         string `json:"name"`
				VersionInfo  string `json:"versionInfo"`
				Purpose      string `json:"primaryPackagePurpose"`
				ExternalRefs []struct {
					Type    string `json:"referenceType"`
					Locator string `json:"referenceLocator"`
				} `json:"externalRefs"`
			} `json:"packages"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			return out, fmt.Errorf("not SPDX JSON: %w", err)
		}
		for _, p := range doc.Packages {
			c := SBOMComponent{Name: p.Name, Version: p.VersionInfo, Type: strings.ToLower(p.Purpose)}
			for _, r := range p.ExternalRefs {
				if r.Type == "purl" {
					c.PURL = r.Locator
				}
			}
			out = append(out, c)
		}
	case SBOMFormatSyft:
		var doc struct {
			Artifacts []struct {
				Name    string `json:"name"`
				Version string `json:"version"`
				Type    string `json:"type"`
				PURL    string `json:"purl"`
			} `json:"artifacts"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			return out, fmt.Errorf("not Syft JSON: %w", err)
		}
		for _, a := range doc.Artifacts {
			out = append(out, SBOMComponent{Name: a.Name, Version: a.Version, Type: a.Type, PURL: a.PURL})
		}
	case SBOMFormatLegacy:
		var doc []struct {
			Name     string         `json:"name"`
			Metadata map[string]any `json:"metadata"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			return out, fmt.Errorf("not a legacy BOM: %w", err)
		}
		for _, e := range doc {
			c := SBOMComponent{Name: e.Name}
			if v, ok := e.Metadata["version"].(string); ok {
				c.Version = v
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// WriteFiles writes the SBOM documents under dir with their paths below
// layers/sbom (dir/launch/<buildpack>/<layer>/sbom.cdx.json, ...), as
// `pack sbom download` does, and returns the paths written. Nothing is
// written outside dir, also through links inside it, and two documents
// with the same path are an error (the second never overwrites the first).
func (s *SBOM) WriteFiles(dir string) ([]string, error) {
	seen := map[string]bool{}
	for _, f := range s.Files {
		if !filepath.IsLocal(filepath.FromSlash(f.Path)) {
			return nil, fmt.Errorf("sbom: refusing to write %q outside %s", f.Path, dir)
		}
		if seen[path.Clean(f.Path)] {
			return nil, fmt.Errorf("sbom: two documents have the path %q: refusing to write either", f.Path)
		}
		seen[path.Clean(f.Path)] = true
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	defer root.Close()
	var written []string
	for _, f := range s.Files {
		rel := filepath.FromSlash(f.Path)
		if err := root.MkdirAll(filepath.Dir(rel), 0o755); err != nil {
			return written, fmt.Errorf("sbom: %w", err)
		}
		if err := root.WriteFile(rel, f.Data, 0o644); err != nil {
			return written, fmt.Errorf("sbom: %w", err)
		}
		written = append(written, filepath.Join(dir, rel))
	}
	return written, nil
}
