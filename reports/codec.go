package reports

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// ErrSchemaVersion is returned (wrapped) for a results.json whose schema
// version this build does not read.
var ErrSchemaVersion = errors.New("unsupported results.json schema version")

// Decode reads a results.json document and checks that it is one this build
// understands: the schema version first (so a newer file gets "upgrade
// nvmf-chaos", not a confusing field error), then the record's consistency.
func Decode(r io.Reader) (*Result, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading results: %w", err)
	}
	var probe struct {
		SchemaVersion *int `json:"schemaVersion"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("results: not JSON: %w", err)
	}
	switch {
	case probe.SchemaVersion == nil:
		return nil, fmt.Errorf("results: no schemaVersion: not an nvmf-chaos results.json: %w", ErrSchemaVersion)
	case *probe.SchemaVersion > SchemaVersion:
		return nil, fmt.Errorf("results: schema version %d is newer than this nvmf-chaos reads (%d); upgrade nvmf-chaos: %w",
			*probe.SchemaVersion, SchemaVersion, ErrSchemaVersion)
	case *probe.SchemaVersion < SchemaVersion:
		return nil, fmt.Errorf("results: schema version %d is no longer read (this build reads %d); re-run the scenario: %w",
			*probe.SchemaVersion, SchemaVersion, ErrSchemaVersion)
	}
	res := new(Result)
	if err := json.Unmarshal(data, res); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	if err := res.Validate(); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	return res, nil
}

// ReadFile decodes the results.json at path.
func ReadFile(path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	res, err := Decode(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}

// Encode writes r as compact JSON, stamping the schema version. Compact,
// because indenting puts each of a long run's hundreds of thousands of
// series numbers on its own line; read it with jq.
func (r *Result) Encode(w io.Writer) error {
	r.SchemaVersion = SchemaVersion
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // thresholds read "<= 2s", not "\u003c= 2s"
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encoding results: %w", err)
	}
	return nil
}

// WriteFile writes r to path atomically (temporary file and rename), so a
// crash mid-write never leaves a truncated results.json behind.
func (r *Result) WriteFile(path string) error {
	var buf bytes.Buffer
	if err := r.Encode(&buf); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".results-*.json")
	if err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	defer os.Remove(tmp.Name())              // no-op after a successful rename
	if err := tmp.Chmod(0o644); err != nil { // CreateTemp makes it private
		tmp.Close()
		return fmt.Errorf("writing results: %w", err)
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("writing results: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	return nil
}

// Validate checks the record's internal consistency: what metric
// computation relies on. It does not judge the run.
func (r *Result) Validate() error {
	if r.Scenario.Name == "" {
		return errors.New("scenario.name is empty")
	}
	if r.EndNs < 0 {
		return fmt.Errorf("endNs %d is negative", r.EndNs)
	}
	for i, p := range r.Phases {
		if p.AtNs < 0 || p.AtNs > r.EndNs {
			return fmt.Errorf("phases[%d] %s at %d: outside the run [0, %d]", i, p.Phase, p.AtNs, r.EndNs)
		}
	}
	names := map[string]bool{}
	for i := range r.Workloads {
		w := &r.Workloads[i]
		if names[w.Name] {
			return fmt.Errorf("workloads[%d]: duplicate name %q", i, w.Name)
		}
		names[w.Name] = true
		if err := w.validate(); err != nil {
			return fmt.Errorf("workload %q: %w", w.Name, err)
		}
	}
	return validateFaults(r.Faults)
}

func (w *WorkloadRecord) validate() error {
	if a := w.Active; a != nil && (a.StartNs < 0 || a.EndNs < a.StartNs) {
		return fmt.Errorf("active [%d, %d): want 0 <= start <= end", a.StartNs, a.EndNs)
	}
	if err := w.Series.validate(); err != nil {
		return fmt.Errorf("series: %w", err)
	}
	if err := w.Histograms.validate(); err != nil {
		return fmt.Errorf("histograms: %w", err)
	}
	if !sort.SliceIsSorted(w.Gaps, func(i, j int) bool { return w.Gaps[i].StartNs < w.Gaps[j].StartNs }) {
		return errors.New("gaps are not in time order")
	}
	for i, g := range w.Gaps {
		if g.EndNs < g.StartNs {
			return fmt.Errorf("gaps[%d]: ends at %d before it starts at %d", i, g.EndNs, g.StartNs)
		}
	}
	return nil
}

// validateFaults checks that each fault instance is injected once and
// recovered once at most, not before its inject, and that instances and
// fault numbers (what windows and reports name faults by) match one to one.
// A failed recovery may be followed by another: the schedule retries it.
func validateFaults(evs []FaultEvent) error {
	for i, e := range evs {
		// Mixed, an inject could pair on one thing and its recover on
		// the other: no writer makes such a record.
		if (e.Firing == nil) != (evs[0].Firing == nil) {
			has := map[bool]string{true: "has a firing", false: "has none"}
			return fmt.Errorf("faults[%d] %s, faults[0] %s: a record names firings on every fault event or on none",
				i, has[e.Firing != nil], has[evs[0].Firing != nil])
		}
	}
	inject := map[firingKey]FaultEvent{}
	number := map[int]firingKey{}
	for i, e := range evs {
		if e.Phase != FaultInject {
			continue
		}
		k := e.key()
		if _, dup := inject[k]; dup {
			return fmt.Errorf("faults[%d]: %s injected twice", i, k)
		}
		if other, dup := number[e.Fault]; dup {
			return fmt.Errorf("faults[%d]: %s has fault number %d, already %s's", i, k, e.Fault, other)
		}
		inject[k], number[e.Fault] = e, k
	}
	recovered := map[firingKey]bool{}
	for i, e := range evs {
		k := e.key()
		switch e.Phase {
		case FaultInject:
		case FaultRecover:
			in, ok := inject[k]
			switch {
			case !ok:
				return fmt.Errorf("faults[%d]: %s recovered but never injected", i, k)
			case in.Fault != e.Fault:
				return fmt.Errorf("faults[%d]: %s recovered as fault %d, injected as fault %d", i, k, e.Fault, in.Fault)
			case recovered[k]:
				return fmt.Errorf("faults[%d]: %s recovered twice", i, k)
			case e.AtNs < in.AtNs:
				return fmt.Errorf("faults[%d]: %s recovered at %d before its inject at %d", i, k, e.AtNs, in.AtNs)
			}
			recovered[k] = e.Err == ""
		default:
			return fmt.Errorf("faults[%d]: unknown phase %q (want inject or recover)", i, e.Phase)
		}
	}
	return nil
}
