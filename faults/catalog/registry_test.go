package catalog

import (
	"regexp"
	"slices"
	"testing"
)

var kebab = regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)

// TestRegistry: every registered kind has a unique kebab-case name, says
// what it does, can be injected by some engine, and takes its own
// defaults: a scenario that gives no params must validate.
func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range registry {
		name := string(s.Kind)
		if seen[name] {
			t.Errorf("%s registered twice", name)
		}
		seen[name] = true
		if !kebab.MatchString(name) {
			t.Errorf("%q: want a kebab-case name", name)
		}
		if s.Summary == "" || len(s.Engines) == 0 {
			t.Errorf("%s: summary %q, engines %v: want both", name, s.Summary, s.Engines)
		}
		if _, err := s.Parse(nil); err != nil {
			t.Errorf("%s: its defaults do not parse: %v", name, err)
		}
		if got, _ := Lookup(s.Kind); got != s {
			t.Errorf("Lookup(%s) does not find it", name)
		}
	}
	if !slices.IsSorted(Kinds()) || len(Kinds()) != len(registry) {
		t.Errorf("Kinds() = %v: want every kind, sorted", Kinds())
	}
	if _, err := ParseKind("meteor"); err == nil {
		t.Error("ParseKind(meteor) found a kind")
	}
}

// TestEnginesFollowBuilders: a kind's engines are exactly the builders
// its Def gives, so the list `list --faults` prints and KubeEngine picks
// from cannot name an engine with no builder.
func TestEnginesFollowBuilders(t *testing.T) {
	for _, s := range registry {
		has := map[Engine]bool{EngineLocal: s.local != nil, EngineRPC: s.rpc != nil, EngineNative: s.native != nil, EngineChaosMesh: s.chaos != nil}
		for e, ok := range has {
			if ok != slices.Contains(s.Engines, e) {
				t.Errorf("%s: engine %s listed %v, builder %v", s.Kind, e, slices.Contains(s.Engines, e), ok)
			}
		}
		if (s.ChaosNeeds.Resource != "") != (s.chaos != nil) {
			t.Errorf("%s: Chaos Mesh resource %q without an object, or an object without its resource", s.Kind, s.ChaosNeeds.Resource)
		}
	}
}

func TestKubeEngine(t *testing.T) {
	tests := []struct {
		kind  string
		asked string
		want  Engine
		err   bool
	}{
		{"process-kill", "", EngineNative, false},
		{"process-kill", "chaos-mesh", EngineChaosMesh, false},
		{"network-partition", "", EngineChaosMesh, false},
		{"network-partition", "native", "", true},
		{"ana-change", "", EngineRPC, false},
		{"ana-change", "native", "", true},
		{"node-down", "", "", true},
	}
	for _, tt := range tests {
		s, _ := ParseKind(tt.kind)
		got, err := s.KubeEngine(tt.asked)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("%s engine %q: %s, %v; want %s, error %v", tt.kind, tt.asked, got, err, tt.want, tt.err)
		}
	}
}
