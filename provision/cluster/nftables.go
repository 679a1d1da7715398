package cluster

import (
	"context"
	"fmt"
	"os/exec"
	"strings"

	"github.com/nvmf-chaos/nvmf-chaos/provision/netns"
)

// nftTables lists the root namespace's nftables tables as "family name".
// A machine without nft has none of ours.
func nftTables(ctx context.Context) ([]string, error) {
	if _, err := exec.LookPath("nft"); err != nil {
		return nil, nil
	}
	out, err := netns.Run(ctx, "nft", "list", "tables")
	if err != nil {
		return nil, err
	}
	var tables []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "table" {
			tables = append(tables, f[1]+" "+f[2])
		}
	}
	return tables, nil
}

// sweepNftables deletes root-namespace tables named with the prefix; tables
// inside a node's namespace went with the namespace.
func (s *sweeper) sweepNftables(ctx context.Context) {
	tables, err := nftTables(ctx)
	if err != nil {
		s.errs = append(s.errs, fmt.Errorf("sweep: %w", err))
		return
	}
	for _, t := range tables {
		family, name, _ := strings.Cut(t, " ")
		if !s.matches(name) {
			continue
		}
		s.found = append(s.found, Resource{Kind: KindNftables, Name: t})
		if !s.dry {
			if _, err := netns.Run(ctx, "nft", "delete", "table", family, name); err != nil {
				s.errs = append(s.errs, fmt.Errorf("sweep: nftables %s: %w", t, err))
			}
		}
	}
}
