package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/nvmf-chaos/nvmf-chaos/provision/local"
)

type cleanupFlags struct {
	prefix   string
	stateDir string
	dryRun   bool
	live     bool
	timeout  time.Duration
}

func newCleanupCmd() *cobra.Command {
	var f cleanupFlags
	cmd := &cobra.Command{
		Use:   "cleanup",
		Short: "Remove what crashed runs left behind: targets, namespaces, links, nftables tables",
		Long: `cleanup finds everything a local run created whose name starts with --prefix and
removes it: target processes (from the runs' state files, or the NVMF_CHAOS_RUN
variable in their environment), network namespaces and the processes in them,
bridges and veth pairs, nftables tables, and the state files. Runs whose harness
process is still alive are left alone unless --include-live. Each removed item is
printed; --dry-run only prints. Namespaces, links and tables need root.`,
		Example: `  nvmf-chaos cleanup --dry-run
  sudo nvmf-chaos cleanup
  nvmf-chaos cleanup --prefix nvmfc-1a2b3c`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCleanup(cmd.Context(), cmd, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.prefix, "prefix", local.DefaultPrefix+"-", "remove what is named with this `prefix` (a run's name to remove only that run)")
	fl.StringVar(&f.stateDir, "state-dir", local.DefaultStateDir(), "`directory` where runs register their state files")
	fl.BoolVar(&f.dryRun, "dry-run", false, "list what would be removed, remove nothing")
	fl.BoolVar(&f.live, "include-live", false, "also remove runs whose harness process is still running")
	fl.DurationVar(&f.timeout, "timeout", time.Minute, "give up after this `duration`")
	return cmd
}

func runCleanup(ctx context.Context, cmd *cobra.Command, f *cleanupFlags) error {
	if f.prefix == "" {
		return fmt.Errorf("--prefix must not be empty: it would match everything")
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	found, err := local.Sweep(ctx, f.prefix, local.WithStateDir(f.stateDir),
		local.WithDryRun(f.dryRun), local.WithLiveRuns(f.live))
	verb := "removed"
	if f.dryRun {
		verb = "would remove"
	}
	out := cmd.OutOrStdout()
	for _, r := range found {
		fmt.Fprintf(out, "%s %s\n", verb, r)
	}
	if len(found) == 0 && err == nil {
		fmt.Fprintf(out, "nothing named %s* to clean up\n", f.prefix)
	}
	if err != nil {
		return fmt.Errorf("cleanup: %w", err)
	}
	return nil
}
