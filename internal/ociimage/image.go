package ociimage

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"runtime"
	"slices"
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
	// WithLibs packs a dynamically linked binary with its program
	// interpreter and shared objects, at their paths on this machine
	// (an SPDK nvmf_tgt built here, say); without it only static
	// binaries are taken.
	WithLibs bool
	// Files are more files to pack, image path → host path (a
	// configuration file the binary reads, say).
	Files map[string]string
}

// Build returns the image Spec describes: one layer with the binary and a
// world-writable /tmp, on an empty base, for the machine's architecture.
func Build(s Spec) (v1.Image, error) {
	var libs []string
	var err error
	if s.WithLibs {
		libs, err = sharedObjects(s.Binary)
	} else {
		err = checkStatic(s.Binary)
	}
	if err != nil {
		return nil, err
	}
	dest := s.Path
	if dest == "" {
		dest = "/" + path.Base(s.Binary)
	}
	files := map[string]string{dest: s.Binary}
	for in, host := range s.Files {
		if !path.IsAbs(in) {
			return nil, fmt.Errorf("file %s: want an absolute path in the image", in)
		}
		files[in] = host
	}
	for _, l := range libs {
		files[l] = l
	}
	layerTar, err := layerOf(files)
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

// layerOf is a tar stream holding each file (image path → host path,
// mode 0755, in path order, so the same files give the same layer), the
// folders they are in, and a world-writable /tmp.
func layerOf(files map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	type entry struct {
		hdr  tar.Header
		body []byte
	}
	entries := []entry{{hdr: tar.Header{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777}}}
	dirs := map[string]bool{}
	for _, dest := range slices.Sorted(maps.Keys(files)) {
		for d := path.Dir(dest); d != "/" && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	for _, d := range slices.Sorted(maps.Keys(dirs)) {
		entries = append(entries, entry{hdr: tar.Header{Name: d[1:] + "/", Typeflag: tar.TypeDir, Mode: 0o755}})
	}
	for _, dest := range slices.Sorted(maps.Keys(files)) {
		body, err := os.ReadFile(files[dest])
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", files[dest], err)
		}
		entries = append(entries, entry{hdr: tar.Header{Name: dest[1:], Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(body))}, body: body})
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
