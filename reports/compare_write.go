package reports

import (
	"bufio"
	"fmt"
	"io"
)

// WriteComparison writes a comparison as Markdown: a verdict line, then one
// row per metric with its change, threshold and whether it regressed.
// With onlyChanged, metrics that did not move are left out.
func WriteComparison(w io.Writer, c Comparison, onlyChanged bool) error {
	bw := bufio.NewWriter(w)
	regressions := 0
	for _, d := range c.Deltas {
		if d.Regression {
			regressions++
		}
	}
	if c.Regressed {
		fmt.Fprintf(bw, "## nvmf-chaos compare: %d regression(s)\n\n", regressions)
	} else {
		bw.WriteString("## nvmf-chaos compare: no regression\n\n")
	}
	bw.WriteString("| run | metric | baseline → current | change | threshold | |\n|---|---|---|---:|---:|---|\n")
	for _, d := range c.Deltas {
		if onlyChanged && d.Change == 0 && !d.Regression {
			continue
		}
		mark := ""
		if d.Regression {
			mark = "REGRESSION"
		}
		fmt.Fprintf(bw, "| %s | %s | %s | %s | %s | %s |\n", mdCell(d.Run), d.Metric, mdCell(d.Display),
			formatChange(d.Change), d.Threshold, mark)
	}
	for _, u := range c.Unmatched {
		fmt.Fprintf(bw, "\nnot compared: %s\n", mdCell(u))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing comparison: %w", err)
	}
	return nil
}
