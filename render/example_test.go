package render_test

import (
	"fmt"
	"strings"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/render"
)

// Render one application: the objects of its GitOps folder and its Argo CD
// Application, each with the path it is written to. Rendering is pure: no
// cluster, registry or file is read.
func ExampleApp() {
	reqs, err := contract.Load("shop.yaml", []byte(`apiVersion: goldenpath.io/v1
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
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	objs, err := render.App(reqs[0], contract.DefaultPlatform(), render.AppOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range objs {
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%-32s %s %s", o.Path, o.Kind(), o.Name())))
	}
	// Output:
	// argocd/dev/shop.yaml             Application shop-dev
	// dev/shop/deployment.yaml         Deployment shop
	// dev/shop/image.yaml              Image shop
	// dev/shop/kustomization.yaml      Kustomization
	// dev/shop/service.yaml            Service shop
}
