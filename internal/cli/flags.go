package cli

import (
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
)

// outputFlag is the -o flag: the one way every command chooses its output
// format, checked before the command does any work.
type outputFlag struct{ format string }

// addOutput adds -o to a command whose result prints in the formats of p;
// what adds a word of help per format.
func addOutput[T any](c *cobra.Command, p output.Printers[T], what string) *outputFlag {
	f := &outputFlag{}
	formats := p.Formats()
	names := make([]string, len(formats))
	for i, ft := range formats {
		names[i] = string(ft)
	}
	help := "output `FORMAT`: " + strings.Join(names, ", ")
	if what != "" {
		help += " (" + what + ")"
	}
	c.Flags().StringVarP(&f.format, "output", "o", string(output.Text), help)
	return f
}

// printer returns the printer of the flag's format among p; an unknown
// format is a usage error.
func printer[T any](f *outputFlag, p output.Printers[T]) (output.Printer[T], error) {
	pr, err := p.Get(f.format)
	if err != nil {
		return nil, usageErrorf("-o: %v", err)
	}
	return pr, nil
}

// registryFlags are the registry access flags of every command that talks
// to a registry.
type registryFlags struct {
	insecure []string
	timeout  time.Duration
}

func (f *registryFlags) add(c *cobra.Command) {
	c.Flags().StringArrayVar(&f.insecure, "insecure-registry", nil, "registry `HOST[:PORT]` spoken to over plain HTTP (repeatable; loopback registries always are)")
	c.Flags().DurationVar(&f.timeout, "timeout", 0, "bound on each registry request (default 60s)")
}

// options are the facade's registry options the flags ask for; a bad host
// is a usage error.
func (f *registryFlags) options() ([]goldenpath.Option, error) {
	opts := []goldenpath.Option{goldenpath.WithInsecureRegistries(f.insecure...)}
	if f.timeout < 0 {
		return nil, usageErrorf("--timeout %v: give a positive duration", f.timeout)
	}
	if f.timeout > 0 {
		opts = append(opts, goldenpath.WithRequestTimeout(f.timeout))
	}
	if err := goldenpath.CheckOptions(opts...); err != nil {
		return nil, usageErrorf("--insecure-registry: %v", strings.TrimPrefix(err.Error(), "WithInsecureRegistries: "))
	}
	return opts, nil
}

// platformAndRegistry are the facade options of a command's --platform and
// registry flags; a bad value of either is a usage error.
func platformAndRegistry(pf *platformFlag, rf *registryFlags) ([]goldenpath.Option, error) {
	opts, err := rf.options()
	if err != nil {
		return nil, err
	}
	popt, err := pf.option()
	if err != nil {
		return nil, err
	}
	return append(opts, popt), nil
}
