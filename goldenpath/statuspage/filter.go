package statuspage

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
)

// Filter is the page's state, all of it in the URL's query so that a
// reload (the auto-refresh), a bookmark or a shared link shows the same:
// env, owner and state (each may repeat: any of them), q (a search over
// the row's text), refresh (seconds between reloads, 0 for none), and
// which rows of the table: per (rows a page, DefaultPer; "all") and page
// (from 1).
type Filter struct {
	Envs, Owners, States []string
	Query                string
	Refresh              int
	Per, Page            int // Per 0: every row
}

// DefaultPer is how many rows the table shows a page: a screenful or
// five, quick to render and to read; filters and the search narrow a
// larger fleet, per=all shows every row.
const DefaultPer = 100

// States are the values of the state filter: the run image's states
// (cluster.State*), then the problems a row can have.
var States = []struct{ Value, Label string }{
	{"patched", "patched"},
	{"rebase-pending", "rebase pending"},
	{"rebuild-needed", "rebuild needed"},
	{"unknown", "run image unknown"},
	{"build-failed", "latest build failed"},
	{"build-running", "build running"},
	{"unsigned", "signature not verified"},
	{"waiting-for-pin", "waiting for the first verified pin"},
	{"out-of-sync", "Argo CD not synced or not healthy"},
}

// maxRefresh bounds the refresh a URL may ask for (a day).
const maxRefresh = 86400

// parseFilter reads the filter from a query; refresh defaults to def. Values
// are matched against the data, never echoed unescaped.
func parseFilter(q url.Values, def time.Duration) Filter {
	f := Filter{Envs: clean(q["env"]), Owners: clean(q["owner"]), States: clean(q["state"]),
		Query: strings.TrimSpace(q.Get("q")), Refresh: int(def.Seconds())}
	if len(f.Query) > 200 {
		f.Query = f.Query[:200]
	}
	if v, err := strconv.Atoi(q.Get("refresh")); err == nil && v >= 0 {
		f.Refresh = min(v, maxRefresh)
	}
	f.Per, f.Page = DefaultPer, 1
	if per := q.Get("per"); per == "all" {
		f.Per = 0
	} else if v, err := strconv.Atoi(per); err == nil && v > 0 {
		f.Per = min(v, 10000)
	}
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 1 {
		f.Page = v
	}
	return f
}

func clean(vs []string) []string {
	var out []string
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" && len(v) <= 100 && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Values is the filter as a query (for links that keep it), without the
// refresh when it is the default.
func (f Filter) Values(def time.Duration) url.Values {
	v := url.Values{}
	for _, e := range f.Envs {
		v.Add("env", e)
	}
	for _, o := range f.Owners {
		v.Add("owner", o)
	}
	for _, s := range f.States {
		v.Add("state", s)
	}
	if f.Query != "" {
		v.Set("q", f.Query)
	}
	if f.Refresh != int(def.Seconds()) {
		v.Set("refresh", strconv.Itoa(f.Refresh))
	}
	switch {
	case f.Per == 0:
		v.Set("per", "all")
	case f.Per != DefaultPer && f.Per > 0:
		v.Set("per", strconv.Itoa(f.Per))
	}
	if f.Page > 1 {
		v.Set("page", strconv.Itoa(f.Page))
	}
	return v
}

// Active says the filter hides something.
func (f Filter) Active() bool {
	return len(f.Envs)+len(f.Owners)+len(f.States) > 0 || f.Query != ""
}

// Match says whether an application passes the filter.
func (f Filter) Match(a *cluster.AppStatus) bool {
	if len(f.Envs) > 0 && !slices.Contains(f.Envs, a.Environment) {
		return false
	}
	if len(f.Owners) > 0 && !slices.Contains(f.Owners, a.Owner) {
		return false
	}
	if len(f.States) > 0 {
		tags := Tags(a)
		if !slices.ContainsFunc(f.States, func(s string) bool { return slices.Contains(tags, s) }) {
			return false
		}
	}
	if f.Query != "" && !strings.Contains(strings.ToLower(searchText(a)), strings.ToLower(f.Query)) {
		return false
	}
	return true
}

// Tags are the state filter's values an application has.
func Tags(a *cluster.AppStatus) []string {
	tags := []string{stateSlug(a.State)}
	if b := a.LatestBuild; b != nil {
		switch b.Result {
		case "failed":
			tags = append(tags, "build-failed")
		case "running":
			tags = append(tags, "build-running")
		}
	}
	if a.Signed != "yes" {
		tags = append(tags, "unsigned")
	}
	if a.WaitingFor != "" {
		tags = append(tags, "waiting-for-pin")
	}
	if g := a.Argo; g == nil || g.Sync != "Synced" || g.Health != "Healthy" {
		tags = append(tags, "out-of-sync")
	}
	return tags
}

// stateSlug is a run image state as a filter value ("rebase pending" ->
// "rebase-pending").
func stateSlug(s string) string {
	if s == "" {
		s = cluster.StateUnknown
	}
	return strings.ReplaceAll(s, " ", "-")
}

// searchText is what the search box looks through.
func searchText(a *cluster.AppStatus) string {
	parts := []string{a.Environment, a.Application, a.Namespace, a.ID, a.Owner, a.Source, a.Revision, a.Builder, a.Stack,
		a.Pinned, a.State, a.Why, a.WaitingFor}
	for _, b := range []*cluster.Build{a.LatestBuild, a.LastSuccess} {
		if b != nil {
			parts = append(parts, b.Name, b.Result, b.FailedStep, b.FailureReason, b.Excerpt, b.Refused, b.Revision, strings.Join(b.Reason, " "))
		}
	}
	if g := a.Argo; g != nil {
		parts = append(parts, g.Sync, g.Health)
	}
	return strings.Join(parts, "\n")
}
