package fleet

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
)

// ImageList is the output format of a plan that lists the images to
// rebase, one per line: what `goldenpath rebase --images-file -` reads.
const ImageList output.Format = "rebase"

// PlanOutput prints a plan: text (a line per image with its action and
// reasons, then its evidence, old -> new; with all, also the values that
// did not change), json (the plan with all evidence) or rebase (the
// images to rebase, one per line).
func PlanOutput(all bool) output.Printers[*PlanReport] {
	return output.Printers[*PlanReport]{
		output.Text: output.PrinterFunc[*PlanReport](func(w io.Writer, p *PlanReport) error { return printPlan(w, p, all) }),
		output.JSON: output.JSONPrinter[*PlanReport](),
		ImageList: output.PrinterFunc[*PlanReport](func(w io.Writer, p *PlanReport) error {
			for _, img := range p.Images(ActionRebase) {
				if _, err := fmt.Fprintln(w, img); err != nil {
					return err
				}
			}
			return nil
		}),
	}
}

func printPlan(w io.Writer, plan *PlanReport, all bool) error {
	width := 0
	for _, it := range plan.Items {
		width = max(width, len(it.Image))
	}
	for _, it := range plan.Items {
		if it.Action == ActionError {
			fmt.Fprintf(w, "%-7s  %s: %s\n", it.Action, it.Image, output.Printable(it.Error))
			continue
		}
		reasons := make([]string, len(it.Reasons))
		for i, r := range it.Reasons {
			reasons[i] = string(r)
		}
		fmt.Fprintf(w, "%-7s  %-*s  %s\n", it.Action, width, it.Image, strings.Join(reasons, ","))
		for _, e := range it.Evidence {
			if !all && !e.Changed && it.Action != ActionSkip {
				continue
			}
			var line string
			switch {
			case e.Old == "" && e.New == "":
				line = fmt.Sprintf("%-9s  %s", e.Reason, e.Field)
			case e.Old == "" && e.Reason == "":
				line = fmt.Sprintf("%-9s  %s: %s", e.Reason, e.Field, e.New)
			default:
				line = fmt.Sprintf("%-9s  %s: %s -> %s", e.Reason, e.Field, orUnknown(e.Old), orUnknown(e.New))
			}
			if e.Note != "" {
				line += " (" + e.Note + ")"
			}
			fmt.Fprintf(w, "         %s\n", output.Printable(Short(line)))
		}
		if it.Action == ActionRebase {
			fmt.Fprintf(w, "         %-9s  goldenpath rebase %s --run-image %s\n", "fix", it.Image, it.RunImage)
		}
	}
	_, err := fmt.Fprintf(w, "%s: %d to rebuild, %d to rebase, %d up to date, %d skipped, %s (%.2fs)\n", output.Count(len(plan.Items), "image"),
		plan.Count(ActionRebuild), plan.Count(ActionRebase), plan.Count(ActionNothing),
		plan.Count(ActionSkip), output.Count(plan.Count(ActionError), "error"), plan.Seconds)
	return err
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

var digestRE = regexp.MustCompile(`sha256:([0-9a-f]{12})[0-9a-f]{52}`)

// Short shortens the sha256 digests in s to 12 hex digits, as the text
// printers show them.
func Short(s string) string { return digestRE.ReplaceAllString(s, "sha256:$1") }

// RebaseOutput prints a rebase report: text (a line per image for which
// show is true, then a summary; a nil show prints no image lines, for a
// caller that printed them as they finished with RebaseLine) or json (the
// report, which ReadRebaseReport reads back for a resume).
func RebaseOutput(show func(RebaseResult) bool) output.Printers[*RebaseReport] {
	return output.Printers[*RebaseReport]{
		output.Text: output.PrinterFunc[*RebaseReport](func(w io.Writer, rep *RebaseReport) error {
			for _, r := range rep.Results {
				if show != nil && show(r) {
					if err := RebaseLine(w, r); err != nil {
						return err
					}
				}
			}
			return printRebaseSummary(w, rep)
		}),
		output.JSON: output.JSONPrinter[*RebaseReport](),
	}
}

// RebaseLine prints one image's rebase as a line (and its notes):
//
//	rebased       IMAGE  sha256:OLD -> sha256:NEW  (run image ...)
//	up-to-date    IMAGE  sha256:... (run image top sha256:...)
//	failed        IMAGE: why
func RebaseLine(w io.Writer, r RebaseResult) error {
	switch r.Status {
	case RebaseFailed:
		_, err := fmt.Fprintf(w, "%-12s  %s: %s\n", r.Status, r.Image, output.Printable(r.Error))
		return err
	case RebaseUpToDate:
		fmt.Fprintf(w, "%-12s  %s  %s (run image top %s)\n", r.Status, r.Image, Short(r.Digest), Short(r.To.TopLayer))
	default:
		fmt.Fprintf(w, "%-12s  %s  %s -> %s  (run image %s top %s -> %s; base layers %d -> %d, app layers %d kept",
			r.Status, r.Image, Short(r.Digest), Short(r.NewDigest), r.RunImage, Short(r.From.TopLayer), Short(r.To.TopLayer),
			r.OldBaseLayers, r.NewBaseLayers, r.AppLayers)
		if len(r.Labels) > 0 {
			fmt.Fprintf(w, "; labels %s", strings.Join(r.Labels, ", "))
		}
		fmt.Fprintln(w, ")")
		if r.Status == RebaseWouldRebase {
			fmt.Fprintf(w, "%-12s    runImage.reference %s -> %s\n", "", Short(r.From.Reference), Short(r.To.Reference))
			if r.From.Image != r.To.Image {
				fmt.Fprintf(w, "%-12s    runImage.image %s -> %s\n", "", r.From.Image, r.To.Image)
			}
		}
	}
	if r.Repaired != "" {
		fmt.Fprintf(w, "%-12s    repaired: %s\n", "", r.Repaired)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "%-12s    warning: %s\n", "", output.Printable(warn))
	}
	return nil
}

func printRebaseSummary(w io.Writer, rep *RebaseReport) error {
	var parts []string
	for _, s := range []RebaseStatus{RebaseRebased, RebaseWouldRebase, RebaseUpToDate, RebaseFailed} {
		if n := rep.Count(s); n > 0 || s == RebaseFailed {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	runs := make([]string, 0, len(rep.RunImages))
	for _, r := range rep.RunImages {
		runs = append(runs, fmt.Sprintf("%s@%s", r.Name, Short(r.Digest)))
	}
	dry := ""
	if rep.DryRun {
		dry = " (dry run: nothing written)"
	}
	_, err := fmt.Fprintf(w, "%s: %s in %.2fs, %s; run image %s%s\n",
		output.Count(len(rep.Results), "image"), strings.Join(parts, ", "), rep.Seconds, output.Count(rep.Requests.Total(), "registry request"), strings.Join(runs, ", "), dry)
	return err
}

// StackOutput prints a stack update: text (a line per ClusterStack image
// that moved, "would update ..." in a dry run; nothing when all are
// current) or json (the report on one line, so that a watch prints one
// line per check).
var StackOutput = output.Printers[*StackReport]{
	output.Text: output.PrinterFunc[*StackReport](func(w io.Writer, rep *StackReport) error {
		prefix := ""
		if rep.DryRun {
			prefix = "would update "
		}
		for _, ch := range rep.Changes {
			if _, err := fmt.Fprintf(w, "%s%s\n", prefix, ch); err != nil {
				return err
			}
		}
		return nil
	}),
	output.JSON: output.PrinterFunc[*StackReport](func(w io.Writer, rep *StackReport) error {
		data, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", data)
		return err
	}),
}
