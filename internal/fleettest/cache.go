package fleettest

import (
	"context"
	"reflect"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
)

// Cache is a client.Reader over the world's objects that reads as
// controller-runtime's informer cache does (the controller's reader): the
// objects are held decoded, a List selects by namespace and labels and
// hands out deep copies (or, with client.UnsafeDisableDeepCopy, the
// objects themselves). controller-runtime's fake client instead
// round-trips every object through JSON on each read, which is what an
// API server costs, not what a controller's cache costs.
type Cache struct {
	scheme *runtime.Scheme
	byGVK  map[schema.GroupVersionKind][]client.Object
}

var _ client.Reader = (*Cache)(nil)

// Cache returns the world's objects as an informer cache would serve them.
func (w *World) Cache() (*Cache, error) {
	s, err := cluster.Scheme()
	if err != nil {
		return nil, err
	}
	c := &Cache{scheme: s, byGVK: map[schema.GroupVersionKind][]client.Object{}}
	for _, o := range w.objects {
		gvk, err := apiutil.GVKForObject(o, s)
		if err != nil {
			return nil, err
		}
		c.byGVK[gvk] = append(c.byGVK[gvk], o.DeepCopyObject().(client.Object))
	}
	return c, nil
}

// Get copies the object named by key into obj.
func (c *Cache) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	gvk, err := apiutil.GVKForObject(obj, c.scheme)
	if err != nil {
		return err
	}
	for _, o := range c.byGVK[gvk] {
		if o.GetNamespace() == key.Namespace && o.GetName() == key.Name {
			reflect.ValueOf(obj).Elem().Set(reflect.ValueOf(o.DeepCopyObject()).Elem())
			return nil
		}
	}
	return notFound(gvk, key.Name)
}

// List copies the objects of the list's kind that match the options into
// list.
func (c *Cache) List(_ context.Context, list client.ObjectList, opts ...client.ListOption) error {
	gvk, err := apiutil.GVKForObject(list, c.scheme)
	if err != nil {
		return err
	}
	gvk.Kind = strings.TrimSuffix(gvk.Kind, "List")
	var lo client.ListOptions
	lo.ApplyOptions(opts)
	sel := lo.LabelSelector
	if sel == nil {
		sel = labels.Everything()
	}
	noCopy := lo.UnsafeDisableDeepCopy != nil && *lo.UnsafeDisableDeepCopy
	var items []runtime.Object
	for _, o := range c.byGVK[gvk] {
		if (lo.Namespace == "" || o.GetNamespace() == lo.Namespace) && sel.Matches(labels.Set(o.GetLabels())) {
			if noCopy {
				items = append(items, o)
			} else {
				items = append(items, o.DeepCopyObject())
			}
		}
	}
	if ul, ok := list.(*unstructured.UnstructuredList); ok {
		for _, it := range items {
			ul.Items = append(ul.Items, *it.(*unstructured.Unstructured))
		}
		return nil
	}
	return meta.SetList(list, items)
}

func notFound(gvk schema.GroupVersionKind, name string) error {
	return apierrors.NewNotFound(schema.GroupResource{Group: gvk.Group, Resource: strings.ToLower(gvk.Kind) + "s"}, name)
}
