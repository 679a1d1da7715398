package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// The JUnit XML elements, in the shape the common schemas (Ant's
// junit.xsd as CI systems consume it, Jenkins' junit-10.xsd) require:
// testsuites > testsuite > properties, testcase*, system-out, system-err.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Hostname   string          `xml:"hostname,attr"`
	ID         int             `xml:"id,attr"`
	Package    string          `xml:"package,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out"`
	SystemErr  string          `xml:"system-err"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes junit.xml for a set of runs: one testsuite per run
// (named after the scenario, and its swept parameters), one testcase per
// SLO with a failure when it failed, and the run's key metrics as
// properties. A run that did not run, or was never evaluated, is one
// testcase with an error: CI must never read it as a pass.
func WriteJUnit(w io.Writer, runs []*Result) error {
	doc := junitSuites{Name: "nvmf-chaos"}
	var total time.Duration
	for i, r := range runs {
		s := junitSuiteOf(r, i)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		total += time.Duration(r.EndNs)
		doc.Suites = append(doc.Suites, s)
	}
	doc.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("writing junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", " ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("writing junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// RunName names a run in reports: the scenario, with its swept
// parameters in brackets.
func RunName(r *Result) string {
	if len(r.Scenario.Params) == 0 {
		return r.Scenario.Name
	}
	keys := make([]string, 0, len(r.Scenario.Params))
	for k := range r.Scenario.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + r.Scenario.Params[k]
	}
	return r.Scenario.Name + "[" + strings.Join(keys, ",") + "]"
}

func junitSuiteOf(r *Result, id int) junitSuite {
	name := RunName(r)
	s := junitSuite{Name: name, ID: id, Package: "nvmf-chaos", Time: seconds(time.Duration(r.EndNs)),
		Timestamp: r.StartedAt.UTC().Format("2006-01-02T15:04:05"), Hostname: "localhost"}
	s.Properties = runProperties(r)
	switch {
	case r.RunError != "":
		s.Cases = []junitCase{{Name: "run", Classname: name, Time: s.Time,
			Error: &junitProblem{Message: "scenario did not run", Type: "run-error", Text: r.RunError}}}
		s.Errors = 1
	case r.Evaluation == nil:
		s.Cases = []junitCase{{Name: "evaluate", Classname: name, Time: "0",
			Error: &junitProblem{Message: "results were not evaluated against the SLOs", Type: "not-evaluated"}}}
		s.Errors = 1
	default:
		for _, v := range r.Evaluation.Verdicts {
			c := junitCase{Name: v.Name(), Classname: name, Time: "0"}
			if !v.Pass {
				c.Failure = &junitProblem{Message: v.Detail, Type: "slo",
					Text: fmt.Sprintf("%s: measured %s, threshold %s", v.SLO.Metric, v.Display, v.Threshold)}
				s.Failures++
			}
			s.Cases = append(s.Cases, c)
		}
	}
	s.Tests = len(s.Cases)
	return s
}

func runProperties(r *Result) []junitProperty {
	ps := []junitProperty{
		{"seed", fmt.Sprint(r.Scenario.Seed)},
		{"target.kind", r.Environment.Target.Kind},
		{"target.version", r.Environment.Target.Version},
		{"nvmf-chaos.revision", r.Environment.Machine.Revision},
	}
	if r.Metrics != nil {
		for _, k := range KeyMetrics(r.Metrics) {
			ps = append(ps, junitProperty{k.Name, k.Display})
		}
	}
	if r.Evaluation != nil {
		for _, v := range r.Evaluation.Verdicts {
			if v.Ratio != nil {
				ps = append(ps, junitProperty{ratioProperty(v.SLO), v.Display})
			}
		}
	}
	out := ps[:0]
	for _, p := range ps {
		if p.Value != "" {
			out = append(out, p)
		}
	}
	return out
}

// ratioProperty names a ratio verdict's property:
// ratio.WORKLOAD.METRIC.WINDOW, WORKLOAD "overall" when the SLO names none.
func ratioProperty(s SLO) string {
	w := s.Workload
	if w == "" {
		w = "overall"
	}
	return "ratio." + w + "." + s.Metric + "." + s.Window
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
