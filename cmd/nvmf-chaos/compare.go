package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
	"github.com/nvmf-chaos/nvmf-chaos/reports/htmlreport"
)

type compareOptions struct {
	threshold   string
	html        string
	onlyChanged bool
}

func newCompareCmd() *cobra.Command {
	var o compareOptions
	cmd := &cobra.Command{
		Use:   "compare BASELINE.json CURRENT.json",
		Short: "Compare a run against a baseline run; exit 1 on regression",
		Long: `compare prints each headline metric of the two runs (baseline → current, change,
threshold) as Markdown and flags regressions. --threshold entries replace the
default for the metrics they name; the others keep their default:
  ` + defaultThresholdText() + `
A threshold names a metric (applies to every window shown) or a metric with its
window ("latency.p99.baseline"); + means a rise is worse, - a fall; a percentage
or an amount in the metric's unit (failover_time=+100ms).

Exit codes: 0 no regression, 1 a regression, 2 bad input (unreadable file, wrong
schema version, bad threshold).`,
		Example: `  nvmf-chaos compare last-release/results.json results.json
  nvmf-chaos compare base.json cur.json --threshold iops=-5%,failover_time=+200ms --html compare.html`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error { return runCompare(cmd, args[0], args[1], &o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.threshold, "threshold", "", "regression thresholds, METRIC=+N% or METRIC=-N%, comma-separated")
	f.StringVar(&o.html, "html", "", "also write an HTML comparison (curves overlaid) to this file")
	f.BoolVar(&o.onlyChanged, "only-changed", false, "leave out metrics that did not move")
	return cmd
}

func runCompare(cmd *cobra.Command, basePath, curPath string, o *compareOptions) error {
	th, err := compareThresholds(o.threshold)
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	base, err := readResult(basePath)
	if err != nil {
		return err
	}
	cur, err := readResult(curPath)
	if err != nil {
		return err
	}
	c, err := reports.Compare(base, cur, th)
	if err != nil {
		return &exitError{code: exitCannotRun, err: fmt.Errorf("compare %s with %s: %w", basePath, curPath, err)}
	}
	if err := reports.WriteComparison(cmd.OutOrStdout(), c, o.onlyChanged); err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	if o.html != "" {
		err := writeHTML(cmd, o.html, func(f *os.File) error { return htmlreport.WriteComparison(f, base, cur, c) })
		if err != nil {
			return err
		}
	}
	if c.Regressed {
		return &exitError{code: exitSLOFailed, err: errors.New("regression against the baseline")}
	}
	return nil
}

// compareThresholds are the defaults with --threshold's entries on top.
func compareThresholds(flag string) (reports.Thresholds, error) {
	th := reports.DefaultThresholds()
	if strings.TrimSpace(flag) == "" {
		return th, nil
	}
	user, err := reports.ParseThresholds(flag)
	if err != nil {
		return nil, fmt.Errorf("--threshold: %w", err)
	}
	for k, v := range user {
		th[k] = v
	}
	return th, nil
}

func defaultThresholdText() string {
	th := reports.DefaultThresholds()
	names := make([]string, 0, len(th))
	for k := range th {
		names = append(names, k)
	}
	sort.Strings(names)
	for i, k := range names {
		names[i] = k + "=" + th[k].Written
	}
	return strings.Join(names, ",")
}
