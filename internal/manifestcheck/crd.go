package manifestcheck

import (
	"context"
	"fmt"

	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	sigsjson "sigs.k8s.io/json"
)

// crdVersion is what the API server builds for one served version of a CRD.
type crdVersion struct {
	namespaced bool
	structural *structuralschema.Structural
	validator  apiservervalidation.SchemaValidator
	cel        *cel.Validator // nil when the schema has no x-kubernetes-validations
	hasStatus  bool           // status subresource: create drops .status
}

func (c *Checker) addCRD(doc []byte) error {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(doc, &crd); err != nil {
		return err
	}
	if crd.APIVersion != "apiextensions.k8s.io/v1" || crd.Kind != "CustomResourceDefinition" {
		return fmt.Errorf("%s %s %q is not an apiextensions.k8s.io/v1 CustomResourceDefinition", crd.APIVersion, crd.Kind, crd.Name)
	}
	for _, v := range crd.Spec.Versions {
		if !v.Served {
			continue
		}
		cv, err := newCRDVersion(&crd, v.Name)
		if err != nil {
			return fmt.Errorf("CRD %s version %s: %w", crd.Name, v.Name, err)
		}
		gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}
		if _, dup := c.crds[gvk]; dup {
			return fmt.Errorf("CRD %s: %s given twice", crd.Name, gvk)
		}
		c.crds[gvk] = cv
	}
	return nil
}

// newCRDVersion mirrors the schema set-up of the API server's CRD handler
// (apiextensions-apiserver pkg/apiserver/customresource_handler.go).
func newCRDVersion(crd *apiextensionsv1.CustomResourceDefinition, version string) (*crdVersion, error) {
	val, err := apihelpers.GetSchemaForVersion(crd, version)
	if err != nil {
		return nil, err
	}
	if val == nil || val.OpenAPIV3Schema == nil {
		return nil, fmt.Errorf("no openAPIV3Schema")
	}
	internal := &apiextensions.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(val, internal, nil); err != nil {
		return nil, err
	}
	s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("schema is not structural: %w", err)
	}
	if errs := structuralschema.ValidateStructural(nil, s); len(errs) > 0 {
		return nil, fmt.Errorf("schema is not structural: %w", errs.ToAggregate())
	}
	s = s.DeepCopy()
	if err := structuraldefaulting.PruneDefaults(s); err != nil {
		return nil, err
	}
	validator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, err
	}
	sub, err := apihelpers.GetSubresourcesForVersion(crd, version)
	if err != nil {
		return nil, err
	}
	return &crdVersion{
		namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		structural: s,
		validator:  validator,
		cel:        cel.NewValidator(s, true, celconfig.PerCallLimit),
		hasStatus:  sub != nil && sub.Status != nil,
	}, nil
}

// check runs a create of obj through the steps the API server takes for a
// custom resource with fieldValidation=Strict: decode-time defaulting,
// pruning and metadata coercion (customresource_handler.go), then the
// create strategy (registry/customresource/strategy.go). obj is modified.
func (cv *crdVersion) check(obj map[string]any, r *report) {
	s := cv.structural

	structuraldefaulting.Default(obj, s)

	// unstructuredSchemaCoercer.apply: keep apiVersion/kind/metadata aside,
	// prune what the schema does not know, coerce metadata.
	objectMeta, foundMeta, unknown, err := schemaobjectmeta.GetObjectMetaWithOptions(obj,
		schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		r.add("metadata", err.Error())
		return
	}
	unknown = append(unknown, structuralpruning.PruneWithOptions(obj, s, true,
		structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(obj, s)
	ferr, paths := schemaobjectmeta.CoerceWithOptions(nil, obj, s, false,
		schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	if ferr != nil {
		r.addList(field.ErrorList{ferr})
	}
	unknown = append(unknown, paths...)
	for _, p := range unknown {
		r.add(p, "unknown field (the API server would drop it)")
	}
	u := &unstructured.Unstructured{Object: obj}
	u.SetAPIVersion(r.id.APIVersion)
	u.SetKind(r.id.Kind)
	if foundMeta {
		if err := schemaobjectmeta.SetObjectMeta(obj, objectMeta); err != nil {
			r.add("metadata", err.Error())
			return
		}
	}

	// PrepareForCreate: create cannot set status.
	if cv.hasStatus {
		delete(obj, "status")
	}

	// customResourceStrategy.Validate
	var errs field.ErrorList
	errs = append(errs, apivalidation.ValidateObjectMetaAccessor(u, cv.namespaced, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, obj, cv.validator)...)
	errs = append(errs, schemaobjectmeta.Validate(nil, obj, s, false)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, s, obj)...)
	if cv.cel != nil {
		if hasBlockingErr(errs) {
			errs = append(errs, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"))
		} else {
			celErrs, _ := cv.cel.Validate(context.Background(), nil, s, obj, nil, celconfig.RuntimeCELCostBudget)
			errs = append(errs, celErrs...)
		}
	}
	r.addList(errs)
}

// hasBlockingErr mirrors the API server: CEL rules are only evaluated on
// objects that passed the basic schema checks.
func hasBlockingErr(errs field.ErrorList) bool {
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong,
			field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}
