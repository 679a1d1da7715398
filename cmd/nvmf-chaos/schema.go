package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nvmf-chaos/nvmf-chaos/scenarios"
)

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema [scenario|suite]",
		Short: "Print the JSON Schema of scenario or suite files, for editors",
		Long: `schema prints the JSON Schema (draft 2020-12) of a scenario (default) or suite
document, generated from the types the loader reads. Point an editor at it for
completion and checks as you type, e.g. with yaml-language-server:

  # yaml-language-server: $schema=scenario.schema.json

The same files are committed under scenarios/schema/.`,
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: []string{"scenario", "suite"},
		RunE: func(cmd *cobra.Command, args []string) error {
			kind := scenarios.KindScenario
			if len(args) == 1 {
				switch args[0] {
				case "scenario":
				case "suite":
					kind = scenarios.KindSuite
				default:
					return &exitError{code: exitCannotRun, err: fmt.Errorf("schema %q: want scenario or suite", args[0])}
				}
			}
			data, err := scenarios.JSONSchema(kind)
			if err != nil {
				return &exitError{code: exitCannotRun, err: err}
			}
			_, err = cmd.OutOrStdout().Write(data)
			return err
		},
	}
}
