// Package ociimage builds container images of single static binaries
// without Docker or a registry: the binary is one layer on an empty image,
// written as a docker-save tarball that containerd's `ctr images import`
// and every registry client read, and optionally pushed to a registry.
//
// The project ships two such images: nvmf-chaos itself (targets and
// workers in Kubernetes pods) and the pod sandbox ("pause") image its test
// cluster pins, since that cluster can pull nothing.
package ociimage
