package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nvmf-chaos/nvmf-chaos/faults/catalog"
	"github.com/nvmf-chaos/nvmf-chaos/reports"
	"github.com/nvmf-chaos/nvmf-chaos/scenarios"
)

func newListCmd() *cobra.Command {
	var showFaults, showMetrics bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List built-in scenarios (or fault kinds, or SLO metrics)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			defer w.Flush()
			switch {
			case showFaults:
				for _, k := range catalog.Kinds() {
					s, _ := catalog.Lookup(k)
					root := ""
					if s.NeedsRoot {
						root = " (root)"
					}
					fmt.Fprintf(w, "%s\t%s\t%s%s\n", k, engineNames(s.Engines), s.Summary, root)
				}
			case showMetrics:
				for _, n := range reports.MetricNames() {
					s, _ := reports.LookupMetric(n)
					fmt.Fprintf(w, "%s\t%s\n", n, s.Help)
				}
			default:
				bs, err := scenarios.Builtins()
				if err != nil {
					return err
				}
				for _, b := range bs {
					fmt.Fprintf(w, "%s\t%s\n", b.Name, b.Description)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&showFaults, "faults", false, "list fault kinds instead")
	cmd.Flags().BoolVar(&showMetrics, "metrics", false, "list the metrics an SLO may name instead")
	cmd.MarkFlagsMutuallyExclusive("faults", "metrics")
	return cmd
}

func engineNames(es []catalog.Engine) string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = string(e)
	}
	return strings.Join(out, ",")
}
