// Command oci-layout converts a "docker save" tarball of one image into an OCI image layout directory and prints
// the image's manifest digest. hack/dagger/setup.sh uses it to store the Go SDK runtime image as the built-in
// content of the Dagger engine image (the directory named by distconsts.EngineContainerBuiltinContentDir; the
// engine finds the image by the digest in DAGGER_GO_SDK_MANIFEST_DIGEST).
//
//	go run ./hack/dagger/oci-layout IMAGE.tar OUT-DIR
package main

import (
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: oci-layout IMAGE.tar OUT-DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "oci-layout:", err)
		os.Exit(1)
	}
}

func run(tarPath, dir string) error {
	img, err := tarball.ImageFromPath(tarPath, nil)
	if err != nil {
		return fmt.Errorf("read %s: %w", tarPath, err)
	}
	// OCI media types throughout (docker save gives Docker v2 ones); layers are gzip-compressed on write.
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("create layout %s: %w", dir, err)
	}
	if err := p.AppendImage(img); err != nil {
		return fmt.Errorf("write image: %w", err)
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Println(d.String())
	return nil
}
