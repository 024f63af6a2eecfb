package goldenpath

import (
	"errors"
	"fmt"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// PickRequest returns the request of reqs for application, or the only one
// when application is empty. None, or several without an application
// named, is an error that says so.
func PickRequest(reqs []*contract.AppDeploymentRequest, application string) (*contract.AppDeploymentRequest, error) {
	var found []*contract.AppDeploymentRequest
	for _, r := range reqs {
		if application == "" || r.Application == application {
			found = append(found, r)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) == 0 && application != "":
		return nil, fmt.Errorf("no request for application %q", application)
	case len(found) == 0:
		return nil, errors.New("no AppDeploymentRequest found")
	default:
		return nil, fmt.Errorf("%d requests: name the application to use", len(found))
	}
}
