package main

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nvmf-chaos/nvmf-chaos/internal/ociimage"
)

// DefaultImage is the tag Kubernetes pods run unless a scenario names
// another image.
const DefaultImage = "nvmf-chaos:dev"

func newImageCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Build the nvmf-chaos container image without Docker, load it into containerd, push it",
		Long: `image packs a static binary (this one by default) into a container image: one
layer on an empty base, the binary as entrypoint, written as a docker-save
tarball. Kubernetes targets and workers run that image. load imports a tarball
into a containerd (through its ctr client) so pods with imagePullPolicy: Never
find it; push uploads it to a registry with the credentials docker or podman
would use.`,
		Example: `  CGO_ENABLED=0 go build -o bin/nvmf-chaos ./cmd/nvmf-chaos
  bin/nvmf-chaos image build -o bin/nvmf-chaos-image.tar
  bin/nvmf-chaos image load bin/nvmf-chaos-image.tar --address /run/containerd/containerd.sock
  bin/nvmf-chaos image push bin/nvmf-chaos-image.tar registry.example:5000/storage/nvmf-chaos:v1`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newImageBuildCmd(), newImageLoadCmd(), newImagePushCmd())
	return cmd
}

func newImageBuildCmd() *cobra.Command {
	var binary, tag, out string
	var withLibs bool
	var add []string
	cmd := &cobra.Command{
		Use:   "build -o FILE",
		Short: "Pack a static binary (or, --with-libs, a dynamic one and its libraries) into an image tarball",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if binary == "" {
				exe, err := os.Executable()
				if err != nil {
					return fmt.Errorf("finding this executable: %w", err)
				}
				binary = exe
			}
			img, err := ociimage.Build(ociimage.Spec{Binary: binary, Labels: revisionLabels(binary), WithLibs: withLibs, Files: addedFiles(add)})
			if err != nil {
				return err
			}
			if err := ociimage.WriteTarball(out, tag, img); err != nil {
				return err
			}
			digest, err := img.Digest()
			if err != nil {
				return fmt.Errorf("image digest: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %s %s\n", out, tag, digest)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&binary, "binary", "", "static `executable` to pack (default: this nvmf-chaos)")
	fl.StringVar(&tag, "tag", DefaultImage, "image `name:tag`")
	fl.BoolVar(&withLibs, "with-libs", false, "pack a dynamically linked binary with its loader and shared objects from this machine")
	fl.StringArrayVar(&add, "add", nil, "also pack this `file` (HOST_PATH, or HOST_PATH:IMAGE_PATH), e.g. a configuration file the binary reads")
	fl.StringVarP(&out, "output", "o", "", "tarball `file` to write")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

func newImageLoadCmd() *cobra.Command {
	var l ociimage.Loader
	cmd := &cobra.Command{
		Use:   "load FILE",
		Short: "Import an image tarball into a containerd (needs its ctr client)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := l.Load(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), out)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&l.Address, "address", "", "containerd's `socket` (ctr's default when empty)")
	fl.StringVar(&l.Namespace, "namespace", "k8s.io", "containerd `namespace` (k8s.io is the one the kubelet reads)")
	fl.StringVar(&l.Ctr, "ctr", "ctr", "ctr `binary`")
	return cmd
}

func newImagePushCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "push FILE REFERENCE",
		Short: "Push an image tarball to a registry (credentials as docker/podman keep them)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			digest, err := ociimage.Push(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "pushed %s@%s\n", args[1], digest)
			return nil
		},
	}
}

// revisionLabels are the OCI labels naming the source revision binary was
// built from, when its build info records one.
func revisionLabels(binary string) map[string]string {
	bi, err := buildinfo.ReadFile(binary)
	if err != nil {
		return nil
	}
	labels := map[string]string{"org.opencontainers.image.title": bi.Path}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			labels["org.opencontainers.image.revision"] = s.Value
		}
	}
	return labels
}

// addedFiles maps --add's HOST[:IMAGE] values to image path → host path.
func addedFiles(add []string) map[string]string {
	files := map[string]string{}
	for _, a := range add {
		host, in, ok := strings.Cut(a, ":")
		if !ok {
			in = host
		}
		files[in] = host
	}
	return files
}
