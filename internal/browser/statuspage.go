package browser

import "context"

// AppRow is a row of the status page's applications table as the browser
// shows it: each field is the text of the element marked with its
// data-field (textContent, what a reader sees, not the HTML).
type AppRow struct {
	Environment string `json:"environment"`
	Application string `json:"application"`
	ID          string `json:"id"`
	Owner       string `json:"owner"`
	Revision    string `json:"revision"`
	Pinned      string `json:"pinned"`
	Result      string `json:"result"`
	FailedStep  string `json:"failed-step"`
	Excerpt     string `json:"excerpt"`
	Refused     string `json:"refused"`
	State       string `json:"state"`
	Why         string `json:"why"`
	Signed      string `json:"signed"`
	Provenance  string `json:"provenance"`
	Sync        string `json:"sync"`
	Health      string `json:"health"`
	// Waiting is the pin cell's "waiting for the first verified pin" and
	// WaitingFor why (render's verify gate); "" when it does not wait.
	Waiting    string `json:"waiting"`
	WaitingFor string `json:"waiting-for"`
	// ExcerptShown: the excerpt's <details> is open (expanded).
	ExcerptShown bool `json:"excerptShown"`
}

const readApps = `Array.from(document.querySelectorAll('table.apps tbody tr')).map(tr => {
  const f = name => { const e = tr.querySelector('[data-field="' + name + '"]'); return e ? e.textContent.trim() : ''; };
  const d = tr.querySelector('details.failure');
  return {environment: tr.dataset.environment, application: tr.dataset.application, id: f('id'), owner: f('owner'),
    revision: f('revision'), pinned: f('pinned'), result: f('result'), 'failed-step': f('failed-step'),
    excerpt: f('excerpt'), refused: f('refused'), state: f('state'), why: f('why'), signed: f('signed'),
    provenance: f('provenance'), sync: f('sync'), health: f('health'), waiting: f('waiting'), 'waiting-for': f('waiting-for'), excerptShown: !!(d && d.open)};
})`

// Apps reads the applications table of the page.
func (p *Page) Apps(ctx context.Context) ([]AppRow, error) {
	var rows []AppRow
	err := p.Eval(ctx, readApps, &rows)
	return rows, err
}

// RolloutSection is a ClusterStack's roll-out on the status page.
type RolloutSection struct {
	Stack   string `json:"stack"`
	Serving string `json:"serving"`
	Apps    string `json:"apps"`
	Share   string `json:"share"`
	Pinned  string `json:"pinned"`
	Built   string `json:"built"`
	// Lines counts the plot's polylines, Points the serving line's points.
	Lines  int          `json:"lines"`
	Points int          `json:"points"`
	Behind []BehindCell `json:"behind"`
}

// BehindCell is an application still behind.
type BehindCell struct {
	Environment string `json:"environment"`
	Application string `json:"application"`
	State       string `json:"state"`
	Why         string `json:"why"`
}

const readRollouts = `Array.from(document.querySelectorAll('section.rollout')).map(s => {
  const f = name => { const e = s.querySelector('[data-field="' + name + '"]'); return e ? e.textContent.trim() : ''; };
  const serving = s.querySelector('polyline.serving');
  return {stack: s.dataset.stack, serving: f('serving'), apps: f('apps'), share: f('share'), pinned: f('pinned'), built: f('built'),
    lines: s.querySelectorAll('svg polyline').length, points: serving ? serving.points.numberOfItems : 0,
    behind: Array.from(s.querySelectorAll('table.behind tbody tr')).map(tr => ({environment: tr.dataset.environment,
      application: tr.dataset.application, state: tr.dataset.state, why: tr.querySelector('[data-field="why"]').textContent.trim()}))};
})`

// Rollouts reads the roll-out view of the page.
func (p *Page) Rollouts(ctx context.Context) ([]RolloutSection, error) {
	var out []RolloutSection
	err := p.Eval(ctx, readRollouts, &out)
	return out, err
}
