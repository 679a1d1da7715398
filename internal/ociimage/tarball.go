package ociimage

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// WriteTarball writes img tagged tag (e.g. "nvmf-chaos:dev") to file as a
// docker-save tarball. It writes a temporary file first so a failed write
// never leaves a truncated tarball under the final name.
func WriteTarball(file, tag string, img v1.Image) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("image tag %q: %w", tag, err)
	}
	tmp := file + ".tmp"
	if err := tarball.WriteToFile(tmp, ref, img); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := os.Rename(tmp, file); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return nil
}

// ReadTarball reads the one image of a tarball WriteTarball wrote.
func ReadTarball(file string) (v1.Image, error) {
	img, err := tarball.ImageFromPath(file, nil)
	if err != nil {
		return nil, fmt.Errorf("reading image tarball %s: %w", file, err)
	}
	return img, nil
}

// Push uploads the image in file to the registry reference dest (e.g.
// "registry.example:5000/storage/nvmf-chaos:v1"), authenticating as
// docker and podman would (their config files, credential helpers).
func Push(ctx context.Context, file, dest string) (v1.Hash, error) {
	img, err := ReadTarball(file)
	if err != nil {
		return v1.Hash{}, err
	}
	ref, err := name.ParseReference(dest)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("destination %q: %w", dest, err)
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return v1.Hash{}, fmt.Errorf("pushing to %s: %w", dest, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("image digest: %w", err)
	}
	return digest, nil
}

// Loader imports image tarballs into a containerd through its ctr client,
// the one tool every containerd install has.
type Loader struct {
	// Ctr is the ctr binary; "ctr" from PATH when empty.
	Ctr string
	// Address is containerd's socket; ctr's default when empty.
	Address string
	// Namespace is containerd's namespace; "k8s.io", the one the CRI
	// plugin (and so the kubelet) reads, when empty.
	Namespace string
}

// Load imports file and returns ctr's output.
func (l Loader) Load(ctx context.Context, file string) (string, error) {
	ctr := l.Ctr
	if ctr == "" {
		ctr = "ctr"
	}
	ns := l.Namespace
	if ns == "" {
		ns = "k8s.io"
	}
	args := []string{"--namespace", ns}
	if l.Address != "" {
		args = append(args, "--address", l.Address)
	}
	args = append(args, "images", "import", file)
	out, err := exec.CommandContext(ctx, ctr, args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", ctr, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
}
