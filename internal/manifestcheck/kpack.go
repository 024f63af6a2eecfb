package manifestcheck

import (
	"context"
	"reflect"
	"strings"

	"github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"knative.dev/pkg/apis"
	knativejson "knative.dev/pkg/webhook/json"
	sigsjson "sigs.k8s.io/json"
)

// kpackObject is what kpack's admission webhook needs of a resource.
type kpackObject interface {
	SetDefaults(context.Context)
	Validate(context.Context) *apis.FieldError
}

// kpackTypes are the v1alpha2 kinds kpack's webhook defaults and validates
// (kpack cmd/webhook/main.go).
var kpackTypes = map[schema.GroupVersionKind]func() kpackObject{
	v1alpha2.SchemeGroupVersion.WithKind(v1alpha2.ImageKind):            func() kpackObject { return &v1alpha2.Image{} },
	v1alpha2.SchemeGroupVersion.WithKind(v1alpha2.BuildKind):            func() kpackObject { return &v1alpha2.Build{} },
	v1alpha2.SchemeGroupVersion.WithKind(v1alpha2.BuilderKind):          func() kpackObject { return &v1alpha2.Builder{} },
	v1alpha2.SchemeGroupVersion.WithKind(v1alpha2.BuildpackKind):        func() kpackObject { return &v1alpha2.Buildpack{} },
	v1alpha2.SchemeGroupVersion.WithKind(v1alpha2.ClusterBuilderKind):   func() kpackObject { return &v1alpha2.ClusterBuilder{} },
	v1alpha2.SchemeGroupVersion.WithKind(v1alpha2.ClusterBuildpackKind): func() kpackObject { return &v1alpha2.ClusterBuildpack{} },
	v1alpha2.SchemeGroupVersion.WithKind(v1alpha2.ClusterStoreKind):     func() kpackObject { return &v1alpha2.ClusterStore{} },
	v1alpha2.SchemeGroupVersion.WithKind(v1alpha2.ClusterStackKind):     func() kpackObject { return &v1alpha2.ClusterStack{} },
	v1alpha2.SchemeGroupVersion.WithKind(v1alpha2.ClusterLifecycleKind): func() kpackObject { return &v1alpha2.ClusterLifecycle{} },
}

// checkKpack does what kpack's webhooks do on create: the defaulting
// webhook runs SetDefaults, the validating webhook decodes the object
// strictly (unknown fields outside metadata are errors) and runs Validate.
// data is the object as the client sent it.
func (c *Checker) checkKpack(data []byte, obj kpackObject, r *report) {
	// kpack's decoder (encoding/json) names no field path and matches keys
	// case-insensitively; a case-sensitive strict decode, as the API server
	// does for built-in kinds, finds unknown fields with their paths and
	// also reports miscased keys.
	unknown := 0
	strictErrs, _ := sigsjson.UnmarshalStrict(data, reflect.New(reflect.TypeOf(obj).Elem()).Interface())
	for _, e := range strictErrs {
		if fe, ok := e.(sigsjson.FieldError); ok && !strings.HasPrefix(fe.FieldPath(), "metadata.") {
			r.add(fe.FieldPath(), "kpack webhook: "+strings.SplitN(e.Error(), ` "`, 2)[0])
			unknown++
		}
	}
	if err := knativejson.Decode(data, obj, true); err != nil {
		if unknown == 0 {
			r.add("", "kpack webhook: cannot decode: "+err.Error())
		}
		return
	}
	ctx := apis.WithinCreate(context.Background())
	if c.DefaultStorageClass {
		ctx = context.WithValue(ctx, v1alpha2.HasDefaultStorageClass, true)
	}
	obj.SetDefaults(ctx)
	fe := obj.Validate(ctx).Filter(apis.ErrorLevel)
	if fe == nil {
		return
	}
	for _, e := range fe.WrappedErrors() {
		detail := "kpack webhook: " + e.Message
		if e.Details != "" {
			detail += ": " + e.Details
		}
		r.add(strings.Join(e.Paths, ", "), detail)
	}
}
