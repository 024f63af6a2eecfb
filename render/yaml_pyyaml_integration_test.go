//go:build integration

package render

import (
	"testing"
)

// TestYAMLRoundTripPyYAML is the emitter's round trip with all three
// parsers on everything, PyYAML included: CI runs the integration suite, so
// the PyYAML check is never skipped there. It fails, naming the package to
// install, when no python3 with PyYAML is found.
func TestYAMLRoundTripPyYAML(t *testing.T) {
	if _, err := sharedPyYAML(); err != nil {
		t.Fatal(err)
	}
	roundTripBatch(t, tricky, true)
	roundTripBatch(t, everyClass(), true)
	roundTripBatch(t, randomStrings(5000, 3), true)
}
