package render_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"knative.dev/pkg/apis"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/golden"
	"github.com/goldenpath-dev/goldenpath/render"
)

// cases are the requests rendered by the tests, each against a platform.
var cases = []struct {
	name, contract, platform string
}{
	{"seed", "../examples/contracts/dev/payments-api.yaml", ""},
	{"full-acme", "../contract/testdata/valid-full.yaml", "testdata/platform.yaml"},
	{"dockerfile", "../contract/testdata/valid-dockerfile.yaml", ""},
	{"multi", "../contract/testdata/valid-multi.yaml", ""},
	{"anchors-acme", "../contract/testdata/valid-anchors.yaml", "testdata/platform.yaml"},
}

func platform(t testing.TB, file string) *contract.Platform {
	t.Helper()
	if file == "" {
		return contract.DefaultPlatform()
	}
	p, err := contract.LoadPlatformFile(file)
	require.NoError(t, err)
	return p
}

func renderCase(t testing.TB, contractFile, platformFile string, opts render.AppOptions) []render.Object {
	t.Helper()
	reqs, err := contract.LoadFile(contractFile)
	require.NoError(t, err)
	p := platform(t, platformFile)
	var all []render.Object
	for _, r := range reqs {
		objs, err := render.App(r, p, opts)
		require.NoError(t, err)
		all = append(all, objs...)
	}
	render.Sort(all)
	return all
}

func TestGolden(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := streamBytes(renderCase(t, tc.contract, tc.platform, render.AppOptions{}))
			require.NoError(t, err)
			golden.Assert(t, filepath.Join("testdata", "golden", tc.name+".yaml"), out)
		})
	}
	for _, pf := range []string{"", "testdata/platform.yaml"} {
		name := "platform-default"
		if pf != "" {
			name = "platform-acme"
		}
		t.Run(name, func(t *testing.T) {
			objs, err := render.Platform(platform(t, pf))
			require.NoError(t, err)
			out, err := streamBytes(objs)
			require.NoError(t, err)
			golden.Assert(t, filepath.Join("testdata", "golden", name+".yaml"), out)
		})
	}
}

// TestDeterministic renders each case many times: Go randomizes map order
// on every range, so any map-order leak shows up as a difference.
func TestDeterministic(t *testing.T) {
	for _, tc := range cases {
		first, err := streamBytes(renderCase(t, tc.contract, tc.platform, render.AppOptions{}))
		require.NoError(t, err)
		for range 20 {
			again, err := streamBytes(renderCase(t, tc.contract, tc.platform, render.AppOptions{}))
			require.NoError(t, err)
			require.Equal(t, string(first), string(again), tc.name)
		}
	}
	for range 20 {
		a, _ := render.Platform(platform(t, "testdata/platform.yaml"))
		b, _ := render.Platform(platform(t, "testdata/platform.yaml"))
		sa, _ := streamBytes(a)
		sb, _ := streamBytes(b)
		require.Equal(t, string(sa), string(sb))
	}
}

// kpackObject is a kpack API type as its admission webhook handles it.
type kpackObject[T any] interface {
	*T
	SetDefaults(context.Context)
	Validate(context.Context) *apis.FieldError
}

// kpackValidate decodes data strictly into T and runs what kpack's
// admission webhook runs: SetDefaults, then Validate.
func kpackValidate[T any, PT kpackObject[T]](data []byte) error {
	v := PT(new(T))
	if err := strictJSON(data, v); err != nil {
		return err
	}
	ctx := context.Background()
	v.SetDefaults(ctx)
	if fe := v.Validate(ctx); fe != nil {
		return fe
	}
	return nil
}

var kpackValidators = map[string]func([]byte) error{
	kpack.ImageKind:            kpackValidate[kpack.Image],
	kpack.ClusterBuilderKind:   kpackValidate[kpack.ClusterBuilder],
	kpack.ClusterStackKind:     kpackValidate[kpack.ClusterStack],
	kpack.ClusterStoreKind:     kpackValidate[kpack.ClusterStore],
	kpack.ClusterLifecycleKind: kpackValidate[kpack.ClusterLifecycle],
}

func kpackCheck(t *testing.T, o render.Object) {
	t.Helper()
	data, err := json.Marshal(o.Value)
	require.NoError(t, err)
	validate, ok := kpackValidators[o.Kind()]
	require.True(t, ok, "not a kpack kind: %s", o.Kind())
	assert.NoError(t, validate(data), "kpack rejects %s %s", o.Kind(), o.Name())
}

// allRendered renders every case and both platforms.
func allRendered(t *testing.T) []render.Object {
	t.Helper()
	var objs []render.Object
	for _, tc := range cases {
		objs = append(objs, renderCase(t, tc.contract, tc.platform, render.AppOptions{})...)
	}
	for _, pf := range []string{"", "testdata/platform.yaml"} {
		p, err := render.Platform(platform(t, pf))
		require.NoError(t, err)
		objs = append(objs, p...)
	}
	return objs
}

func TestKpackValidation(t *testing.T) {
	objs := allRendered(t)
	checked := map[string]int{}
	for _, o := range objs {
		if strings.HasPrefix(o.APIVersion(), "kpack.io/") {
			kpackCheck(t, o)
			checked[o.Kind()]++
		}
	}
	for _, k := range []string{"Image", "ClusterBuilder", "ClusterStack", "ClusterStore", "ClusterLifecycle"} {
		assert.NotZero(t, checked[k], "no %s was checked", k)
	}
}

func find(objs []render.Object, kind string) *render.Object {
	for i := range objs {
		if objs[i].Kind() == kind {
			return &objs[i]
		}
	}
	return nil
}

func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

func TestDockerfileRendersNoKpackImage(t *testing.T) {
	objs := renderCase(t, "../contract/testdata/valid-dockerfile.yaml", "", render.AppOptions{})
	assert.Nil(t, find(objs, "Image"))
	d := find(objs, "Deployment")
	require.NotNil(t, d)
	assert.Equal(t, "pipeline", dig(d.Value, "metadata", "annotations", render.ImageSourceAnnotation))
	assert.Equal(t, "registry.goldenpath.io/apps/test/legacy-billing", dig(d.Value, "spec", "template", "spec", "containers", 0, "image"))
}

func TestDigestPin(t *testing.T) {
	ref := "registry.goldenpath.io/apps/dev/payments-api@sha256:" + strings.Repeat("ab", 32)
	objs := renderCase(t, "../examples/contracts/dev/payments-api.yaml", "", render.AppOptions{Image: ref})
	d := find(objs, "Deployment")
	assert.Equal(t, ref, dig(d.Value, "spec", "template", "spec", "containers", 0, "image"))
	assert.Equal(t, "IfNotPresent", dig(d.Value, "spec", "template", "spec", "containers", 0, "imagePullPolicy"))
	assert.NotNil(t, find(objs, "Image"), "kpack keeps building; the Deployment is pinned")

	reqs, err := contract.LoadFile("../examples/contracts/dev/payments-api.yaml")
	require.NoError(t, err)
	_, err = render.App(reqs[0], contract.DefaultPlatform(), render.AppOptions{Image: "registry.goldenpath.io/apps/dev/payments-api:latest"})
	assert.ErrorContains(t, err, "must be pinned by digest")
}

func TestVolumeProjection(t *testing.T) {
	objs := renderCase(t, "../contract/testdata/valid-full.yaml", "testdata/platform.yaml", render.AppOptions{})
	assert.Nil(t, find(objs, "ServiceBinding"), "volume projection renders no ServiceBinding")
	c := dig(find(objs, "Deployment").Value, "spec", "template", "spec", "containers", 0)
	mounts, _ := json.Marshal(dig(c, "volumeMounts"))
	assert.JSONEq(t, `[{"mountPath":"/bindings/checkout-db","name":"binding-checkout-db","readOnly":true},{"mountPath":"/bindings/checkout-redis","name":"binding-checkout-redis","readOnly":true}]`, string(mounts))
	vols, _ := json.Marshal(dig(find(objs, "Deployment").Value, "spec", "template", "spec", "volumes"))
	assert.Contains(t, string(vols), `"secretName":"checkout-db-credentials"`)
}

func TestPolicyRefusesRender(t *testing.T) {
	reqs, err := contract.LoadFile("../contract/testdata/valid-full.yaml")
	require.NoError(t, err)
	_, err = render.App(reqs[0], contract.DefaultPlatform(), render.AppOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `valid-full.yaml:40:13: spec.bindings[0].name: binding "checkout-db" is not in the platform's catalogue`)
}

func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func TestServicePortOfRenderedAndDecodedServices(t *testing.T) {
	objs := renderCase(t, "../examples/contracts/dev/payments-api.yaml", "", render.AppOptions{})
	svc := find(objs, "Service")
	require.NotNil(t, svc)
	assert.Equal(t, render.ServicePort, svc.Port())
	// The same object decoded from YAML (numbers as float64 or int) and another port.
	for _, port := range []any{8443, int64(8443), float64(8443)} {
		o := render.Object{Value: map[string]any{"kind": "Service", "spec": map[string]any{"ports": []any{map[string]any{"port": port}}}}}
		assert.Equal(t, 8443, o.Port(), "%T", port)
	}
	assert.Equal(t, render.ServicePort, render.Object{Value: map[string]any{"kind": "ConfigMap"}}.Port())
}

func TestSecretVolumes(t *testing.T) {
	p, err := contract.LoadPlatformFile("../examples/platform/local.yaml") // bindingProjection: volume
	require.NoError(t, err)
	reqs, err := contract.LoadFile("../examples/contracts/dev/payments-api.yaml")
	require.NoError(t, err)
	objs, err := render.App(reqs[0], p, render.AppOptions{})
	require.NoError(t, err)
	var want []string
	for _, b := range reqs[0].Spec.Bindings {
		want = append(want, p.BindingSecret(b))
	}
	sort.Strings(want)
	require.NotEmpty(t, want)
	assert.Equal(t, want, find(objs, "Deployment").SecretVolumes())
	assert.Empty(t, find(objs, "Service").SecretVolumes())
}
