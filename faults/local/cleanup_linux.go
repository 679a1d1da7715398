package local

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// CleanupNetns removes from namespace ns what faults left behind: every
// nftables table whose name starts with prefix (TablePrefix(runID) for one
// run's leftovers, "nvmfchaos_" for every run's), and every tbf qdisc of the
// harness (qdiscs carry no run id: a namespace belongs to one run). It
// refuses any other prefix, so it can never delete rules the harness did
// not create. Safe to call on a clean namespace.
func CleanupNetns(ctx context.Context, ns, prefix string) error {
	if !strings.HasPrefix(prefix, tableRoot) {
		return fmt.Errorf("cleanup netns %s: prefix %q does not start with %q", ns, prefix, tableRoot)
	}
	if ns == "" {
		return errors.New("cleanup netns: no namespace (the harness's own is never touched)")
	}
	return errors.Join(cleanupTables(ctx, ns, prefix), cleanupQdiscs(ctx, ns))
}

func cleanupQdiscs(ctx context.Context, ns string) error {
	out, err := runIn(ctx, ns, "", "tc", "qdisc", "show")
	if err != nil {
		return fmt.Errorf("cleanup netns %s: %w", ns, err)
	}
	var errs []error
	for _, dev := range tbfLinks(out) {
		if err := deleteTBF(ctx, Link{Netns: ns, Dev: dev}); err != nil {
			errs = append(errs, fmt.Errorf("cleanup netns %s: %w", ns, err))
		}
	}
	return errors.Join(errs...)
}

func cleanupTables(ctx context.Context, ns, prefix string) error {
	tables, err := nftTables(ctx, ns)
	if err != nil {
		return fmt.Errorf("cleanup netns %s: %w", ns, err)
	}
	var script strings.Builder
	for _, t := range tables {
		if strings.HasPrefix(t[1], prefix) {
			script.WriteString(deleteScript(t[0], t[1]))
		}
	}
	if script.Len() == 0 {
		return nil
	}
	if _, err := runIn(ctx, ns, script.String(), "nft", "-f", "-"); err != nil {
		return fmt.Errorf("cleanup netns %s: %w", ns, err)
	}
	return nil
}
