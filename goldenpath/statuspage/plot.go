package statuspage

import (
	"fmt"
	"strings"
	"time"

	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
)

// rolloutView is a ClusterStack's roll-out as the page shows it: the
// counts, the plot and the applications behind.
type rolloutView struct {
	cluster.Rollout
	Anchor   string
	Run      string // the run image, short
	Share    string // serving of all, as a percentage
	SinceAge string
	Plot     plot
	Behind   []behindRow
	// FilterActive says Behind lists only the applications the filter
	// shows.
	FilterActive bool
}

type behindRow struct {
	cluster.Behind
	Anchor, Slug string
}

// plot is the roll-out's share of applications built on, pinned to and
// serving from the run image over time, as step lines in an SVG drawn on
// the server (no script, no library). Coordinates are in the viewBox.
type plot struct {
	W, H                     int
	Left, Right, Top, Bottom float64
	Serving, Pinned, Built   string // polyline points
	XTicks, YTicks           []tick
	Desc                     string
}

type tick struct {
	X, Y          float64
	Label, Anchor string
}

const (
	plotW, plotH                                 = 640, 240
	plotLeft, plotRight, plotTop, plotBottomSpan = 48.0, 16.0, 12.0, 32.0
)

func newRolloutView(r cluster.Rollout, now time.Time) rolloutView {
	v := rolloutView{Rollout: r, Anchor: "stack-" + strings.ReplaceAll(r.Stack, ".", "-"), Run: cluster.ShortDigest(r.RunImage),
		Share: percent(r.Serving, r.Apps), SinceAge: cluster.Age(r.Since, now)}
	for _, b := range r.Behind {
		v.Behind = append(v.Behind, behindRow{Behind: b, Anchor: anchor(b.Environment, b.Application), Slug: stateSlug(b.State)})
	}
	v.Plot = newPlot(r, now)
	return v
}

// newPlot lays the timeline out: x from the roll-out's start to now, y
// from 0 to every application (100%).
func newPlot(r cluster.Rollout, now time.Time) plot {
	p := plot{W: plotW, H: plotH, Left: plotLeft, Right: plotW - plotRight, Top: plotTop, Bottom: plotH - plotBottomSpan}
	start, end := r.Since, now
	if len(r.Timeline) > 0 {
		if last := r.Timeline[len(r.Timeline)-1].At; last.After(end) {
			end = last
		}
	}
	span := end.Sub(start)
	if span < time.Minute {
		span = time.Minute
		end = start.Add(span)
	}
	x := func(t time.Time) float64 {
		return p.Left + (p.Right-p.Left)*float64(t.Sub(start))/float64(span)
	}
	apps := max(r.Apps, 1)
	y := func(n int) float64 { return p.Bottom - (p.Bottom-p.Top)*float64(n)/float64(apps) }
	line := func(get func(cluster.RolloutPoint) int) string {
		var b strings.Builder
		prev := 0
		for i, pt := range r.Timeline {
			if i > 0 {
				fmt.Fprintf(&b, "%.1f,%.1f ", x(pt.At), y(prev))
			}
			prev = get(pt)
			fmt.Fprintf(&b, "%.1f,%.1f ", x(pt.At), y(prev))
		}
		fmt.Fprintf(&b, "%.1f,%.1f", x(end), y(prev))
		return b.String()
	}
	p.Serving = line(func(pt cluster.RolloutPoint) int { return pt.Serving })
	p.Pinned = line(func(pt cluster.RolloutPoint) int { return pt.Pinned })
	p.Built = line(func(pt cluster.RolloutPoint) int { return pt.Built })
	for _, f := range []float64{0, 0.5, 1} {
		p.YTicks = append(p.YTicks, tick{X: p.Left - 6, Y: p.Bottom - (p.Bottom-p.Top)*f, Label: fmt.Sprintf("%.0f%%", f*100)})
	}
	for i, f := range []float64{0, 0.5, 1} {
		t := start.Add(time.Duration(f * float64(span)))
		p.XTicks = append(p.XTicks, tick{X: p.Left + (p.Right-p.Left)*f, Y: p.Bottom + 20, Label: t.UTC().Format("15:04:05"),
			Anchor: []string{"start", "middle", "end"}[i]})
	}
	p.Desc = fmt.Sprintf("From %s to %s UTC: %d of %d applications built on the run image, %d pinned, %d serving from it.",
		start.UTC().Format("2006-01-02 15:04:05"), end.UTC().Format("15:04:05"), r.Built, r.Apps, r.Pinned, r.Serving)
	return p
}
