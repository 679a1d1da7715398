package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nvmf-chaos/nvmf-chaos/provision/cluster"
	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
	"github.com/nvmf-chaos/nvmf-chaos/provision/volume"
)

type cleanupFlags struct {
	prefix      string
	stateDir    string
	dryRun      bool
	live        bool
	timeout     time.Duration
	rpcAddrs    []string
	kubeconfig  string
	kubeContext string
	runID       string
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
printed; --dry-run only prints. Namespaces, links and tables need root.

Targets the harness did not start (a long-running nvmf_tgt, a storage node)
keep what a crashed run provisioned on them; --rpc ADDR sweeps them over
SPDK JSON-RPC: subsystems with the harness's NQN prefix, then its bdevs and
lvstores, top of each stack first (only the run --prefix names, if it names one).

--kubeconfig (or --context) also sweeps a Kubernetes cluster: every namespace
labelled app.kubernetes.io/managed-by=nvmf-chaos (one run's with --run-id), after
a janitor pod deletes its targets' data folder on each node they ran on, then the
persistent volumes left bound to its claims and the cluster-wide objects carrying
its run id (a storage driver's RBAC, StorageClass and CSIDriver). A run whose
harness still runs on this machine is kept unless --include-live.`,
		Example: `  nvmf-chaos cleanup --dry-run
  sudo nvmf-chaos cleanup
  nvmf-chaos cleanup --prefix nvmfc-1a2b3c
  NVMF_CHAOS_RPC_USER=csi NVMF_CHAOS_RPC_PASSWORD=... nvmf-chaos cleanup --rpc /var/tmp/spdk.sock --rpc http://198.18.7.11:9009
  nvmf-chaos cleanup --kubeconfig ~/.kube/config --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCleanup(cmd.Context(), cmd, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.prefix, "prefix", cluster.DefaultPrefix+"-", "remove what is named with this `prefix` (a run's name to remove only that run)")
	fl.StringVar(&f.stateDir, "state-dir", cluster.DefaultStateDir(), "`directory` where runs register their state files")
	fl.BoolVar(&f.dryRun, "dry-run", false, "list what would be removed, remove nothing")
	fl.BoolVar(&f.live, "include-live", false, "also remove runs whose harness process is still running")
	fl.DurationVar(&f.timeout, "timeout", time.Minute, "give up after this `duration`")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "also sweep the Kubernetes cluster of this kubeconfig `file` (\"\" with --context: the default one)")
	fl.StringVar(&f.kubeContext, "context", "", "kubeconfig `context` of the cluster to sweep")
	fl.StringVar(&f.runID, "run-id", "", "on Kubernetes, remove only the run with this `ID`")
	fl.StringArrayVar(&f.rpcAddrs, "rpc", nil, "also sweep the SPDK target at this RPC `address` (unix socket, host:port or http URL; repeatable); "+
		"an http URL without user:pass@ takes "+envRPCUser+"/"+envRPCPassword)
	return cmd
}

func runCleanup(ctx context.Context, cmd *cobra.Command, f *cleanupFlags) error {
	if f.prefix == "" {
		return fmt.Errorf("--prefix must not be empty: it would match everything")
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	found, err := cluster.Sweep(ctx, f.prefix, cluster.WithStateDir(f.stateDir),
		cluster.WithDryRun(f.dryRun), cluster.WithLiveRuns(f.live))
	verb := "removed"
	if f.dryRun {
		verb = "would remove"
	}
	out := cmd.OutOrStdout()
	for _, r := range found {
		fmt.Fprintf(out, "%s %s\n", verb, r)
	}
	if len(found) == 0 && err == nil && len(f.rpcAddrs) == 0 {
		fmt.Fprintf(out, "nothing named %s* to clean up\n", f.prefix)
	}
	rpcFound, rpcErr := sweepTargets(ctx, f)
	for _, r := range rpcFound {
		fmt.Fprintf(out, "%s %s\n", verb, r)
	}
	kubeErr := sweepKube(ctx, cmd, f, verb)
	if err = errors.Join(err, rpcErr, kubeErr); err != nil {
		return fmt.Errorf("cleanup: %w", err)
	}
	return nil
}

// sweepTargets removes the harness's subsystems and bdevs from each --rpc
// target, those of one run when --prefix names a run.
func sweepTargets(ctx context.Context, f *cleanupFlags) ([]string, error) {
	runID := strings.TrimPrefix(f.prefix, cluster.DefaultPrefix+"-")
	if runID == f.prefix || strings.ContainsAny(runID, "-") {
		runID = "" // not "<prefix>-<run id>": every run's objects
	}
	var out []string
	var errs []error
	auth, err := rpcClientAuth(os.Getenv)
	if err != nil && len(f.rpcAddrs) > 0 {
		return nil, fmt.Errorf("--rpc: %w", err)
	}
	for _, addr := range f.rpcAddrs {
		c, err := rpc.Dial(ctx, addr, auth...)
		if err != nil {
			errs = append(errs, fmt.Errorf("--rpc %s: %w", addr, err))
			continue
		}
		found, err := volume.Sweep(ctx, c, runID, f.dryRun)
		_ = c.Close()
		for _, r := range found {
			out = append(out, r+" on "+c.Addr())
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("--rpc %s: %w", addr, err))
		}
	}
	return out, errors.Join(errs...)
}

// sweepKube removes crashed runs' namespaces (with everything in them)
// and their targets' data folders from a Kubernetes cluster.
func sweepKube(ctx context.Context, cmd *cobra.Command, f *cleanupFlags, verb string) error {
	if !cmd.Flags().Changed("kubeconfig") && !cmd.Flags().Changed("context") {
		return nil
	}
	c, err := kube.Connect(f.kubeconfig, f.kubeContext)
	if err != nil {
		return err
	}
	found, err := c.Sweep(ctx, kube.SweepOptions{RunID: f.runID, IncludeLive: f.live, DryRun: f.dryRun})
	for _, r := range found {
		if strings.HasPrefix(r, "kept ") {
			fmt.Fprintln(cmd.OutOrStdout(), r)
			continue
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s %s on %s\n", verb, r, c.Source)
	}
	if len(found) == 0 && err == nil {
		fmt.Fprintf(cmd.OutOrStdout(), "no nvmf-chaos run left on %s\n", c.Source)
	}
	return err
}
