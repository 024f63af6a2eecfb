package goldenpath_test

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/render"
)

func ExampleLoad() {
	reqs, err := goldenpath.Load("payments.yaml", []byte(`apiVersion: goldenpath.io/v1
kind: AppDeploymentRequest
id: APP-0001
environment: dev
owner: payments-team
application: payments-api
spec:
  source:
    git:
      url: https://github.com/org/payments-api
  runtime:
    replicas: 0
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := reqs[0]
	// Defaults are applied: buildpack build on the default builder, port 8080.
	fmt.Println(r.Application, r.Spec.Build.Type, r.Spec.Build.Builder, *r.Spec.Runtime.Port, *r.Spec.Runtime.Replicas)
	// Output: payments-api buildpack default 8080 0
}

func ExampleLoad_errors() {
	_, err := goldenpath.Load("payments.yaml", []byte(`apiVersion: goldenpath.io/v1
kind: AppDeploymentRequest
id: APP-1
environment: qa
owner: payments-team
application: payments-api
spec:
  source:
    git:
      url: https://github.com/org/payments-api
  runtime:
    replicas: -1
    resource: {}
`))
	for _, e := range contract.AsErrors(err) {
		fmt.Printf("%s:%d:%d %s: %s\n", e.File, e.Line, e.Column, e.Path, e.Message)
	}
	// Output:
	// payments.yaml:3:5 id: "APP-1" is not a request id
	// payments.yaml:4:14 environment: unsupported environment "qa"
	// payments.yaml:12:15 spec.runtime.replicas: must be >= 0
	// payments.yaml:13:5 spec.runtime.resource: unknown field "resource"
}

func ExampleValidatePaths() {
	report, err := goldenpath.ValidatePaths(context.Background(), []string{"../examples/contracts"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("valid:", report.Valid())
	// Output: valid: true
}

// Render an application: the objects of one request, as the GitOps tree's
// files (render.Tree) or one YAML stream (render.Stream).
func ExampleRenderRequests() {
	reqs, err := goldenpath.Load("web.yaml", []byte(`apiVersion: goldenpath.io/v1
kind: AppDeploymentRequest
id: APP-0002
environment: dev
owner: web-team
application: web
spec:
  source:
    git:
      url: https://github.com/org/web
  runtime:
    replicas: 1
  ingress:
    enabled: true
    host: web.dev.goldenpath.io
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	objs, err := goldenpath.RenderRequests(reqs, goldenpath.WithPlatform(contract.DefaultPlatform()))
	if err != nil {
		fmt.Println(err)
		return
	}
	files, err := render.Tree(objs)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		fmt.Println(name)
	}
	// Output:
	// argocd/dev/web.yaml
	// dev/web/deployment.yaml
	// dev/web/image.yaml
	// dev/web/ingress.yaml
	// dev/web/kustomization.yaml
	// dev/web/service.yaml
}

// Options are checked when they are applied: a bad value or a
// single-valued option given twice is an error before any work starts.
func ExampleCheckOptions() {
	fmt.Println(goldenpath.CheckOptions(goldenpath.WithConcurrency(4), goldenpath.WithInsecureRegistries("registry.local:5000")))
	fmt.Println(goldenpath.CheckOptions(goldenpath.WithConcurrency(4), goldenpath.WithConcurrency(8)))
	fmt.Println(goldenpath.CheckOptions(goldenpath.WithInsecureRegistries("http://registry.local")))
	// Output:
	// <nil>
	// WithConcurrency given twice: give it once
	// WithInsecureRegistries: "http://registry.local" is not a registry host[:port]
}
