package statuspage

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
)

// pageView is what the templates render: the fleet as read, the filter,
// and the rows that pass it.
type pageView struct {
	Fleet   *cluster.Fleet
	Filter  Filter
	Rows    []row
	Total   int
	Counts  []count // rows per run image state (of all applications)
	Envs    []option
	Owners  []option
	States  []option
	Query   string // the filter as a query, for the navigation links
	Refresh int
	// Pause and Resume are the current URL with the refresh off or back
	// to the default.
	Pause, Resume string
	Rollouts      []rolloutView
	// Title names the view; DefaultRefresh is the handler's refresh.
	Title                      string
	DefaultRefresh, DefaultPer int
	// Matched counts the rows the filter lets through; Rows are those of
	// page PageN of Pages (From to To, from 1); Prev, Next and All are the
	// links to the pages around and to every row ("" when there is none).
	Matched, From, To, PageN, Pages int
	Prev, Next, All                 string
}

type option struct {
	Value, Label string
	Selected     bool
}

type count struct {
	State, Slug string
	N           int
}

// row is one application in one environment, with what the template
// would otherwise compute.
type row struct {
	*cluster.AppStatus
	Anchor    string // the row's id (app-ENV-NAME)
	Slug      string // the run image state as a class and filter value
	Tags      string // the state filter's values it has, space separated
	PinnedAge string
	Build     *cluster.Build
	// BuildAge is how long ago the latest build was created.
	BuildAge string
	Run      string // the serving (else latest) run image, short
	Newest   string // the stack's newest run image, short
	Current  bool
}

// newPage builds the view of the fleet through the filter.
func newPage(f *cluster.Fleet, flt Filter, def time.Duration) *pageView {
	v := &pageView{Fleet: f, Filter: flt, Total: len(f.Apps), Refresh: flt.Refresh, DefaultPer: DefaultPer}
	owners := map[string]bool{}
	perState := map[string]int{}
	for i := range f.Apps {
		if o := f.Apps[i].Owner; o != "" {
			owners[o] = true
		}
		perState[f.Apps[i].State]++
	}
	shown := Filtered(f, flt)
	v.paginate(len(shown.Apps), flt, def)
	v.Rows = make([]row, 0, v.To-v.From+1)
	for i := v.From - 1; i >= 0 && i < v.To; i++ {
		v.Rows = append(v.Rows, newRow(&shown.Apps[i], f.Generated))
	}
	for _, s := range []string{cluster.StatePatched, cluster.StateRebasePending, cluster.StateRebuildNeeded, cluster.StateUnknown} {
		v.Counts = append(v.Counts, count{State: s, Slug: stateSlug(s), N: perState[s]})
	}
	for _, e := range f.Environments {
		v.Envs = append(v.Envs, option{Value: e, Label: e, Selected: slices.Contains(flt.Envs, e)})
	}
	ownerNames := make([]string, 0, len(owners))
	for o := range owners {
		ownerNames = append(ownerNames, o)
	}
	slices.Sort(ownerNames)
	for _, o := range ownerNames {
		v.Owners = append(v.Owners, option{Value: o, Label: o, Selected: slices.Contains(flt.Owners, o)})
	}
	for _, s := range States {
		v.States = append(v.States, option{Value: s.Value, Label: s.Label, Selected: slices.Contains(flt.States, s.Value)})
	}
	v.Query = flt.Values(def).Encode()
	paused, resumed := flt, flt
	paused.Refresh, resumed.Refresh = 0, int(def.Seconds())
	v.Pause, v.Resume = "?"+paused.Values(def).Encode(), "?"+resumed.Values(def).Encode()
	for _, r := range shown.Rollouts {
		rv := newRolloutView(r, f.Generated)
		rv.FilterActive = flt.Active()
		v.Rollouts = append(v.Rollouts, rv)
	}
	return v
}

// paginate picks the rows of the filter's page (the last one when it
// asks for a page past the end) and the links around it.
func (v *pageView) paginate(matched int, flt Filter, def time.Duration) {
	v.Matched = matched
	per := flt.Per
	if per <= 0 || per > matched {
		per = max(matched, 1)
	}
	v.Pages = max((matched+per-1)/per, 1)
	v.PageN = min(max(flt.Page, 1), v.Pages)
	v.From, v.To = (v.PageN-1)*per+1, min(v.PageN*per, matched)
	link := func(page, per int) string {
		g := flt
		g.Page, g.Per = page, per
		return "?" + g.Values(def).Encode()
	}
	if v.PageN > 1 {
		v.Prev = link(v.PageN-1, flt.Per)
	}
	if v.PageN < v.Pages {
		v.Next = link(v.PageN+1, flt.Per)
		v.All = link(1, 0)
	}
}

func newRow(a *cluster.AppStatus, now time.Time) row {
	r := row{AppStatus: a, Anchor: anchor(a.Environment, a.Application), Slug: stateSlug(a.State),
		Tags: strings.Join(Tags(a), " "), Build: a.LatestBuild, Newest: cluster.ShortDigest(a.NewestRunImage)}
	if !a.PinnedAt.IsZero() {
		r.PinnedAge = cluster.Age(a.PinnedAt, now)
	}
	if r.Build != nil && !r.Build.Created.IsZero() {
		r.BuildAge = cluster.Age(r.Build.Created, now)
	}
	run := a.ServingRunImage
	if run == "" {
		run = a.RunImage
	}
	r.Run = cluster.ShortDigest(run)
	r.Current = run != "" && a.NewestRunImage != "" && cluster.ShortDigest(run) == r.Newest
	return r
}

// anchor is a row's id: letters, digits and - only (names are DNS labels;
// anything else is replaced).
func anchor(env, app string) string {
	return "app-" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, env+"-"+app)
}

// percent is n of total as a whole percentage.
func percent(n, total int) string {
	if total == 0 {
		return "0%"
	}
	return fmt.Sprintf("%d%%", 100*n/total)
}
