package fleet

import "github.com/goldenpath-dev/goldenpath/pipeline/fleet"

// The results, as pipeline/fleet defines them.
type (
	// PlanReport is what Plan found, per image.
	PlanReport = fleet.Plan
	// PlanItem is one image's action, reasons and evidence.
	PlanItem = fleet.PlanItem
	// Action is what an image needs.
	Action = fleet.Action
	// Reason is why (kpack's build reasons).
	Reason = fleet.Reason
	// Evidence is one comparison behind a reason.
	Evidence = fleet.Evidence
	// RebaseReport is what Rebase did, per image.
	RebaseReport = fleet.RebaseReport
	// RebaseResult is one image's rebase.
	RebaseResult = fleet.RebaseResult
	// RebaseStatus is what happened to one image.
	RebaseStatus = fleet.RebaseStatus
	// StackUpdater keeps a platform's ClusterStacks on the current
	// digests of their images (NewStackUpdater).
	StackUpdater = fleet.StackUpdater
	// StackReport is one stack update.
	StackReport = fleet.StackReport
	// StackChange is one ClusterStack image that moved.
	StackChange = fleet.StackChange
	// StackImage is one builder's stack image and the digest it resolved to.
	StackImage = fleet.StackImage
)

// The actions.
const (
	ActionRebuild = fleet.ActionRebuild
	ActionRebase  = fleet.ActionRebase
	ActionNothing = fleet.ActionNothing
	ActionSkip    = fleet.ActionSkip
	ActionError   = fleet.ActionError
)

// The rebase statuses.
const (
	RebaseRebased     = fleet.RebaseRebased
	RebaseWouldRebase = fleet.RebaseWouldRebase
	RebaseUpToDate    = fleet.RebaseUpToDate
	RebaseFailed      = fleet.RebaseFailed
)
