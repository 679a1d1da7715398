package htmlreport

import (
	"io"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

// scaleIOPS returns a copy of r whose workloads completed factor times
// the I/Os, with metrics recomputed from the scaled record: a regression
// (or improvement) the comparison must see, made from a real run.
func scaleIOPS(t *testing.T, r *reports.Result, factor float64) *reports.Result {
	t.Helper()
	out := clone(t, r)
	for i := range out.Workloads {
		s := &out.Workloads[i].Series
		for _, d := range []*reports.DirSeries{&s.Read, &s.Write} {
			for j := range d.IOs {
				d.IOs[j] = int64(float64(d.IOs[j]) * factor)
				d.Bytes[j] = int64(float64(d.Bytes[j]) * factor)
			}
		}
	}
	m, err := reports.Compute(out, out.Metrics.Options)
	if err != nil {
		t.Fatalf("recomputing scaled metrics: %v", err)
	}
	out.Metrics = m
	return out
}

func TestWriteComparison(t *testing.T) {
	cases := []struct {
		fixture   string
		factor    float64
		regressed bool
	}{
		{"baseline", 1, false},
		{"baseline", 0.5, true},
		{"kill-two-workloads", 1, false},
		{"kill-two-workloads", 0.8, true},
		{"ana-short", 1.5, false}, // faster is no regression
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			base := loadFixture(t, tc.fixture)
			cur := scaleIOPS(t, base, tc.factor)
			c, err := reports.Compare(base, cur, reports.DefaultThresholds())
			if err != nil {
				t.Fatal(err)
			}
			if c.Regressed != tc.regressed {
				t.Fatalf("regressed = %v, want %v", c.Regressed, tc.regressed)
			}
			page, doc := render(t, func(w io.Writer) error { return WriteComparison(w, base, cur, c) })
			want := map[bool]string{true: "fail", false: "pass"}[tc.regressed]
			if b := find(doc, func(n *html.Node) bool { return hasClass(n, "banner") }); len(b) != 1 || !hasClass(b[0], want) {
				t.Fatalf("banner is not %s", want)
			}
			rows := tableRows(doc, "metric", "change")
			if len(rows) != len(c.Deltas) {
				t.Fatalf("%d delta rows, want %d", len(rows), len(c.Deltas))
			}
			for i, d := range c.Deltas {
				if hasClass(rows[i], "fail") != d.Regression || !strings.Contains(textOf(rows[i]), d.Metric) {
					t.Errorf("delta row %d %q: regression %v", i, textOf(rows[i]), d.Regression)
				}
			}
			// IOPS and p99 per workload, and the percentile curves.
			if n, want := checkSVGs(t, page), 2*len(cur.Workloads)+1; n != want {
				t.Errorf("%d plots, want %d", n, want)
			}
			checkSelfContained(t, doc)
		})
	}
}

func TestWriteComparisonDidNotRun(t *testing.T) {
	base := loadFixture(t, "baseline")
	cur := clone(t, base)
	cur.RunError = "target did not start"
	c, err := reports.Compare(base, cur, reports.DefaultThresholds())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := render(t, func(w io.Writer) error { return WriteComparison(w, base, cur, c) })
	for _, want := range []string{"regression", "did not run: target did not start", "no curves"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}
