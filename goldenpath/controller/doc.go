// Package controller is goldenpath's in-cluster controller: the component
// that makes the golden path run by itself once kpack and Argo CD are
// installed. One process (Run, started by `goldenpath controller`) holds
// these reconcilers, each of which can also be embedded on its own:
//
//   - WebhookReceiver: git push webhooks (GitHub, GitLab, Gitea/Forgejo and
//     a generic JSON form), verified against a Secret, make kpack resolve the
//     pushed source now (its SourceResolver is annotated; kpack itself polls
//     every minute) and Argo CD refresh the Applications of a pushed GitOps
//     repository.
//   - Promoter: when kpack builds a new image for an application, it
//     verifies the image's cosign signature (and SLSA provenance where the
//     platform asks) with the platform's public key, pins the application's
//     GitOps folder to the digest in one commit (never an older build over
//     a newer one, never a force push), and asks Argo CD to refresh.
//   - Insight: a failed build gets its failing step and the end of that
//     step's log as annotations on the kpack Build and an Event on the Image.
//   - the stack updater (goldenpath platform update-stacks) on an interval.
//   - Metrics: kpack_build_status, kpack_build_duration_seconds,
//     kpack_image_rebuilds_total, kpack_builder_ready and goldenpath's own,
//     which the rendered PrometheusRule alerts on.
//
// State lives in the cluster (annotations on kpack Builds, a ConfigMap of
// recent webhook deliveries, the leader lease) and in git (the pins and
// their commit trailers), never only in memory: a restarted controller
// carries on where the last one stopped.
package controller
