package contract_test

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// Hostile input ends with a clear error: never a panic, never unbounded work.
func TestHostileInput(t *testing.T) {
	aliasBomb := `apiVersion: goldenpath.io/v1
kind: AppDeploymentRequest
a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
spec:
  runtime:
    env: *i
`
	// An alias bomb aimed at a field the decoder walks into.
	aliasBombInField := strings.Replace(aliasBomb, "    env: *i", "    env: {A: *i}", 1)
	random := make([]byte, 4096)
	_, _ = rand.Read(random)
	cases := map[string]struct {
		data []byte
		want string
	}{
		"alias bomb":            {[]byte(aliasBomb), "unknown field"},
		"alias bomb in a field": {[]byte(aliasBombInField), "must be a string, not a list"},
		"deep nesting":          {[]byte(strings.Repeat("[", 100000) + strings.Repeat("]", 100000)), "invalid YAML"},
		"deep mapping nesting":  {[]byte(strings.Repeat("a: {", 100000) + strings.Repeat("}", 100000)), "invalid YAML"},
		"huge file":             {bytes.Repeat([]byte("# padding\n"), 5<<20), "a contract file may be at most"},
		"binary garbage":        {random, "not UTF-8 text"},
		"empty file":            {nil, "file is empty"},
		"only comments":         {[]byte("# nothing here\n"), "file has no documents"},
		"only separators":       {[]byte("---\n---\n"), "document is empty"},
		"many aliases to a map": {[]byte("apiVersion: goldenpath.io/v1\nkind: AppDeploymentRequest\nspec: &s {source: *s}\n"), ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { _, err = contract.Load("hostile.yaml", tc.data) })
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "hostile.yaml"), "errors name the file: %v", err)
		})
	}
}

func TestAliasBudget(t *testing.T) {
	// Every alias expansion counts: a document that expands past the budget
	// is refused with a message saying why.
	var b strings.Builder
	b.WriteString("apiVersion: goldenpath.io/v1\nkind: AppDeploymentRequest\nspec:\n  runtime:\n    env: &e {A: a, B: b, C: c, D: d, E: e, F: f, G: g, H: h}\n  bindings:\n")
	for i := 0; i < 3000; i++ {
		b.WriteString("    - *e\n")
	}
	_, err := contract.Load("budget.yaml", []byte(b.String()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than 10000 YAML nodes")
}

func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		"apiVersion: goldenpath.io/v1\nkind: AppDeploymentRequest\nid: APP-0001\n",
		"a: &a [*a]",
		"- [x, {y: z}]",
		"apiVersion: goldenpath.io/v1\nkind: Platform\nname: p\nenvironments: {dev: {namespace: x}}\n",
		"spec: {runtime: {replicas: 99999999999999999999}}",
		"\xff\xfe",
	} {
		f.Add([]byte(seed))
	}
	if files, _ := filepathGlob("testdata/*.yaml"); files != nil {
		for _, data := range files {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := contract.LoadObjects("fuzz.yaml", data)
		if err == nil && len(objs) == 0 {
			t.Fatal("no objects and no error")
		}
		for _, e := range contract.AsErrors(err) {
			if e.File != "fuzz.yaml" || e.Message == "" {
				t.Fatalf("error without file or message: %#v", e)
			}
		}
		for _, o := range objs {
			if errs := o.Validate(); len(errs) > 0 {
				t.Fatalf("a loaded object does not validate: %v", errs)
			}
		}
	})
}
