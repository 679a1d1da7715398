package ociimage

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// ErrNotStatic means the binary needs a dynamic loader, which an image
// holding nothing but the binary does not have.
var ErrNotStatic = errors.New("binary is dynamically linked (build it with CGO_ENABLED=0)")

// Spec says what goes into an image.
type Spec struct {
	// Binary is the static executable to pack.
	Binary string
	// Path is where the binary lives in the image; "/" plus its base name
	// when empty. It is also the entrypoint.
	Path string
	// Args are the image's default arguments (CMD).
	Args []string
	// Labels are the image's config labels (OCI annotations such as
	// org.opencontainers.image.revision).
	Labels map[string]string
	// Created stamps the image config; the zero time keeps builds
	// reproducible (the same binary gives the same image digest).
	Created time.Time
}

// Build returns the image Spec describes: one layer with the binary and a
// world-writable /tmp, on an empty base, for the machine's architecture.
func Build(s Spec) (v1.Image, error) {
	if err := checkStatic(s.Binary); err != nil {
		return nil, err
	}
	bin, err := os.ReadFile(s.Binary)
	if err != nil {
		return nil, fmt.Errorf("reading binary: %w", err)
	}
	dest := s.Path
	if dest == "" {
		dest = "/" + path.Base(s.Binary)
	}
	layerTar, err := layerOf(dest, bin)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return nil, fmt.Errorf("making layer: %w", err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, fmt.Errorf("appending layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Created = v1.Time{Time: s.Created}
	cf.Config.Entrypoint = []string{dest}
	cf.Config.Cmd = s.Args
	cf.Config.Env = []string{"PATH=/", "TMPDIR=/tmp"}
	cf.Config.Labels = s.Labels
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("setting image config: %w", err)
	}
	return img, nil
}

// layerOf is a tar stream holding the binary at dest (mode 0755) and /tmp.
func layerOf(dest string, bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	entries := []struct {
		hdr  tar.Header
		body []byte
	}{
		{hdr: tar.Header{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777}},
		{hdr: tar.Header{Name: dest[1:], Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin))}, body: bin},
	}
	for _, e := range entries {
		if err := tw.WriteHeader(&e.hdr); err != nil {
			return nil, fmt.Errorf("writing layer entry %s: %w", e.hdr.Name, err)
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, fmt.Errorf("writing layer entry %s: %w", e.hdr.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("closing layer: %w", err)
	}
	return buf.Bytes(), nil
}

// checkStatic refuses binaries that are not ELF or that name a program
// interpreter (the dynamic loader).
func checkStatic(binary string) error {
	f, err := elf.Open(binary)
	if err != nil {
		return fmt.Errorf("%s: not an executable: %w", binary, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s: %w", binary, ErrNotStatic)
		}
	}
	return nil
}
