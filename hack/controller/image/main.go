// Command image builds the goldenpath controller's container image the way
// ko does, without Docker and without any base image: the goldenpath binary
// compiled static (CGO_ENABLED=0, -trimpath, no build ID), one layer holding
// it with a passwd/group naming the non-root user 65532, an empty /tmp, a
// home folder and (optionally) a CA bundle, every file time fixed at the
// Unix epoch, and a config whose creation time is the epoch too: the same
// source and Go toolchain give the same image digest, here or anywhere.
// The image is pushed with go-containerregistry and its pinned reference
// printed on standard output.
//
//	go run ./hack/controller/image -push 127.0.0.1:5111/ctl/goldenpath-controller:dev
//
// Loopback registries are spoken to over plain HTTP; -insecure names others.
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

const user = 65532

func main() {
	push := flag.String("push", "", "repository[:tag] to push the image to (required)")
	binary := flag.String("binary", "", "an already built static goldenpath binary (default: build ./cmd/goldenpath)")
	caBundle := flag.String("ca-bundle", "", "PEM CA bundle to put at /etc/ssl/certs/ca-certificates.crt (default: none)")
	insecure := flag.Bool("insecure", false, "reach the registry over plain HTTP even if it is not on loopback")
	out := flag.String("tarball", "", "also write the image as a docker tarball here")
	flag.Parse()
	if *push == "" {
		fmt.Fprintln(os.Stderr, "usage: image -push REPOSITORY[:TAG] [-binary FILE] [-ca-bundle FILE] [-insecure] [-tarball FILE]")
		os.Exit(2)
	}
	var opts []name.Option
	if *insecure {
		opts = append(opts, name.Insecure)
	}
	tag, err := name.NewTag(*push, opts...)
	if err != nil {
		log.Fatal(err)
	}
	bin := *binary
	if bin == "" {
		dir, err := os.MkdirTemp("", "goldenpath-image-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		bin = filepath.Join(dir, "goldenpath")
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", bin, "./cmd/goldenpath")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH, "GOFLAGS=-mod=mod")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			log.Fatalf("go build: %v", err)
		}
	}
	img, err := Image(bin, *caBundle, runtime.GOARCH)
	if err != nil {
		log.Fatal(err)
	}
	digest, err := img.Digest()
	if err != nil {
		log.Fatal(err)
	}
	if *out != "" {
		if err := tarball.WriteToFile(*out, tag, img); err != nil {
			log.Fatal(err)
		}
	}
	if err := remote.Write(tag, img, remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		log.Fatalf("pushing %s: %v", tag, err)
	}
	fmt.Println(tag.Context().Name() + "@" + digest.String())
}

// Image assembles the controller image from a static binary.
func Image(binary, caBundle, arch string) (v1.Image, error) {
	bin, err := os.ReadFile(binary)
	if err != nil {
		return nil, err
	}
	var ca []byte
	if caBundle != "" {
		if ca, err = os.ReadFile(caBundle); err != nil {
			return nil, err
		}
	}
	layerTar, err := rootfs(bin, ca)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layerTar)), nil })
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cf.Author = "goldenpath (hack/controller/image)"
	cf.Config = v1.Config{
		Entrypoint: []string{"/goldenpath"},
		Cmd:        []string{"controller"},
		User:       fmt.Sprintf("%d:%d", user, user),
		WorkingDir: "/home/nonroot",
		Env:        []string{"HOME=/home/nonroot", "SSL_CERT_DIR=/etc/ssl/certs"},
		Labels: map[string]string{
			"org.opencontainers.image.title":  "goldenpath controller",
			"org.opencontainers.image.source": "https://github.com/goldenpath-dev/goldenpath",
		},
	}
	cf.History = nil
	return mutate.ConfigFile(img, cf)
}

// rootfs is the image's one layer, every entry owned and timed the same way
// on every build.
func rootfs(bin, ca []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0).UTC()
	dir := func(name string, mode int64, uid int) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, Uid: uid, Gid: uid, ModTime: epoch, Format: tar.FormatPAX})
	}
	file := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	steps := []func() error{
		func() error { return dir("etc/", 0o755, 0) },
		func() error {
			return file("etc/passwd", 0o644, []byte(fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", user, user)))
		},
		func() error { return file("etc/group", 0o644, []byte(fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", user))) },
		func() error { return dir("etc/ssl/", 0o755, 0) },
		func() error { return dir("etc/ssl/certs/", 0o755, 0) },
		func() error {
			if ca == nil {
				return nil
			}
			return file("etc/ssl/certs/ca-certificates.crt", 0o644, ca)
		},
		func() error { return file("goldenpath", 0o755, bin) },
		func() error { return dir("home/", 0o755, 0) },
		func() error { return dir("home/nonroot/", 0o700, user) },
		func() error { return dir("tmp/", 0o1777, 0) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
