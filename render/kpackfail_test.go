package render_test

import "testing"

// The kpack check must be able to fail, or TestKpackValidation proves nothing.
func TestKpackValidationCanFail(t *testing.T) {
	err := kpackValidators["Image"]([]byte(`{"apiVersion":"kpack.io/v1alpha2","kind":"Image","metadata":{"name":"x","namespace":"y"},
		"spec":{"tag":"","builder":{"kind":"Nope","name":"b"},"source":{"git":{"url":"https://x/y","revision":"main"}}}}`))
	if err == nil {
		t.Fatal("kpack accepted an Image without a tag and with a wrong builder kind")
	}
}
