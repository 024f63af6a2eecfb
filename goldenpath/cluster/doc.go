// Package cluster reads the golden path's state from the cluster kpack
// builds in, and acts on it: per application, what kpack last built (and
// why, and whether it failed, where and with which message), whether it
// was signed and pinned, what runs, and whether it runs on the newest run
// image of its ClusterStack; per ClusterStack, how far the roll-out of its
// newest run image is (Status, a Fleet); a build's logs step by step
// (Logs); and Promote, which pins each app's GitOps folder to the image
// kpack last built for it. The CLI's `goldenpath status`, `logs` and
// `promote` print them (StatusOutput, PromoteOutput); goldenpath/statuspage
// serves the same Fleet as a web page and a JSON API, through StatusOutput.
//
// The cluster is a *rest.Config the caller builds (KubeConfig makes one
// from a kubeconfig file, a pod's service account or $KUBECONFIG); the
// configuration of Promote is goldenpath.Option.
package cluster
