// Package fleet works across many apps' images at once: the plan (what
// each app needs: nothing, a rebase or a rebuild, with evidence), the
// registry-side rebase (the lifecycle's rules and the image surgery), and
// the stack updater that keeps kpack's ClusterStacks on the platform's
// current run and build images.
package fleet
