package goldenpath

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
)

func TestPickRequest(t *testing.T) {
	a := &contract.AppDeploymentRequest{Application: "a"}
	b := &contract.AppDeploymentRequest{Application: "b"}
	r, err := PickRequest([]*contract.AppDeploymentRequest{a}, "")
	require.NoError(t, err)
	assert.Same(t, a, r, "the only one")
	r, err = PickRequest([]*contract.AppDeploymentRequest{a, b}, "b")
	require.NoError(t, err)
	assert.Same(t, b, r)
	_, err = PickRequest([]*contract.AppDeploymentRequest{a, b}, "")
	assert.EqualError(t, err, "2 requests: name the application to use")
	_, err = PickRequest([]*contract.AppDeploymentRequest{a}, "c")
	assert.EqualError(t, err, `no request for application "c"`)
	_, err = PickRequest(nil, "")
	assert.EqualError(t, err, "no AppDeploymentRequest found")
}
