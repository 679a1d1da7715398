package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/nvmf-chaos/nvmf-chaos/scenarios"
)

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE|NAME...",
		Short: "Check scenario and suite files without running them",
		Long: `Validate parses each scenario or suite (a file, or a built-in name) and reports
every problem with file, line, field and what is allowed. Exit 0 when all are
valid, 2 otherwise.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := 0
			for _, arg := range args {
				desc, err := validateOne(arg)
				if err != nil {
					bad++
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "ok   %s (%s)\n", arg, desc)
			}
			if bad > 0 {
				return &exitError{code: exitCannotRun, err: fmt.Errorf("%d of %d invalid", bad, len(args))}
			}
			return nil
		},
	}
}

// validateOne loads a scenario or suite and describes what it is.
func validateOne(arg string) (string, error) {
	data, err := os.ReadFile(arg)
	if errors.Is(err, os.ErrNotExist) {
		l, err := scenarios.Load(arg) // a built-in name
		if err != nil {
			return "", err
		}
		return "built-in scenario " + l.Scenario.Metadata.Name, nil
	}
	if err != nil {
		return "", err
	}
	kind, err := scenarios.DocumentKind(arg, data)
	if err != nil {
		return "", err
	}
	if kind == scenarios.KindSuite {
		// LoadSuite also checks each entry with its overrides applied.
		s, err := scenarios.LoadSuite(arg, scenarios.SuiteOverrides{})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("suite %s, %d scenarios", s.Suite.Metadata.Name, len(s.Runs)), nil
	}
	l, err := scenarios.Load(arg)
	if err != nil {
		return "", err
	}
	return "scenario " + l.Scenario.Metadata.Name, nil
}
