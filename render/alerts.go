package render

import (
	"path"
	"strings"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// The metrics goldenpath's controller (goldenpath/controller) exports on
// /metrics and the rendered alerts read. kpack exports no metrics of its
// own: the controller derives the kpack_* series from the kpack objects.
const (
	// MetricBuildStatus is a gauge per kpack Image (labels image, namespace,
	// status): 1 for the status of the Image's latest build (succeeded,
	// failed or running), 0 for the others.
	MetricBuildStatus = "kpack_build_status"
	// MetricBuildDuration is a histogram of kpack build durations in
	// seconds, Build creation to completion (label result).
	MetricBuildDuration = "kpack_build_duration_seconds"
	// MetricRebuilds counts the kpack Builds seen, by reason (CONFIG,
	// COMMIT, BUILDPACK, STACK, LIFECYCLE, TRIGGER; a build with several
	// reasons counts once for each).
	MetricRebuilds = "kpack_image_rebuilds_total"
	// MetricBuilderReady is a gauge per kpack ClusterBuilder (label
	// builder): 1 when Ready, else 0.
	MetricBuilderReady = "kpack_builder_ready"
	// MetricPromotions counts pins written to the GitOps repository (labels
	// environment, result: pinned, unchanged, error).
	MetricPromotions = "goldenpath_promotions_total"
	// MetricRefusals counts builds the verify gate refused to pin (label
	// reason: unsigned, key-mismatch, no-attestation, error).
	MetricRefusals = "goldenpath_promotion_refusals_total"
	// MetricWebhookDeliveries counts git webhook deliveries (labels provider,
	// result: accepted, ignored, bad-signature, unknown-repository,
	// too-large, replay, bad-request, disabled).
	MetricWebhookDeliveries = "goldenpath_webhook_deliveries_total"
	// MetricBuildToPin is a histogram of the seconds from a build's
	// completion to its pin being pushed (label environment).
	MetricBuildToPin = "goldenpath_build_to_pin_seconds"
	// MetricBuildFailures counts failed builds by failing step (label step).
	MetricBuildFailures = "goldenpath_build_failures_total"
)

// RunbookURL is where each alert's runbook annotation points: the section
// of docs/runbooks.md named after the alert, lower case.
const RunbookURL = "https://github.com/goldenpath-dev/goldenpath/blob/main/docs/runbooks.md"

// Alert is one rendered alerting rule.
type Alert struct {
	Name, Expr, For, Summary, Description string
}

// Alerts are the rules of the rendered PrometheusRule: the seed's two build
// alerts (a failed build for 5 minutes, a builder not ready for 10) and
// goldenpath's own (the verify gate refused a build, promotions failing).
func Alerts() []Alert {
	return []Alert{
		{
			Name:        "KpackBuildFailed",
			Expr:        `max by (namespace, image) (` + MetricBuildStatus + `{status="failed"}) == 1`,
			For:         "5m",
			Summary:     "kpack Image {{ $labels.namespace }}/{{ $labels.image }}: its latest build has failed for 5 minutes.",
			Description: "`goldenpath status {{ $labels.image }}` names the failing step and shows the end of its log; `goldenpath logs {{ $labels.image }}` prints the whole build log.",
		},
		{
			Name:        "KpackBuilderNotReady",
			Expr:        `max by (builder) (` + MetricBuilderReady + `) == 0`,
			For:         "10m",
			Summary:     "kpack ClusterBuilder {{ $labels.builder }} has not been ready for 10 minutes: no app using it can build.",
			Description: "`kubectl describe clusterbuilder {{ $labels.builder }}` gives kpack's reason (a stack or store image it cannot read, a missing lifecycle).",
		},
		{
			Name:        "GoldenpathPromotionRefused",
			Expr:        `sum by (reason) (increase(` + MetricRefusals + `[15m])) > 0`,
			Summary:     "goldenpath refused to pin a build ({{ $labels.reason }}): an image that does not verify with the platform's key was built.",
			Description: "The refused build carries an Event on its kpack Image (`kubectl describe image.kpack.io`); `goldenpath status` shows signed: no.",
		},
		{
			Name:        "GoldenpathPromotionFailing",
			Expr:        `sum by (environment) (increase(` + MetricPromotions + `{result="error"}[10m])) > 0 and on (environment) sum by (environment) (increase(` + MetricPromotions + `{result="pinned"}[10m])) == 0`,
			For:         "10m",
			Summary:     "goldenpath has failed to push pins to the GitOps repository of {{ $labels.environment }} for 10 minutes.",
			Description: "The controller's log says why (`kubectl logs deploy/goldenpath-controller`): the git server is down, or its credentials (the controller's git Secret) are refused.",
		},
	}
}

// prometheusRule renders the alerts for the Prometheus Operator.
func prometheusRule(p *contract.Platform) Object {
	var rules []any
	for _, a := range Alerts() {
		rule := map[string]any{
			"alert":  a.Name,
			"expr":   a.Expr,
			"labels": map[string]any{"severity": "warning", "team": "platform"},
			"annotations": map[string]any{
				"summary":     a.Summary,
				"description": a.Description,
				"runbook_url": RunbookURL + "#" + strings.ToLower(a.Name),
			},
		}
		if a.For != "" {
			rule["for"] = a.For
		}
		rules = append(rules, rule)
	}
	return Object{
		Path: path.Join("platform", "monitoring", "prometheusrule.yaml"),
		Value: map[string]any{
			"apiVersion": "monitoring.coreos.com/v1",
			"kind":       "PrometheusRule",
			"metadata": map[string]any{
				"name":      "goldenpath-builds",
				"namespace": p.Build.Namespace,
				"labels":    stringMap(map[string]string{"app.kubernetes.io/managed-by": ManagedBy, "app.kubernetes.io/part-of": p.Name}),
			},
			"spec": map[string]any{
				"groups": []any{map[string]any{"name": "goldenpath.builds", "rules": rules}},
			},
		},
	}
}
