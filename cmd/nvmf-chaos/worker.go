package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nvmf-chaos/nvmf-chaos/internal/worker"
	"github.com/nvmf-chaos/nvmf-chaos/provision/volume"
)

func newWorkerCmd() *cobra.Command {
	var listen string
	var idle time.Duration
	cmd := &cobra.Command{
		Use:    "worker",
		Short:  "Run one workload for a harness elsewhere (the Kubernetes backend's worker pods)",
		Hidden: true,
		Long: `worker reads its spec from $NVMF_CHAOS_WORKER_SPEC (JSON: the workload's jobs
and target URL), connects to the target, then waits on --listen for the harness:
GET /clock, POST /start, GET /result, POST /exit.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec, err := worker.DecodeSpec([]byte(os.Getenv("NVMF_CHAOS_WORKER_SPEC")))
			if err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			s, err := worker.Open(cmd.Context(), spec, log)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("worker: %w", err)
			}
			log.Info("worker ready", "workload", spec.Workload, "listen", ln.Addr().String())
			return s.Serve(cmd.Context(), ln, idle)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", ":9470", "control `address`")
	cmd.Flags().DurationVar(&idle, "idle", 10*time.Minute, "give up when the harness goes this `long` without starting the worker or fetching its record")
	return cmd
}

func newBackingCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:    "backing",
		Short:  "Create or remove target backing files (the Kubernetes backend's init and janitor pods)",
		Hidden: true,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "create PATH:SIZE...",
		Short: "Create each file, or extend it, to SIZE bytes",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				path, sizeStr, ok := strings.Cut(a, ":")
				size, err := strconv.ParseInt(sizeStr, 10, 64)
				if !ok || err != nil || size <= 0 || !strings.HasPrefix(path, "/") {
					return fmt.Errorf("backing create: %q: want /ABSOLUTE/PATH:BYTES", a)
				}
				if err := volume.EnsureFile(path, size); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "backing file %s: %d bytes\n", path, size)
			}
			return nil
		},
	}, &cobra.Command{
		Use:   "remove PATH...",
		Short: "Remove each path and what it holds",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, p := range args {
				if !strings.HasPrefix(p, "/") || p == "/" {
					return fmt.Errorf("backing remove: %q: want an absolute path below /", p)
				}
				if err := os.RemoveAll(p); err != nil {
					return fmt.Errorf("backing remove: %w", err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", p)
			}
			return nil
		},
	})
	return cmd
}
