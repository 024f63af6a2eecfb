// Package cluster is the facade of what goldenpath reads from, and does
// with, the cluster kpack builds in: Promote pins each app's GitOps folder
// to the image kpack last built for it. The cluster is a *rest.Config the
// caller builds (the goldenpath CLI does, from a kubeconfig or a pod's
// service account); the configuration is goldenpath.Option. The printer is
// PromoteOutput. Per-app status read from the cluster belongs here too.
package cluster
