package supplychain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
)

// KeysOutput prints where a key pair was written: text (the paths and the
// key ID) or json.
var KeysOutput = output.Printers[*KeyFiles]{
	output.Text: output.PrinterFunc[*KeyFiles](func(w io.Writer, f *KeyFiles) error {
		_, err := fmt.Fprintf(w, "private key: %s\npublic key:  %s\nkey ID:      %s\n", f.PrivateKey, f.PublicKey, f.KeyID)
		return err
	}),
	output.JSON: output.JSONPrinter[*KeyFiles](),
}

// SignOutput prints what Sign signed: text (the digest a tag resolved to,
// the key and the signature's tag) or json.
var SignOutput = output.Printers[*SignResult]{
	output.Text: output.PrinterFunc[*SignResult](func(w io.Writer, r *SignResult) error {
		if r.Image != r.Reference {
			fmt.Fprintf(w, "%s resolves to %s\n", r.Image, r.Reference)
		}
		_, err := fmt.Fprintf(w, "signed %s with key %s\nsignature: %s\n", r.Reference, r.KeyID, r.SignatureTag)
		return err
	}),
	output.JSON: output.JSONPrinter[*SignResult](),
}

// VerifyOutput prints what Verify verified: text or json.
var VerifyOutput = output.Printers[*VerifyResult]{
	output.Text: output.PrinterFunc[*VerifyResult](func(w io.Writer, r *VerifyResult) error {
		if r.Tag != "" {
			fmt.Fprintf(w, "%s resolves to %s\n", r.Tag, r.Reference)
		}
		sigs := "1 signature"
		if r.Signatures != 1 {
			sigs = fmt.Sprintf("%d signatures", r.Signatures)
		}
		_, err := fmt.Fprintf(w, "verified %s: %s by key %s\n", r.Reference, sigs, r.KeyID)
		return err
	}),
	output.JSON: output.JSONPrinter[*VerifyResult](),
}

// SBOMOutput prints an image's SBOMs: text (per buildpack and layer the
// format and the components, every string from the image escaped with
// output.Printable) or json (the parsed report, exact).
var SBOMOutput = output.Printers[*SBOMReport]{
	output.Text: output.PrinterFunc[*SBOMReport](printSBOM),
	output.JSON: output.JSONPrinter[*SBOMReport](),
}

// SBOMFilesOutput prints the files SBOMReport.WriteFiles wrote: text
// ("wrote PATH" lines) or json (the list).
var SBOMFilesOutput = output.Printers[[]string]{
	output.Text: output.PrinterFunc[[]string](func(w io.Writer, files []string) error {
		for _, f := range files {
			if _, err := fmt.Fprintf(w, "wrote %s\n", output.Printable(f)); err != nil {
				return err
			}
		}
		return nil
	}),
	output.JSON: output.JSONPrinter[[]string](),
}

func printSBOM(w io.Writer, s *SBOMReport) error {
	fmt.Fprintf(w, "%s (%s): %s in layer %s\n", output.Printable(s.Image), s.Digest, output.Count(len(s.Files), "SBOM document"), s.Layer)
	for _, f := range s.Files {
		who := f.Buildpack
		if who == "" {
			who = "all buildpacks"
		}
		if f.BuildpackVersion != "" {
			who += "@" + f.BuildpackVersion
		}
		if f.Layer != "" {
			who += " layer " + f.Layer
		}
		fmt.Fprintf(w, "\n%s: %s, %s (%s)\n", output.Printable(who), f.Format, output.Count(len(f.Components), "component"), output.Printable(f.Path))
		if f.ParseError != "" {
			fmt.Fprintf(w, "  unreadable: %s\n", output.Printable(f.ParseError))
		}
		for _, comp := range f.Components {
			line := "  " + comp.Name
			if comp.Version != "" {
				line += " " + comp.Version
			}
			if comp.PURL != "" {
				line += "  " + comp.PURL
			}
			if _, err := fmt.Fprintln(w, output.Printable(line)); err != nil {
				return err
			}
		}
	}
	return nil
}

// ProvenanceOutput prints a verified provenance statement: text (source
// and commit, builder, run image, buildpacks, build parameters, times) or
// json (the statement exactly as signed, indented: same keys, same order).
var ProvenanceOutput = output.Printers[*ProvenanceResult]{
	output.Text: output.PrinterFunc[*ProvenanceResult](printProvenance),
	output.JSON: output.PrinterFunc[*ProvenanceResult](func(w io.Writer, r *ProvenanceResult) error {
		var buf bytes.Buffer
		if err := json.Indent(&buf, r.Raw, "", "  "); err != nil {
			return err
		}
		buf.WriteByte('\n')
		_, err := w.Write(buf.Bytes())
		return err
	}),
}

func printProvenance(w io.Writer, res *ProvenanceResult) error {
	st := res.Statement
	bd := st.Predicate.BuildDefinition
	rd := st.Predicate.RunDetails
	ep := bd.ExternalParameters
	fmt.Fprintf(w, "verified SLSA provenance of %s with key %s\n", res.Reference, res.KeyID)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "  %-13s %s\n", k+":", output.Printable(v))
		}
	}
	row("predicate", st.PredicateType)
	row("build type", bd.BuildType)
	row("request", strings.TrimSpace(fmt.Sprintf("%s %s/%s %s", ep.Request.ID, ep.Request.Environment, ep.Request.Application, ep.Request.Owner)))
	var buildpacks []string
	for _, d := range bd.ResolvedDependencies {
		desc := d.URI
		if hex, ok := d.Digest["sha256"]; ok {
			if d.Annotations["digestOf"] != "" {
				desc += " (image ID sha256:" + hex + ")"
			} else {
				desc += "@sha256:" + hex
			}
		}
		switch {
		case d.Name == "source":
			if c := d.Digest["gitCommit"]; c != "" {
				desc = d.URI + " commit " + c
			}
			row("source", desc)
		case d.Name == "builder-image":
			row("builder", desc)
		case d.Name == "run-image":
			row("run image", desc)
		case strings.HasPrefix(d.Name, "buildpack:"):
			buildpacks = append(buildpacks, d.Annotations["id"]+"@"+d.Annotations["version"])
		}
	}
	row("buildpacks", strings.Join(buildpacks, ", "))
	if ep.Source.SubPath != "" {
		row("subPath", ep.Source.SubPath)
	}
	var env []string
	for _, k := range slices.Sorted(maps.Keys(ep.Build.Env)) {
		env = append(env, k+"="+ep.Build.Env[k])
	}
	row("build", strings.TrimSpace(ep.Build.Type+" "+ep.Build.Builder))
	row("build env", strings.Join(env, " "))
	if ep.Build.Dockerfile != "" {
		row("dockerfile", ep.Build.Dockerfile)
	}
	var versions []string
	for _, k := range slices.Sorted(maps.Keys(rd.Builder.Version)) {
		versions = append(versions, k+" "+rd.Builder.Version[k])
	}
	row("built by", strings.TrimSpace(rd.Builder.ID+" ("+strings.Join(versions, ", ")+")"))
	if m := rd.Metadata; m.StartedOn != nil && m.FinishedOn != nil {
		row("built", fmt.Sprintf("%s to %s (%s)", m.StartedOn.Format("2006-01-02T15:04:05Z07:00"), m.FinishedOn.Format("15:04:05Z07:00"), m.FinishedOn.Sub(*m.StartedOn)))
	}
	row("invocation", rd.Metadata.InvocationID)
	return nil
}
