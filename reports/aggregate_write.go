package reports

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// aggregateColumns are the key metrics a row of an aggregate table shows,
// each the worst over the runs.
var aggregateColumns = []struct{ key, title string }{
	{"failover_time", "failover"}, {"io_pause", "I/O pause"}, {"recovery_time", "recovery"},
	{"iops.baseline", "IOPS (baseline)"}, {"latency.p99.baseline", "p99 (baseline)"},
	{"io_errors", "I/O errors"}, {"lost_writes", "lost writes"},
}

// sweepColumns answer a sweep's question ("which settings fail over
// under 2 s without I/O errors") and leave the rest to sweep.json.
var sweepColumns = []struct{ key, title string }{
	{"failover_time", "failover"}, {"io_pause", "I/O pause"}, {"io_errors", "I/O errors"},
	{"iops.baseline", "IOPS (baseline)"}, {"latency.p99.baseline", "p99 (baseline)"},
}

// WriteAggregateSummary writes the summary.md of repeated runs or of a
// suite: one row per aggregate (worst value over its runs), then for each
// repeated one its metrics' distribution and SLO verdicts, then what
// failed.
func WriteAggregateSummary(w io.Writer, title string, aggs []*Aggregate) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "## nvmf-chaos %s: %d of %d passed\n\n", title, countPassed(aggs), len(aggs))
	bw.WriteString("| scenario | runs | verdict |")
	writeHeader(bw, len(aggregateColumns), func(i int) string { return aggregateColumns[i].title })
	for _, a := range aggs {
		fmt.Fprintf(bw, "| %s | %d | %s |", mdCell(RunName(a.Result())), a.Runs, a.Status())
		for _, c := range aggregateColumns {
			bw.WriteString(" " + worstText(a, c.key) + " |")
		}
		bw.WriteString("\n")
	}
	for _, a := range aggs {
		if a.Runs > 1 {
			writeDistribution(bw, a)
		}
	}
	writeAggregateFailures(bw, aggs)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing summary: %w", err)
	}
	return nil
}

// WriteSweepTable writes sweep.md: one row per cell with its swept values
// in the first columns, in axis order.
func WriteSweepTable(w io.Writer, name string, axes []string, aggs []*Aggregate) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "## nvmf-chaos sweep %s: %d of %d cells passed\n\n", name, countPassed(aggs), len(aggs))
	bw.WriteString("|")
	for _, ax := range axes {
		bw.WriteString(" " + mdCell(ax) + " |")
	}
	bw.WriteString(" runs | verdict |")
	for _, c := range sweepColumns {
		bw.WriteString(" " + c.title + " |")
	}
	bw.WriteString("\n|" + strings.Repeat("---|", len(axes)+2) + strings.Repeat("---:|", len(sweepColumns)) + "\n")
	for _, a := range aggs {
		bw.WriteString("|")
		for _, ax := range axes {
			bw.WriteString(" " + mdCell(a.Params[ax]) + " |")
		}
		fmt.Fprintf(bw, " %d | %s |", a.Runs, a.Status())
		for _, c := range sweepColumns {
			bw.WriteString(" " + worstText(a, c.key) + " |")
		}
		bw.WriteString("\n")
	}
	bw.WriteString("\nEach value is the worst over the cell's runs; sweep.json has every distribution.\n")
	writeAggregateFailures(bw, aggs)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing sweep table: %w", err)
	}
	return nil
}

func countPassed(aggs []*Aggregate) int {
	n := 0
	for _, a := range aggs {
		if a.Status() == "pass" {
			n++
		}
	}
	return n
}

func writeHeader(bw *bufio.Writer, n int, title func(int) string) {
	for i := range n {
		bw.WriteString(" " + title(i) + " |")
	}
	bw.WriteString("\n|---|---:|---|" + strings.Repeat("---:|", n) + "\n")
}

func worstText(a *Aggregate, key string) string {
	if s, ok := a.Spread(key); ok {
		return s.Display.Worst
	}
	return "–"
}

// writeDistribution shows a repeated scenario's metrics over its runs and
// each SLO judged on the statistic it names.
func writeDistribution(bw *bufio.Writer, a *Aggregate) {
	fmt.Fprintf(bw, "\n### %s: %d runs, seeds %v\n\n", mdCell(RunName(a.Result())), a.Runs, a.Seeds)
	bw.WriteString("| metric | min | median | p90 | max |\n|---|---:|---:|---:|---:|\n")
	for _, s := range a.Metrics {
		fmt.Fprintf(bw, "| %s | %s | %s | %s | %s |\n", s.Name, s.Display.Min, s.Display.Median, s.Display.P90, s.Display.Max)
	}
	if a.Evaluation == nil || len(a.Evaluation.Verdicts) == 0 {
		return
	}
	bw.WriteString("\n| SLO | of | threshold | measured | verdict |\n|---|---|---|---:|---|\n")
	for _, v := range a.Evaluation.Verdicts {
		verdict := "pass"
		if !v.Pass {
			verdict = "FAIL"
		}
		fmt.Fprintf(bw, "| %s | %s | %s | %s | %s |\n", mdCell(sloLabel(SLO{Metric: v.SLO.Metric, Window: v.SLO.Window, Workload: v.SLO.Workload, Vs: v.SLO.Vs})),
			statName(v.SLO.Of), mdCell(v.Threshold), mdCell(v.Display), verdict)
	}
}

func writeAggregateFailures(bw *bufio.Writer, aggs []*Aggregate) {
	header := false
	for _, a := range aggs {
		name := mdCell(RunName(a.Result()))
		var lines []string
		for _, e := range a.Errors {
			lines = append(lines, fmt.Sprintf("| %s | run | – | – | %s |", name, mdCell(e)))
		}
		if a.Evaluation != nil {
			for _, v := range a.Evaluation.Verdicts {
				if !v.Pass {
					lines = append(lines, fmt.Sprintf("| %s | %s | %s | %s | %s |", name,
						mdCell(sloLabel(v.SLO)), mdCell(v.Threshold), mdCell(v.Display), mdCell(v.Detail)))
				}
			}
		}
		if len(lines) > 0 && !header {
			bw.WriteString("\n### Failed\n\n| scenario | SLO | threshold | measured | detail |\n|---|---|---|---:|---|\n")
			header = true
		}
		for _, l := range lines {
			bw.WriteString(l + "\n")
		}
	}
}
