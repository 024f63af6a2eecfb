//go:build promtool

package render_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/render"
)

// promtool is Prometheus' rule tester built by
// hack/controller/build-promtool.sh (GOLDENPATH_PROMTOOL overrides).
func promtool(t *testing.T) string {
	if p := os.Getenv("GOLDENPATH_PROMTOOL"); p != "" {
		return p
	}
	matches, _ := filepath.Glob(filepath.Join(testenv.Cache(), "promtool", "v*", "promtool"))
	if len(matches) == 0 {
		t.Fatal("no promtool: run `bash hack/controller/build-promtool.sh` (builds it from the prometheus module)")
	}
	return matches[len(matches)-1]
}

// ruleFile writes the rendered PrometheusRule's groups as a Prometheus rule
// file.
func ruleFile(t *testing.T, dir string) string {
	objs, err := render.Platform(platform(t, ""))
	require.NoError(t, err)
	rule := find(objs, "PrometheusRule")
	require.NotNil(t, rule)
	data, err := json.Marshal(map[string]any{"groups": rule.Value["spec"].(map[string]any)["groups"]})
	require.NoError(t, err)
	y, err := yaml.JSONToYAML(data)
	require.NoError(t, err)
	f := filepath.Join(dir, "rules.yaml")
	require.NoError(t, os.WriteFile(f, y, 0o644))
	return f
}

// annotations are an alert's annotations with its labels filled in, as
// promtool expects them.
func annotations(alert string, labels map[string]string) map[string]string {
	for _, a := range render.Alerts() {
		if a.Name != alert {
			continue
		}
		fill := func(s string) string {
			for k, v := range labels {
				s = strings.ReplaceAll(s, "{{ $labels."+k+" }}", v)
			}
			return s
		}
		return map[string]string{"summary": fill(a.Summary), "description": fill(a.Description),
			"runbook_url": render.RunbookURL + "#" + strings.ToLower(a.Name)}
	}
	return nil
}

type alertCase struct {
	EvalTime string           `json:"eval_time"`
	Alert    string           `json:"alertname"`
	Exp      []map[string]any `json:"exp_alerts"`
}

func expect(alert, at string, labels map[string]string) alertCase {
	c := alertCase{EvalTime: at, Alert: alert, Exp: []map[string]any{}}
	if labels != nil {
		l := map[string]string{"severity": "warning", "team": "platform"}
		for k, v := range labels {
			l[k] = v
		}
		c.Exp = append(c.Exp, map[string]any{"exp_labels": l, "exp_annotations": annotations(alert, labels)})
	}
	return c
}

// The rendered alerts, tested by the real promtool against series shaped
// like what goldenpath's controller exports (the same names and labels as
// goldenpath/controller's collectors): a build failed for 5 minutes, a
// builder not ready for 10, a refused build, promotions failing for 10.
func TestAlertRulesWithPromtool(t *testing.T) {
	bin := promtool(t)
	dir := t.TempDir()
	rules := ruleFile(t, dir)
	failed := map[string]string{"namespace": "apps-dev", "image": "payments-api"}
	builder := map[string]string{"builder": "default"}
	tests := map[string]any{
		"rule_files":          []string{rules},
		"evaluation_interval": "1m",
		"tests": []any{map[string]any{
			"interval": "1m",
			"input_series": []any{
				// payments-api's latest build failed at minute 1; orders-api's succeeded.
				map[string]any{"series": `kpack_build_status{image="payments-api",namespace="apps-dev",status="failed"}`, "values": "0 1x20"},
				map[string]any{"series": `kpack_build_status{image="payments-api",namespace="apps-dev",status="succeeded"}`, "values": "1 0x20"},
				map[string]any{"series": `kpack_build_status{image="orders-api",namespace="apps-dev",status="failed"}`, "values": "0x20"},
				map[string]any{"series": `kpack_build_status{image="orders-api",namespace="apps-dev",status="succeeded"}`, "values": "1x20"},
				map[string]any{"series": `kpack_builder_ready{builder="default"}`, "values": "1 0x20"},
				map[string]any{"series": `kpack_builder_ready{builder="java"}`, "values": "1x20"},
				map[string]any{"series": `goldenpath_promotion_refusals_total{reason="unsigned"}`, "values": "0 0 1x20"},
				map[string]any{"series": `goldenpath_promotions_total{environment="dev",result="error"}`, "values": "0+1x25"},
				map[string]any{"series": `goldenpath_promotions_total{environment="dev",result="pinned"}`, "values": "3x25"},
				map[string]any{"series": `goldenpath_promotions_total{environment="prod",result="pinned"}`, "values": "0+1x25"},
			},
			"alert_rule_test": []any{
				expect("KpackBuildFailed", "5m", nil), // pending: failed for 4 minutes
				expect("KpackBuildFailed", "6m", failed),
				expect("KpackBuilderNotReady", "10m", nil),
				expect("KpackBuilderNotReady", "11m", builder),
				expect("GoldenpathPromotionRefused", "1m", nil),
				expect("GoldenpathPromotionRefused", "3m", map[string]string{"reason": "unsigned"}),
				expect("GoldenpathPromotionFailing", "9m", nil),
				expect("GoldenpathPromotionFailing", "13m", map[string]string{"environment": "dev"}),
			},
		}},
	}
	run := func(tests map[string]any) (string, error) {
		data, err := json.Marshal(tests)
		require.NoError(t, err)
		y, err := yaml.JSONToYAML(data)
		require.NoError(t, err)
		f := filepath.Join(dir, "tests.yaml")
		require.NoError(t, os.WriteFile(f, y, 0o644))
		out, err := exec.Command(bin, "test", "rules", f).CombinedOutput()
		return string(out), err
	}
	out, err := run(tests)
	require.NoError(t, err, "promtool test rules:\n%s", out)
	t.Logf("promtool test rules:\n%s", out)

	// The tester can fail: expecting KpackBuildFailed a minute early is
	// wrong (it is still pending then).
	tests["tests"].([]any)[0].(map[string]any)["alert_rule_test"] = []any{expect("KpackBuildFailed", "5m", failed)}
	out, err = run(tests)
	require.Error(t, err, "promtool accepted a wrong expectation:\n%s", out)
	require.Contains(t, out, "KpackBuildFailed")
	// And the rules themselves pass promtool's checker.
	check, err := exec.Command(bin, "check", "rules", rules).CombinedOutput()
	require.NoError(t, err, "%s", check)
}
