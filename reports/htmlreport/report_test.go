package htmlreport

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

// Fixtures are real short runs recorded by `make fixtures`
// (scripts/htmlreport-fixtures.sh); see testdata/scenarios.
var fixtures = []struct {
	name    string
	verdict string // banner class
}{
	{"baseline", "pass"},
	{"kill-two-workloads", "fail"},
	{"ana-short", "pass"},
}

func loadFixture(t testing.TB, name string) *reports.Result {
	t.Helper()
	r, err := reports.ReadFile(filepath.Join("testdata", name+".results.json"))
	if err != nil {
		t.Fatalf("fixture %s: %v (regenerate with make fixtures)", name, err)
	}
	return r
}

// render writes r's report and parses it, failing on a render error.
func render(t *testing.T, write func(io.Writer) error) (string, *html.Node) {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := html.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("report is not HTML: %v", err)
	}
	return buf.String(), doc
}

func TestWriteRunFixtures(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			r := loadFixture(t, fx.name)
			page, doc := render(t, func(w io.Writer) error { return Write(w, r) })
			banner := find(doc, func(n *html.Node) bool { return hasClass(n, "banner") })
			if len(banner) != 1 || !hasClass(banner[0], fx.verdict) {
				t.Fatalf("want one %s banner, got %d", fx.verdict, len(banner))
			}
			checkSLOTable(t, doc, r)
			checkFaultTable(t, doc, r)
			svgs := checkSVGs(t, page)
			if want := 3*len(r.Workloads) + 1; svgs != want {
				t.Errorf("%d plots, want %d (3 per workload and the percentile curve)", svgs, want)
			}
			checkSelfContained(t, doc)
			if strings.Contains(page, "Could not show everything") {
				t.Errorf("a real run's report lists problems")
			}
		})
	}
}

// checkSLOTable asserts one row per verdict, coloured by its outcome and
// showing the stored measured value and threshold.
func checkSLOTable(t *testing.T, doc *html.Node, r *reports.Result) {
	t.Helper()
	rows := tableRows(doc, "metric", "threshold")
	if len(rows) != len(r.Evaluation.Verdicts) {
		t.Fatalf("SLO table has %d rows, want %d", len(rows), len(r.Evaluation.Verdicts))
	}
	for i, v := range r.Evaluation.Verdicts {
		row := rows[i]
		text := textOf(row)
		for _, want := range []string{v.SLO.Metric, v.Display, v.Threshold} {
			if !strings.Contains(text, want) {
				t.Errorf("SLO row %d %q lacks %q", i, text, want)
			}
		}
		if want := map[bool]string{true: "pass", false: "fail"}[v.Pass]; !hasClass(row, want) {
			t.Errorf("SLO row %d (%s) is not %s", i, v.SLO.Metric, want)
		}
	}
}

func checkFaultTable(t *testing.T, doc *html.Node, r *reports.Result) {
	t.Helper()
	rows := tableRows(doc, "kind", "failover time")
	faults := r.Metrics.Overall.Faults
	if len(rows) != len(faults) {
		t.Fatalf("fault table has %d rows, want %d", len(rows), len(faults))
	}
	for i, f := range faults {
		text := textOf(rows[i])
		for _, want := range []string{f.Kind, f.Node, dur(f.FailoverTimeNs), dur(f.IOPauseNs)} {
			if !strings.Contains(text, want) {
				t.Errorf("fault row %d %q lacks %q", i, text, want)
			}
		}
	}
}

// checkSVGs parses every inline SVG as XML and asserts it has a viewBox
// and a width, so it scales and is well-formed; returns how many.
func checkSVGs(t *testing.T, page string) int {
	t.Helper()
	n := 0
	for rest := page; ; n++ {
		i := strings.Index(rest, "<svg")
		if i < 0 {
			return n
		}
		j := strings.Index(rest[i:], "</svg>")
		if j < 0 {
			t.Fatalf("svg %d is not closed", n)
		}
		el := rest[i : i+j+len("</svg>")]
		rest = rest[i+j:]
		var root struct {
			XMLName xml.Name
			ViewBox string `xml:"viewBox,attr"`
			Width   string `xml:"width,attr"`
		}
		if err := xml.Unmarshal([]byte(el), &root); err != nil {
			t.Errorf("svg %d is not well-formed XML: %v", n, err)
			continue
		}
		if root.XMLName.Local != "svg" || root.ViewBox == "" || root.Width == "" {
			t.Errorf("svg %d: element %q viewBox %q width %q", n, root.XMLName.Local, root.ViewBox, root.Width)
		}
		if err := wellFormed(el); err != nil {
			t.Errorf("svg %d: %v", n, err)
		}
	}
}

// wellFormed walks every token: Unmarshal alone stops at the root.
func wellFormed(s string) error {
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// checkSelfContained asserts the page loads nothing: no script, no
// stylesheet link, no image or other src.
func checkSelfContained(t *testing.T, doc *html.Node) {
	t.Helper()
	for _, n := range find(doc, func(n *html.Node) bool { return n.Type == html.ElementNode }) {
		if n.Data == "script" || n.Data == "link" || n.Data == "img" || n.Data == "iframe" {
			t.Errorf("page has a <%s>", n.Data)
		}
		for _, a := range n.Attr {
			if a.Key == "src" || (a.Key == "href" && strings.Contains(a.Val, "//")) {
				t.Errorf("<%s %s=%q> fetches", n.Data, a.Key, a.Val)
			}
		}
	}
}

func TestWriteRunDegenerate(t *testing.T) {
	base := loadFixture(t, "ana-short")
	cases := []struct {
		name   string
		mutate func(r *reports.Result)
		want   []string
	}{
		{"could not run", func(r *reports.Result) {
			r.RunError, r.Workloads, r.Faults, r.PathEvents, r.Metrics, r.Evaluation = "provisioning tgt-a: port in use", nil, nil, nil, nil, nil
		}, []string{"Could not run", "provisioning tgt-a: port in use"}},
		{"not evaluated", func(r *reports.Result) { r.Evaluation = nil }, []string{"Not evaluated"}},
		{"metrics recomputed", func(r *reports.Result) { r.Metrics = nil }, []string{"ana-change", "failover time"}},
		{"corrupt histogram", func(r *reports.Result) {
			r.Metrics = nil
			r.Workloads[0].Histograms.Read[2] = "not-a-histogram"
		}, []string{"metrics could not be computed"}},
		{"no intervals", func(r *reports.Result) {
			r.Workloads[0].Series = reports.Series{}
		}, []string{"recorded no intervals"}},
		{"silent run", func(r *reports.Result) {
			for i := range r.Workloads[0].Series.Read.IOs {
				s := &r.Workloads[0].Series
				s.Read.P50Ns[i], s.Read.P99Ns[i], s.Read.P999Ns[i] = 0, 0, 0
				s.Write.P50Ns[i], s.Write.P99Ns[i], s.Write.P999Ns[i] = 0, 0, 0
			}
		}, []string{"latency per interval"}},
		{"no I/O at all", func(r *reports.Result) {
			s := &r.Workloads[0].Series
			for _, d := range []*reports.DirSeries{&s.Read, &s.Write} {
				for i := range d.IOs {
					d.IOs[i], d.Bytes[i], d.P50Ns[i], d.P99Ns[i], d.P999Ns[i] = 0, 0, 0, 0, 0
				}
			}
			r.Workloads[0].Histograms.Read = make([]string, r.Workloads[0].Histograms.Len())
			r.Workloads[0].Histograms.Write = make([]string, r.Workloads[0].Histograms.Len())
			r.Metrics = nil
		}, []string{"oltp: IOPS"}},
		{"markup in names", func(r *reports.Result) {
			r.Scenario.Name = "<script>x</script>"
			r.Faults[0].Node = "tgt-\x01<b>"
			r.Metrics = nil
		}, []string{"&lt;script&gt;"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := clone(t, base)
			tc.mutate(r)
			page, doc := render(t, func(w io.Writer) error { return Write(w, r) })
			for _, want := range tc.want {
				if !strings.Contains(page, want) {
					t.Errorf("page lacks %q", want)
				}
			}
			checkSVGs(t, page)
			checkSelfContained(t, doc)
		})
	}
}

func clone(t testing.TB, r *reports.Result) *reports.Result {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	out := new(reports.Result)
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteSuite(t *testing.T) {
	var runs []Run
	for _, fx := range fixtures {
		runs = append(runs, Run{Result: loadFixture(t, fx.name), Link: fx.name + "/report.html"})
	}
	broken := clone(t, runs[0].Result)
	broken.RunError, broken.Scenario.Name = "target did not start", "broken"
	runs = append(runs, Run{Result: broken})
	page, doc := render(t, func(w io.Writer) error { return WriteSuite(w, runs) })
	if b := find(doc, func(n *html.Node) bool { return hasClass(n, "banner") }); len(b) != 1 || !hasClass(b[0], "fail") {
		t.Fatalf("suite banner is not fail")
	}
	if !strings.Contains(page, "2 of 4 runs passed") {
		t.Errorf("verdict line missing")
	}
	rows := tableRows(doc, "scenario", "verdict")
	if len(rows) != len(runs) {
		t.Fatalf("%d matrix rows, want %d", len(rows), len(runs))
	}
	for i, run := range runs {
		want := map[string]string{"pass": "pass", "fail": "fail", "error": "error"}[verdictOf(run.Result).Class]
		if !hasClass(rows[i], want) {
			t.Errorf("row %d (%s) is not %s", i, reports.RunName(run.Result), want)
		}
		links := find(rows[i], func(n *html.Node) bool { return n.Data == "a" })
		if (run.Link != "") != (len(links) == 1) || (run.Link != "" && attr(links[0], "href") != run.Link) {
			t.Errorf("row %d: links %d, want %q", i, len(links), run.Link)
		}
	}
	failed := find(rows[1], func(n *html.Node) bool { return n.Data == "td" && hasClass(n, "fail") })
	if len(failed) != 1 || !strings.Contains(attr(failed[0], "title"), "100ms") {
		t.Errorf("kill-two-workloads: want one red recovery_time cell, got %d", len(failed))
	}
}
