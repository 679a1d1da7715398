package reports

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// reportRuns are judged fixture runs plus one that could not run.
func reportRuns(t *testing.T) []*Result {
	t.Helper()
	var runs []*Result
	for _, name := range []string{"pause-1s", "never-resumed", "repeated"} {
		r := loadFixture(t, fixtures[name])
		if err := Finish(r, standardSLOs[:4], Options{}); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	r := loadFixture(t, fixtures["no-fault"])
	r.Scenario.Params = map[string]string{"host.kato": "1s"}
	r.RunError = "provisioning: nvmf_create_subsystem: connection refused"
	return append(runs, r)
}

func TestWriteJUnitGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, reportRuns(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "junit.xml", b.Bytes())
}

func TestWriteJUnitRoundTrip(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, reportRuns(t)); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v", err)
	}
	if len(doc.Suites) != 4 || doc.Tests != 13 || doc.Failures != 4 || doc.Errors != 1 {
		t.Errorf("suites %d tests %d failures %d errors %d, want 4, 13, 4, 1", len(doc.Suites), doc.Tests, doc.Failures, doc.Errors)
	}
	for _, s := range doc.Suites {
		failures, errors := 0, 0
		for _, c := range s.Cases {
			if c.Failure != nil {
				failures++
			}
			if c.Error != nil {
				errors++
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != failures || s.Errors != errors {
			t.Errorf("suite %s: counts %d/%d/%d disagree with its test cases %d/%d/%d", s.Name, s.Tests, s.Failures, s.Errors, len(s.Cases), failures, errors)
		}
	}
	if got := doc.Suites[3].Name; got != "no-fault[host.kato=1s]" {
		t.Errorf("swept run's suite is named %q", got)
	}
}

// junitSchema is the structure of the common JUnit XSD (Ant's junit.xsd
// as CI systems read it): each element's required attributes and allowed
// children.
var junitSchema = map[string]struct {
	required []string
	children []string
}{
	"testsuites": {nil, []string{"testsuite"}},
	"testsuite":  {[]string{"name", "tests", "failures", "errors", "time", "timestamp", "hostname"}, []string{"properties", "testcase", "system-out", "system-err"}},
	"properties": {nil, []string{"property"}},
	"property":   {[]string{"name", "value"}, nil},
	"testcase":   {[]string{"name", "classname", "time"}, []string{"failure", "error", "skipped", "system-out", "system-err"}},
	"failure":    {[]string{"type"}, nil},
	"error":      {[]string{"type"}, nil},
	"system-out": {nil, nil},
	"system-err": {nil, nil},
}

func TestWriteJUnitSchema(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, reportRuns(t)); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&b)
	var stack []string
	seen := map[string]bool{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			name := e.Name.Local
			rule, ok := junitSchema[name]
			if !ok {
				t.Fatalf("element <%s> is not in the JUnit schema", name)
			}
			if len(stack) == 0 && name != "testsuites" {
				t.Fatalf("root is <%s>, want <testsuites>", name)
			}
			if len(stack) > 0 && !contains(junitSchema[stack[len(stack)-1]].children, name) {
				t.Errorf("<%s> may not hold <%s>", stack[len(stack)-1], name)
			}
			for _, a := range rule.required {
				if !hasAttr(e, a) {
					t.Errorf("<%s> lacks required attribute %s", name, a)
				}
			}
			seen[name] = true
			stack = append(stack, name)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	for _, want := range []string{"testsuite", "properties", "testcase", "failure", "error", "system-out"} {
		if !seen[want] {
			t.Errorf("no <%s> element written", want)
		}
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func hasAttr(e xml.StartElement, name string) bool {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return true
		}
	}
	return false
}

func TestWriteSummaryGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSummary(&b, reportRuns(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.md", b.Bytes())
	if !strings.Contains(b.String(), "1 of 4 runs passed") {
		t.Errorf("summary headline wrong:\n%s", b.String())
	}
}
