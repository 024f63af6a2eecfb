package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"sigs.k8s.io/yaml"
)

// PinDeployment pins a rendered Deployment (the deployment.yaml of an
// application's GitOps folder, as App renders it) to a built image by
// digest, and returns the file exactly as App renders it with
// AppOptions{Image: image}: the app container's image, its pull policy
// (IfNotPresent: a digest never changes) and the image-source annotation
// ("pinned"). Everything else is kept as it is. It is how the in-cluster
// controller pins what kpack built without the application's contract: the
// folder in git is the rendered contract.
func PinDeployment(deploymentYAML []byte, image string) ([]byte, error) {
	d, err := name.NewDigest(image)
	if err != nil {
		return nil, fmt.Errorf("image %q must be pinned by digest (registry/repo@sha256:...): %w", image, err)
	}
	obj, err := decodeYAMLObject(deploymentYAML)
	if err != nil {
		return nil, err
	}
	o := Object{Value: obj}
	if o.APIVersion() != "apps/v1" || o.Kind() != "Deployment" {
		return nil, fmt.Errorf("not a Deployment but %s %s", o.APIVersion(), o.Kind())
	}
	m := meta(obj)
	ann, _ := m["annotations"].(map[string]any)
	if ann == nil || ann[ImageSourceAnnotation] == nil {
		return nil, fmt.Errorf("the Deployment %s was not rendered by goldenpath (no %s annotation)", o.Name(), ImageSourceAnnotation)
	}
	spec, _ := obj["spec"].(map[string]any)
	tmpl, _ := spec["template"].(map[string]any)
	pod, _ := tmpl["spec"].(map[string]any)
	containers, _ := pod["containers"].([]any)
	var app map[string]any
	for _, c := range containers {
		if cm, ok := c.(map[string]any); ok && cm["name"] == "app" {
			app = cm
		}
	}
	if app == nil {
		return nil, fmt.Errorf("the Deployment %s has no container named app", o.Name())
	}
	app["image"] = d.String()
	app["imagePullPolicy"] = "IfNotPresent"
	ann[ImageSourceAnnotation] = "pinned"
	return o.YAML()
}

// DeploymentImage reads the app container's image of a rendered
// Deployment file ("" when it has none).
func DeploymentImage(deploymentYAML []byte) (string, error) {
	obj, err := decodeYAMLObject(deploymentYAML)
	if err != nil {
		return "", err
	}
	spec, _ := obj["spec"].(map[string]any)
	tmpl, _ := spec["template"].(map[string]any)
	pod, _ := tmpl["spec"].(map[string]any)
	containers, _ := pod["containers"].([]any)
	for _, c := range containers {
		if cm, ok := c.(map[string]any); ok && cm["name"] == "app" {
			img, _ := cm["image"].(string)
			return img, nil
		}
	}
	return "", nil
}

// decodeYAMLObject reads one YAML document into plain values, numbers as
// json.Number so that they encode back unchanged.
func decodeYAMLObject(data []byte) (map[string]any, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, errors.New("empty document")
	}
	if dec.More() {
		return nil, errors.New("more than one document")
	}
	return obj, nil
}
