package main

import "github.com/spf13/cobra"

// subcommands lists every subcommand constructor; each lives in its own file.
func subcommands() []func() *cobra.Command {
	return []func() *cobra.Command{
		newListCmd,
		newRunCmd,
		newTargetCmd,
		newValidateCmd,
		newBenchCmd,
		newCleanupCmd,
		newProvisionCmd,
		newReportCmd,
		newCompareCmd,
		newSuiteCmd,
		newSchemaCmd,
		newImageCmd,
		newWorkerCmd,
		newSignalCmd,
		newBackingCmd,
		newRelayCmd,
	}
}
