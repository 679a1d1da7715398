package testcluster

import (
	"context"
	"fmt"

	"github.com/nvmf-chaos/nvmf-chaos/internal/ociimage"
)

// LoadImage imports an image tarball into every node's containerd of
// the running cluster, as up does with its images: tests that build an
// image of their own (an SPDK target, from a build beside the project)
// bring it in so.
func (l Layout) LoadImage(ctx context.Context, tarball string) error {
	st, err := loadState(l)
	if err != nil {
		return err
	}
	for _, n := range st.Nodes {
		loader := ociimage.Loader{Ctr: l.Bin("ctr"), Address: l.containerdSocket(n)}
		if _, err := loader.Load(ctx, tarball); err != nil {
			return fmt.Errorf("node %s: importing %s: %w", n.Name, tarball, err)
		}
	}
	return nil
}
