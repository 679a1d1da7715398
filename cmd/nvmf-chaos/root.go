package main

import (
	"github.com/spf13/cobra"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "nvmf-chaos",
		Short: "Benchmark and chaos test harness for NVMe-oF target availability",
		Long: `nvmf-chaos provisions NVMe-oF volumes, drives fio-style I/O through a user-space
NVMe/TCP host, injects faults on a timeline and judges IOPS, latency, failover time
and data integrity against SLOs.

Exit codes: 0 pass, 1 an SLO failed, 2 the command could not run.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	for _, sub := range subcommands() {
		root.AddCommand(sub())
	}
	return root
}
