// Package fleet is the facade of goldenpath's fleet work on images in
// their registries: Plan (which app images need a rebuild, a rebase or
// nothing, and why), Rebase (swap the run image under app images, a
// manifest per image) and the stack updater (keep kpack's ClusterStacks
// on the current digests of their images, or render them pinned).
//
// Image lists are []string (ParseImageList reads one from an io.Reader),
// a resumed rebase takes the earlier report as a value (ReadRebaseReport),
// a cluster is a *rest.Config: files and stdin are the caller's. The
// configuration is goldenpath.Option (WithPlatform, WithConcurrency, the
// registry options). The printers are PlanOutput, RebaseOutput and
// StackOutput.
package fleet
