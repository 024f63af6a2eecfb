// Command validate generates AppDeploymentRequest contracts for the
// validation benchmark (bench/validate.sh): N realistic requests, one file
// each, a fraction of them invalid, the same files for the same seed.
//
//	go run ./bench/validate -n 10000 -out /tmp/contracts [-invalid-ratio 0.1] [-seed 1]
//
// Valid requests pass `goldenpath validate` with the embedded default
// platform: most are for dev and test; staging and prod ones follow those
// environments' policy (replicas >= 2, resources, a health check; prod also
// TLS, buildpack builds only and no bindings, since the default platform's
// binding catalogue offers none to prod).
//
// Invalid requests carry one mistake each. Most mistakes are ones the JSON
// Schema can express (a bad id, 512MB, negative replicas, an unknown field,
// ...), so any draft-07 validator must reject them too; the others are rules
// only the Go validator knows (platform policy, unique binding names, clean
// paths, zero quantities, TLS without ingress), which a schema validator
// accepts.
//
// Besides the contracts, -out receives MANIFEST.tsv (not a YAML file, so no
// validator reads it) with one line per contract: file name, the expected
// goldenpath verdict, the expected JSON Schema verdict and the mistake.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
)

func main() {
	n := flag.Int("n", 1000, "number of contracts to write")
	out := flag.String("out", "", "folder to write them to (created; must hold no *.yaml yet unless -force)")
	ratio := flag.Float64("invalid-ratio", 0.1, "fraction of contracts with a mistake (0 to 1)")
	seed := flag.Uint64("seed", 1, "random seed: the same seed writes the same files")
	force := flag.Bool("force", false, "delete *.yaml and MANIFEST.tsv already in -out first")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./bench/validate -n N -out DIR [-invalid-ratio 0.1] [-seed 1] [-force]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || *n < 0 || *ratio < 0 || *ratio > 1 || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*n, *out, *ratio, *seed, *force, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "validate:", err)
		os.Exit(1)
	}
}

func run(n int, out string, ratio float64, seed uint64, force bool, log io.Writer) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(out, "*.yaml"))
	if err != nil {
		return err
	}
	if len(old) > 0 {
		if !force {
			return fmt.Errorf("%s already holds %d *.yaml files (use -force to replace them)", out, len(old))
		}
		for _, f := range append(old, filepath.Join(out, manifestName)) {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}

	r := rand.New(rand.NewPCG(seed, 0x676f6c64656e)) // "golden"
	invalid := make([]bool, n)
	for _, i := range r.Perm(n)[:int(math.Round(float64(n)*ratio))] {
		invalid[i] = true
	}

	mf, err := os.Create(filepath.Join(out, manifestName))
	if err != nil {
		return err
	}
	manifest := bufio.NewWriter(mf)
	fmt.Fprintln(manifest, "# file\tgoldenpath\tschema\tcase")
	counts := map[string]int{}
	for i := range n {
		c := newContract(r, i)
		caseName, schemaVerdict := "ok", "valid"
		gpVerdict := "valid"
		if invalid[i] {
			m := pickMutation(r, c)
			m.apply(r, c)
			caseName, gpVerdict = m.name, "invalid"
			if m.schemaRejects {
				schemaVerdict = "invalid"
			}
		}
		counts[gpVerdict+"/"+schemaVerdict]++
		name := fmt.Sprintf("%06d-%s-%s.yaml", i, c.app, c.env)
		if err := os.WriteFile(filepath.Join(out, name), c.doc.render(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(manifest, "%s\t%s\t%s\t%s\n", name, gpVerdict, schemaVerdict, caseName)
	}
	if err := manifest.Flush(); err != nil {
		return err
	}
	if err := mf.Close(); err != nil {
		return err
	}
	fmt.Fprintf(log, "wrote %d contracts to %s: %d valid, %d invalid for goldenpath and the schema, %d invalid for goldenpath only\n",
		n, out, counts["valid/valid"], counts["invalid/invalid"], counts["invalid/valid"])
	return nil
}

const manifestName = "MANIFEST.tsv"
