// Command testcluster starts and stops the project's Kubernetes test
// cluster on this machine (see internal/testcluster); the Makefile's
// k8s-up, k8s-down, k8s-status and k8s-logs targets call it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/nvmf-chaos/nvmf-chaos/internal/testcluster"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testcluster:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	var cache string
	root := &cobra.Command{
		Use:           "testcluster",
		Short:         "A real Kubernetes cluster on this machine for nvmf-chaos's end-to-end tests",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&cache, "cache", testcluster.DefaultCache(), "toolchain cache `dir` (binaries in bin/, the running cluster in cluster/)")
	layout := func() testcluster.Layout { return testcluster.NewLayout(cache) }

	var o testcluster.Options
	up := &cobra.Command{
		Use:   "up",
		Short: "Start the cluster and wait until every node is Ready and a probe pod ran (a no-op if it is up)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Layout, o.Out = layout(), cmd.OutOrStdout()
			return testcluster.Up(cmd.Context(), o)
		},
	}
	up.Flags().IntVar(&o.Nodes, "nodes", 1, "node `count`, each a kubelet and containerd in its own network namespace")
	up.Flags().StringArrayVar(&o.Images, "image", nil, "image `tarball` to import into every node (repeatable; the sandbox image must be one)")
	up.Flags().StringVar(&o.ProbeImage, "probe-image", "nvmf-chaos:dev", "image of the probe pod run on each node (empty: no probe)")
	up.Flags().StringArrayVar(&o.ProbeArgs, "probe-arg", []string{"list"}, "argument of the probe pod (repeatable)")
	up.Flags().BoolVar(&o.ChaosMesh, "chaos-mesh", false, "also install Chaos Mesh's CRDs and run its controller manager (built by scripts/k8s/build-chaos-mesh.sh)")

	down := &cobra.Command{
		Use:   "down",
		Short: "Stop the cluster and remove everything it made; fails if the machine differs from before up",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return testcluster.Down(context.WithoutCancel(cmd.Context()), layout(), cmd.OutOrStdout())
		},
	}
	status := &cobra.Command{
		Use:   "status",
		Short: "Show each component and node; fails if one is not running",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return testcluster.Status(cmd.Context(), layout(), cmd.OutOrStdout())
		},
	}
	logs := &cobra.Command{
		Use:   "logs [COMPONENT...]",
		Short: "Follow the components' logs (all of them by default)",
		RunE: func(cmd *cobra.Command, args []string) error {
			l := layout()
			files, _ := filepath.Glob(filepath.Join(l.LogDir(), "*.log"))
			if len(args) > 0 {
				files = files[:0]
				for _, a := range args {
					files = append(files, l.Log(a))
				}
			}
			if len(files) == 0 {
				return fmt.Errorf("no logs in %s: is the cluster up?", l.LogDir())
			}
			tail := exec.CommandContext(cmd.Context(), "tail", append([]string{"-n", "20", "-F"}, files...)...)
			tail.Stdout, tail.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			if err := tail.Run(); err != nil && cmd.Context().Err() == nil {
				return err
			}
			return nil
		},
	}
	kubeconfig := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Print the path of the cluster's admin kubeconfig",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), layout().Kubeconfig())
		},
	}
	root.AddCommand(up, down, status, logs, kubeconfig)
	return root
}
