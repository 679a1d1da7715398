package local

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// CleanupNetns deletes, in namespace ns, every nftables table whose name
// starts with prefix: TablePrefix(runID) for one run's leftovers, or
// "nvmfchaos_" for every run's. It refuses any other prefix, so it can never
// delete rules the harness did not create. Safe to call on a clean
// namespace.
func CleanupNetns(ctx context.Context, ns, prefix string) error {
	if !strings.HasPrefix(prefix, tableRoot) {
		return fmt.Errorf("cleanup netns %s: prefix %q does not start with %q", ns, prefix, tableRoot)
	}
	if ns == "" {
		return errors.New("cleanup netns: no namespace (the harness's own is never touched)")
	}
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
