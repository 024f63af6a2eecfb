package cluster

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
)

// StatusOutput prints what Status read, the one printer of a Fleet:
// `goldenpath status` (-o text, -o json) and the status page's JSON API
// (/api/v1/status serves its json document). Text is for people (see
// printStatusText), json for programs: the whole Fleet.
var StatusOutput = output.Printers[*Fleet]{
	output.Text: output.PrinterFunc[*Fleet](printStatusText),
	output.JSON: output.JSONPrinter[*Fleet](),
}

// printStatusText writes a table with a line per application and
// environment (owner, pin and its age, latest build, its result and failed
// step, signature, the run image it serves from and its state, Argo CD's sync and health),
// then each failed build's step and log excerpt, each refusal, and each
// ClusterStack's roll-out with the applications behind and why. Values
// read from the cluster have their control characters escaped
// (output.Printable).
func printStatusText(w io.Writer, f *Fleet) error {
	if len(f.Apps) == 0 {
		_, err := fmt.Fprintln(w, "no application built by kpack in the platform's environments")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENVIRONMENT\tAPPLICATION\tOWNER\tPINNED\tBUILD\tREASONS\tRESULT\tFAILED STEP\tSIGNED\tRUN IMAGE\tSTATE\tARGO CD")
	for _, a := range f.Apps {
		build, reasons, result, step := "-", "-", "-", "-"
		if b := a.LatestBuild; b != nil {
			build = fmt.Sprintf("%d", b.Number)
			reasons = strings.Join(b.Reason, ",")
			result = b.Result
			if b.FailedStep != "" {
				step = b.FailedStep
				if b.ExitCode != 0 {
					step += fmt.Sprintf(" (exit %d)", b.ExitCode)
				}
			}
		}
		signed := signedMark(a.Signed)
		if a.PinnedBuild != 0 {
			signed += fmt.Sprintf(" (build %d)", a.PinnedBuild)
		}
		run := "-"
		on, built := a.ServingRunImage, ""
		if on == "" && a.RunImage != "" { // not pinned to a known build: what kpack built last
			on, built = a.RunImage, "built "
		}
		switch {
		case on == "":
		case a.NewestRunImage == "":
			run = built + ShortDigest(on)
		case digestOf(on) == digestOf(a.NewestRunImage):
			run = built + ShortDigest(on) + " (newest)"
		default:
			run = built + ShortDigest(on) + " (newest: " + ShortDigest(a.NewestRunImage) + ")"
		}
		pinned := "-"
		if a.WaitingFor != "" {
			pinned = "waiting for first verified pin"
		}
		if a.Pinned != "" {
			pinned = ShortDigest(a.Pinned)
			if !a.PinnedAt.IsZero() {
				pinned += " (" + Age(a.PinnedAt, f.Generated) + ")"
			}
		}
		argo := "-"
		if a.Argo != nil {
			argo = a.Argo.Sync + "/" + a.Argo.Health
		}
		owner := a.Owner
		if owner == "" {
			owner = "-"
		}
		cells := []string{a.Environment, a.Application, owner, pinned, build, reasons, result, step, signed, run, a.State, argo}
		for i, c := range cells {
			cells[i] = output.Printable(strings.ReplaceAll(c, "\t", " "))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, a := range f.Apps {
		b := a.LatestBuild
		if b == nil || b.Result != "failed" {
			continue
		}
		fmt.Fprintf(w, "\n%s/%s build %d failed", a.Environment, a.Application, b.Number)
		if b.FailedStep != "" {
			fmt.Fprintf(w, " in step %s", output.Printable(b.FailedStep))
		}
		if b.FailureReason != "" {
			fmt.Fprintf(w, " (%s)", output.Printable(b.FailureReason))
		}
		fmt.Fprintln(w, ":")
		if b.Excerpt == "" {
			fmt.Fprintln(w, "    (no log recorded: is goldenpath's controller running?)")
		}
		if b.Excerpt != "" {
			for _, l := range strings.Split(b.Excerpt, "\n") {
				fmt.Fprintf(w, "    %s\n", output.PrintableLines(l))
			}
		}
	}
	for _, a := range f.Apps {
		if b := a.LatestBuild; b != nil && b.Refused != "" {
			fmt.Fprintf(w, "\n%s/%s build %d was not pinned: %s\n", a.Environment, a.Application, b.Number, output.Printable(b.Refused))
		}
	}
	for _, a := range f.Apps {
		if a.WaitingFor != "" {
			fmt.Fprintf(w, "\n%s/%s runs no pod: %s\n", a.Environment, a.Application, output.Printable(a.WaitingFor))
		}
	}
	for _, r := range f.Rollouts {
		share := 0
		if r.Apps > 0 {
			share = 100 * r.Serving / r.Apps
		}
		fmt.Fprintf(w, "\nClusterStack %s: run image %s since %s (%s ago): %d of %d applications serving from it (%d%%), %d pinned, %d built\n",
			r.Stack, ShortDigest(r.RunImage), r.Since.UTC().Format(time.RFC3339), Age(r.Since, f.Generated), r.Serving, r.Apps, share, r.Pinned, r.Built)
		for _, b := range r.Behind {
			fmt.Fprintf(w, "    %s/%s %s: %s\n", b.Environment, b.Application, b.State, output.Printable(b.Why))
		}
	}
	for _, warning := range f.Warnings {
		fmt.Fprintf(w, "\nwarning: %s\n", output.Printable(warning))
	}
	return nil
}

func signedMark(s string) string {
	if s == "unknown" || s == "" {
		return "?"
	}
	return s
}

// ShortDigest shows the first 12 hex digits of a digest or pinned
// reference.
func ShortDigest(ref string) string {
	d := ref
	if _, after, ok := strings.Cut(ref, "@"); ok {
		d = after
	}
	if h, ok := strings.CutPrefix(d, "sha256:"); ok && len(h) > 12 {
		return "sha256:" + h[:12]
	}
	return d
}

// Age is how long before now t was, in its largest unit: 42s, 5m, 3h, 2d.
func Age(t, now time.Time) string {
	if t.IsZero() {
		return "?"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
