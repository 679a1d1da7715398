package reports

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// summaryColumns are the key metrics summary.md shows per run.
var summaryColumns = []struct{ key, title string }{
	{"failover_time", "failover"}, {"io_pause", "I/O pause"}, {"recovery_time", "recovery"},
	{"iops.baseline", "IOPS (baseline)"}, {"latency.p99.baseline", "p99 (baseline)"},
	{"io_errors", "I/O errors"}, {"lost_writes", "lost writes"},
}

// WriteSummary writes summary.md: one line of verdict, a table of runs
// with their headline metrics (worst fault), and the SLOs that failed. It
// is short on purpose: CI logs and pull-request comments.
func WriteSummary(w io.Writer, runs []*Result) error {
	bw := bufio.NewWriter(w)
	passed := 0
	for _, r := range runs {
		if runStatus(r) == "pass" {
			passed++
		}
	}
	fmt.Fprintf(bw, "## nvmf-chaos: %d of %d runs passed\n\n", passed, len(runs))
	bw.WriteString("| run | verdict |")
	for _, c := range summaryColumns {
		bw.WriteString(" " + c.title + " |")
	}
	bw.WriteString("\n|---|---|" + strings.Repeat("---:|", len(summaryColumns)) + "\n")
	for _, r := range runs {
		writeSummaryRow(bw, r)
	}
	writeRatios(bw, runs)
	writeFailures(bw, runs)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing summary: %w", err)
	}
	return nil
}

// runStatus is pass, FAIL (an SLO failed) or ERROR (not run or not judged).
func runStatus(r *Result) string {
	switch {
	case r.RunError != "" || r.Evaluation == nil:
		return "ERROR"
	case r.Evaluation.Pass:
		return "pass"
	}
	return "FAIL"
}

func writeSummaryRow(bw *bufio.Writer, r *Result) {
	vals := map[string]string{}
	if r.Metrics != nil {
		for _, k := range KeyMetrics(r.Metrics) {
			vals[k.Name] = k.Display
		}
	}
	fmt.Fprintf(bw, "| %s | %s |", mdCell(RunName(r)), runStatus(r))
	for _, c := range summaryColumns {
		v, ok := vals[c.key]
		if !ok {
			v = "–"
		}
		bw.WriteString(" " + v + " |")
	}
	bw.WriteString("\n")
}

func writeFailures(bw *bufio.Writer, runs []*Result) {
	header := false
	for _, r := range runs {
		var lines []string
		switch {
		case r.RunError != "":
			lines = []string{fmt.Sprintf("| %s | run | – | – | %s |", mdCell(RunName(r)), mdCell(r.RunError))}
		case r.Evaluation == nil:
			lines = []string{fmt.Sprintf("| %s | evaluate | – | – | not evaluated |", mdCell(RunName(r)))}
		default:
			for _, v := range r.Evaluation.Verdicts {
				if !v.Pass {
					lines = append(lines, fmt.Sprintf("| %s | %s | %s | %s | %s |", mdCell(RunName(r)),
						mdCell(sloLabel(v.SLO)), mdCell(v.Threshold), mdCell(v.Display), mdCell(v.Detail)))
				}
			}
		}
		if len(lines) > 0 && !header {
			bw.WriteString("\n### Failed\n\n| run | SLO | threshold | measured | detail |\n|---|---|---|---:|---|\n")
			header = true
		}
		for _, l := range lines {
			bw.WriteString(l + "\n")
		}
	}
}

// writeRatios lists every SLO judged relative to baseline, passed or
// not, with both of its terms: a ratio alone hides whether the window got
// slow or the baseline was fast.
func writeRatios(bw *bufio.Writer, runs []*Result) {
	header := false
	for _, r := range runs {
		if r.Evaluation == nil {
			continue
		}
		for _, v := range r.Evaluation.Verdicts {
			if v.Ratio == nil {
				continue
			}
			if !header {
				bw.WriteString("\n### Against baseline\n\n| run | SLO | in window | baseline | ratio | threshold | verdict |\n|---|---|---:|---:|---:|---|---|\n")
				header = true
			}
			spec, _ := LookupMetric(v.SLO.Metric)
			verdict := "pass"
			if !v.Pass {
				verdict = "FAIL"
			}
			fmt.Fprintf(bw, "| %s | %s | %s | %s | %s | %s | %s |\n", mdCell(RunName(r)), mdCell(sloLabel(v.SLO)),
				FormatValue(spec.Unit, v.Ratio.Window), FormatValue(spec.Unit, v.Ratio.Baseline), FormatValue(UnitRatio, v.Measured),
				mdCell(v.Threshold), verdict)
		}
	}
}

func sloLabel(s SLO) string {
	l := s.Metric
	if s.Workload != "" {
		l += " of " + s.Workload
	}
	if s.Window != "" {
		l += " (" + s.Window + ")"
	}
	if s.Vs != "" {
		l += " vs " + s.Vs
	}
	if s.Of != "" && s.Of != OfWorst {
		l += ", " + s.Of
	}
	return l
}

// mdCell keeps a value from breaking the table.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
