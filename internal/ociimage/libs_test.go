package ociimage

import (
	"archive/tar"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// A dynamically linked binary is refused alone and packed, with
// WithLibs, together with its loader and every shared object ldd lists.
func TestBuildWithLibs(t *testing.T) {
	bin, err := exec.LookPath("ls")
	if err != nil {
		t.Skip("skipped: no ls on PATH to pack")
	}
	if _, err := Build(Spec{Binary: bin}); !errors.Is(err, ErrNotStatic) {
		t.Fatalf("a dynamic binary without WithLibs: %v, want ErrNotStatic", err)
	}
	img, err := Build(Spec{Binary: bin, WithLibs: true})
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers %d: %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	in := map[string]bool{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		in["/"+strings.TrimSuffix(h.Name, "/")] = true
	}
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		t.Skipf("skipped: ldd: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		var path string
		switch {
		case len(f) >= 3 && f[1] == "=>":
			path = f[2]
		case len(f) == 2 && strings.HasPrefix(f[0], "/"):
			path = f[0] // the loader
		default:
			continue // linux-vdso: the kernel's
		}
		if !in[path] {
			t.Errorf("%s is not in the image (ldd: %s)", path, strings.TrimSpace(line))
		}
	}
	if !in["/ls"] {
		t.Error("the binary itself is not in the image")
	}
}
