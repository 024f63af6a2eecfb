// Command fleet is the fleet use of the facade: plan and rebase images.
package main

import (
	"context"
	"os"

	"github.com/goldenpath-dev/goldenpath/goldenpath/fleet"
)

func main() {
	req := fleet.Request{Images: os.Args[1:]}
	plan, err := fleet.Plan(context.Background(), fleet.PlanRequest{Request: req})
	if err != nil {
		panic(err)
	}
	rep, err := fleet.Rebase(context.Background(), fleet.RebaseRequest{Request: req, DryRun: true})
	if err != nil {
		panic(err)
	}
	p, _ := fleet.PlanOutput(false).Get("text")
	_ = p.Print(os.Stdout, plan)
	r, _ := fleet.RebaseOutput(nil).Get("text")
	_ = r.Print(os.Stdout, rep)
}
