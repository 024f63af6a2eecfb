package goldenpath

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// ImagePins turns [APP=]REF arguments (`goldenpath render --image`, the
// Dagger module's --image) into the map WithImages takes: APP is an
// application or environment/application; a bare REF pins a lone request
// (key ""). REF must be pinned by digest (REPOSITORY@sha256:...): a tag
// would let what runs change under the tree. A later argument for the
// same key wins.
func ImagePins(args []string) (map[string]string, error) {
	pins := make(map[string]string, len(args))
	for _, a := range args {
		app, ref, found := strings.Cut(a, "=")
		if !found {
			app, ref = "", a
		}
		if ref == "" {
			return nil, fmt.Errorf("%q: no image after %q: give APPLICATION=REPOSITORY@sha256:DIGEST", a, app+"=")
		}
		if _, err := name.NewDigest(ref); err != nil {
			return nil, fmt.Errorf("%q is not an image pinned by digest: give REPOSITORY@sha256:DIGEST (a tag would let the image change under the tree)", ref)
		}
		pins[app] = ref
	}
	return pins, nil
}
