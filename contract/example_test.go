package contract_test

import (
	"fmt"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// Load a contract, validate it and admit it against the platform's policy
// for its environment: each problem names the file, line and field.
func Example() {
	data := []byte(`apiVersion: goldenpath.io/v1
kind: AppDeploymentRequest
id: APP-0042
environment: dev
owner: shop-team
application: shop
spec:
  source:
    git: {url: "https://git.example/shop", branch: main}
  build: {type: buildpack, builder: default}
  runtime:
    replicas: 1
    resources: {memory: 256Mi, cpu: 100m}
`)
	reqs, err := contract.Load("shop.yaml", data)
	if err != nil {
		fmt.Println(err)
		return
	}
	platform := contract.DefaultPlatform()
	for _, r := range reqs {
		if errs := r.Validate(); len(errs) > 0 {
			fmt.Println(errs)
			continue
		}
		if errs := platform.Admit(r); len(errs) > 0 {
			fmt.Println(errs)
			continue
		}
		fmt.Printf("%s/%s owned by %s: admitted\n", r.Environment, r.Application, r.Owner)
	}
	// Output: dev/shop owned by shop-team: admitted
}

// A field the contract does not have is an error at its line, never ignored.
func ExampleLoad_unknownField() {
	_, err := contract.Load("shop.yaml", []byte(`apiVersion: goldenpath.io/v1
kind: AppDeploymentRequest
id: APP-0042
environment: dev
owner: shop-team
application: shop
spec:
  source:
    git: {url: "https://git.example/shop", branch: main}
  runtime:
    replica: 3
`))
	fmt.Println(err)
	// Output: shop.yaml:11:5: spec.runtime.replica: unknown field "replica" (did you mean "replicas"?)
}
