package testcluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// State is what Up records for Status and Down: written before anything is
// started and again after each component, so a half-started or crashed
// cluster can still be torn down.
type State struct {
	Nodes   []Node    `json:"nodes"`
	Started time.Time `json:"started"`
	Procs   []*Proc   `json:"procs"`
	// Sysctls are the host-wide kernel settings the kubelet changes, as
	// they were before Up.
	Sysctls map[string]string `json:"sysctls"`
	// CreatedPaths are fixed host paths (used by shims, libcni, the
	// kubelet) that did not exist before Up.
	CreatedPaths []string `json:"created_paths"`
	// Before is the machine as Up found it; Down compares with it.
	Before *Snapshot `json:"before,omitempty"`
	// Ready is set once every node is Ready and the probe pods ran (and,
	// with ChaosMesh, its controller leads and its webhooks answer).
	Ready bool `json:"ready"`
	// ChaosMesh records that Up was asked for Chaos Mesh.
	ChaosMesh bool `json:"chaos_mesh,omitempty"`
}

// ErrNoCluster means no cluster state was found.
var ErrNoCluster = errors.New("no test cluster is up")

func loadState(l Layout) (*State, error) {
	b, err := os.ReadFile(l.statePath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoCluster
	}
	if err != nil {
		return nil, fmt.Errorf("reading cluster state: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("cluster state %s: %w", l.statePath(), err)
	}
	return &s, nil
}

// save writes the state atomically.
func (s *State) save(l Layout) error {
	if err := os.MkdirAll(l.Dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", l.Dir, err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding cluster state: %w", err)
	}
	tmp := l.statePath() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("writing cluster state: %w", err)
	}
	return os.Rename(tmp, l.statePath())
}

// proc finds a component's process.
func (s *State) proc(component string) *Proc {
	for _, p := range s.Procs {
		if p.Component == component {
			return p
		}
	}
	return nil
}
