package reports

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	r := synth(t, fixture{name: "roundtrip", faults: []fixtureFault{{inject: 20e9, recover: 21e9}}, gaps: []Gap{{StartNs: 20e9 - 50e3, EndNs: 21e9 + 3e6}}})
	path := filepath.Join(t.TempDir(), "results.json")
	if err := r.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := r.Encode(&a); err != nil {
		t.Fatal(err)
	}
	if err := got.Encode(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("round trip changed the result:\n%s", firstDiff(a.String(), b.String()))
	}
	if !reflect.DeepEqual(got.Workloads, r.Workloads) || !got.StartedAt.Equal(r.StartedAt) {
		t.Errorf("round trip changed the workloads or start time")
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name, doc, want string
		version         bool
	}{
		{"future version", `{"schemaVersion": 2, "scenario": {"name": "x"}}`, "newer than this nvmf-chaos reads", true},
		{"old version", `{"schemaVersion": 0}`, "no longer read", true},
		{"no version", `{"scenario": {"name": "x"}}`, "no schemaVersion", true},
		{"not json", `results`, "not JSON", false},
		{"no name", `{"schemaVersion": 1}`, "scenario.name is empty", false},
		{"ragged columns", `{"schemaVersion": 1, "scenario": {"name": "x"}, "workloads": [{"name": "w",
			"series": {"intervalNs": 100, "read": {"ios": [1, 2], "bytes": [1]}}}]}`, "column", false},
		{"gap order", `{"schemaVersion": 1, "scenario": {"name": "x"}, "workloads": [{"name": "w",
			"gaps": [{"startNs": 5, "endNs": 9}, {"startNs": 1, "endNs": 2}]}]}`, "time order", false},
		{"recover before inject", `{"schemaVersion": 1, "scenario": {"name": "x"}, "endNs": 100, "faults": [
			{"fault": 1, "kind": "process-kill", "phase": "inject", "atNs": 50},
			{"fault": 1, "kind": "process-kill", "phase": "recover", "atNs": 40}]}`, "before its inject", false},
		{"unknown phase", `{"schemaVersion": 1, "scenario": {"name": "x"}, "faults": [
			{"fault": 1, "kind": "process-kill", "phase": "boom", "atNs": 50}]}`, "unknown phase", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode: %v, want an error containing %q", err, tt.want)
			}
			if errors.Is(err, ErrSchemaVersion) != tt.version {
				t.Errorf("errors.Is(ErrSchemaVersion) = %v, want %v", !tt.version, tt.version)
			}
		})
	}
}

func TestEncodeStampsVersion(t *testing.T) {
	r := &Result{Scenario: ScenarioInfo{Name: "x"}}
	var b bytes.Buffer
	if err := r.Encode(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"schemaVersion":1`) {
		t.Errorf("encoded result lacks the schema version:\n%s", b.String())
	}
}

func TestCurrentMachine(t *testing.T) {
	m := CurrentMachine()
	if m.OS == "" || m.CPUs < 1 || !strings.HasPrefix(m.GoVersion, "go") {
		t.Errorf("CurrentMachine() = %+v", m)
	}
}
