// Package render turns validated AppDeploymentRequests and a Platform into
// the objects a cluster needs: the kpack Image that builds and rebases the
// app, the runtime manifests (Deployment, Service, Ingress, service
// bindings), the Argo CD Application that syncs them, and the platform-wide
// kpack, Argo CD and alerting objects.
//
// Rendering is pure: no file, network or clock is read, and the output is a
// function of the inputs alone. Objects come out sorted and their YAML with
// sorted keys, so rendering twice gives byte-identical output and GitOps
// diffs show only real changes. Writing the tree to disk is the caller's
// business (see Tree and the goldenpath facade).
package render
