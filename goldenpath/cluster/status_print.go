package cluster

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
)

// StatusOutput prints what Status read: text (a table of the applications,
// then what failed and what was not pinned) or json (everything; an empty
// list when there is nothing).
var StatusOutput = output.Printers[[]AppStatus]{
	output.Text: output.PrinterFunc[[]AppStatus](printStatus),
	output.JSON: output.PrinterFunc[[]AppStatus](func(w io.Writer, apps []AppStatus) error {
		if apps == nil {
			apps = []AppStatus{}
		}
		return output.JSONPrinter[[]AppStatus]().Print(w, apps)
	}),
}

func printStatus(w io.Writer, apps []AppStatus) error {
	if len(apps) == 0 {
		_, err := fmt.Fprintln(w, "no application built by kpack in the platform's environments")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENVIRONMENT\tAPPLICATION\tPINNED\tBUILD\tREASONS\tRESULT\tFAILED STEP\tSIGNED\tRUN IMAGE")
	for _, a := range apps {
		build, reasons, result, step, signed := "-", "-", "-", "-", "-"
		if b := a.LatestBuild; b != nil {
			build = fmt.Sprintf("%d", b.Number)
			reasons = strings.Join(b.Reason, ",")
			result, signed = b.Result, signedMark(b.Signed)
			if b.FailedStep != "" {
				step = b.FailedStep
				if b.ExitCode != 0 {
					step += fmt.Sprintf(" (exit %d)", b.ExitCode)
				}
			}
			if b.Result == "failed" && a.LastSuccess != nil {
				signed = signedMark(a.LastSuccess.Signed) + fmt.Sprintf(" (build %d)", a.LastSuccess.Number)
			}
		}
		run := "-"
		switch {
		case a.RunImage == "":
		case a.RunImageCurrent:
			run = shortDigest(a.RunImage) + " (newest)"
		case a.NewestRunImage != "":
			run = shortDigest(a.RunImage) + " (newer: " + shortDigest(a.NewestRunImage) + ")"
		default:
			run = shortDigest(a.RunImage)
		}
		pinned := "-"
		if a.Pinned != "" {
			pinned = shortDigest(a.Pinned)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Environment, a.Application, pinned, build, reasons, result, step, signed, run)
	}
	tw.Flush()
	for _, a := range apps {
		b := a.LatestBuild
		if b == nil || b.Result != "failed" {
			continue
		}
		fmt.Fprintf(w, "\n%s/%s build %d failed", a.Environment, a.Application, b.Number)
		if b.FailedStep != "" {
			fmt.Fprintf(w, " in step %s", b.FailedStep)
		}
		if b.FailureReason != "" {
			fmt.Fprintf(w, " (%s)", b.FailureReason)
		}
		fmt.Fprintln(w, ":")
		if b.Excerpt == "" {
			fmt.Fprintln(w, "    (no log recorded: is goldenpath's controller running?)")
		}
		for _, l := range strings.Split(b.Excerpt, "\n") {
			if b.Excerpt != "" {
				fmt.Fprintf(w, "    %s\n", l)
			}
		}
	}
	for _, a := range apps {
		if b := a.LatestBuild; b != nil && b.Refused != "" {
			fmt.Fprintf(w, "\n%s/%s build %d was not pinned: %s\n", a.Environment, a.Application, b.Number, b.Refused)
		}
	}
	return nil
}

func signedMark(s string) string {
	if s == "unknown" || s == "" {
		return "?"
	}
	return s
}

// shortDigest shows the first 12 hex digits of a digest or pinned reference.
func shortDigest(ref string) string {
	d := ref
	if _, after, ok := strings.Cut(ref, "@"); ok {
		d = after
	}
	if h, ok := strings.CutPrefix(d, "sha256:"); ok && len(h) > 12 {
		return "sha256:" + h[:12]
	}
	return d
}
