package ociimage

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// buildPause compiles the project's pause program as a static binary.
func buildPause(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pause")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/nvmf-chaos/nvmf-chaos/cmd/pause")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestImageRoundTripsThroughTarball(t *testing.T) {
	bin := buildPause(t)
	want, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	img, err := Build(Spec{Binary: bin, Args: []string{"-x"}, Labels: map[string]string{"org.opencontainers.image.revision": "abc"}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "pause.tar")
	if err := WriteTarball(file, "nvmf-chaos/pause:test", img); err != nil {
		t.Fatal(err)
	}
	back, err := ReadTarball(file)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := back.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := cf.Config.Entrypoint; len(got) != 1 || got[0] != "/pause" {
		t.Errorf("entrypoint = %q, want [/pause]", got)
	}
	if got := cf.Config.Cmd; len(got) != 1 || got[0] != "-x" {
		t.Errorf("cmd = %q, want [-x]", got)
	}
	if cf.Config.Labels["org.opencontainers.image.revision"] != "abc" || cf.OS != "linux" {
		t.Errorf("config = %+v", cf)
	}
	files := layerFiles(t, back)
	if !bytes.Equal(files["pause"], want) {
		t.Errorf("binary in the image differs from the one built (%d vs %d bytes)", len(files["pause"]), len(want))
	}
	if _, ok := files["tmp"]; !ok {
		t.Errorf("image has no /tmp: %v", keys(files))
	}
}

func TestBuildIsReproducible(t *testing.T) {
	bin := buildPause(t)
	var digests []string
	for range 2 {
		img, err := Build(Spec{Binary: bin})
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d.String())
	}
	if digests[0] != digests[1] {
		t.Errorf("two builds of one binary differ: %v", digests)
	}
}

func TestBuildRefusesWhatCannotRun(t *testing.T) {
	notELF := filepath.Join(t.TempDir(), "script.sh")
	if err := os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	dynamic, err := exec.LookPath("ls")
	if err != nil {
		t.Skip("no ls to stand for a dynamically linked binary")
	}
	tests := []struct {
		name, binary string
		wantStatic   bool
	}{
		{"not an ELF file", notELF, false},
		{"dynamically linked", dynamic, true},
		{"missing", filepath.Join(t.TempDir(), "absent"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(Spec{Binary: tt.binary})
			if err == nil {
				t.Fatal("Build accepted it")
			}
			if got := errors.Is(err, ErrNotStatic); got != tt.wantStatic {
				t.Errorf("errors.Is(ErrNotStatic) = %v: %v", got, err)
			}
		})
	}
}

// layerFiles maps each path in the image's flattened filesystem to its
// content.
func layerFiles(t *testing.T, img v1.Image) map[string][]byte {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[hdr.Name] = body
	}
}

func keys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// Push uploads the tarball's image to a registry (go-containerregistry's
// in-memory one, over real HTTP) and the registry serves the same digest.
func TestPushToRegistry(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	img, err := Build(Spec{Binary: buildPause(t)})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "pause.tar")
	if err := WriteTarball(file, "nvmf-chaos/pause:test", img); err != nil {
		t.Fatal(err)
	}
	dest := strings.TrimPrefix(srv.URL, "http://") + "/storage/pause:v1"
	digest, err := Push(context.Background(), file, dest)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(dest)
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := got.Digest(); d != digest {
		t.Errorf("registry serves %s, pushed %s", d, digest)
	}
	if _, err := Push(context.Background(), file, "not a reference!"); err == nil {
		t.Error("a bad destination was accepted")
	}
}
