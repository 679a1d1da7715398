package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nvmf-chaos/nvmf-chaos/provision/supervisor"
)

// RunEnv is set in every target process's environment to the run's name
// ("<prefix>-<run id>"), so Sweep finds targets even without a state file.
const RunEnv = "NVMF_CHAOS_RUN"

// stateVersion is bumped when State changes incompatibly.
const stateVersion = 1

// stateFile is the state file's name inside the run directory.
const stateFile = "state.json"

// ProcRef names one process for good: a PID plus its start time, so a
// recycled PID is never mistaken for it.
type ProcRef struct {
	PID       int    `json:"pid"`
	StartTime uint64 `json:"start_time"`
}

// procRef describes the running process pid; zero when it is gone.
func procRef(pid int) ProcRef {
	st, err := supervisor.ReadStat(pid)
	if err != nil {
		return ProcRef{}
	}
	return ProcRef{PID: pid, StartTime: st.StartTime}
}

// Alive reports whether the process still runs (zombies count as gone).
func (r ProcRef) Alive() bool {
	if r.PID <= 0 {
		return false
	}
	st, err := supervisor.ReadStat(r.PID)
	return err == nil && st.StartTime == r.StartTime && st.State != 'Z'
}

// State is what a run records so a later cleanup can undo it: written to
// <run dir>/state.json and linked from the state directory as <name>.json.
type State struct {
	Version    int                `json:"version"`
	Name       string             `json:"name"` // "<prefix>-<run id>"
	Mode       Mode               `json:"mode"`
	Target     TargetKind         `json:"target"`
	RunDir     string             `json:"run_dir"`
	Owner      ProcRef            `json:"owner"` // the harness process
	Bridge     string             `json:"bridge,omitempty"`
	Links      []string           `json:"links,omitempty"`
	Namespaces []string           `json:"namespaces,omitempty"`
	Processes  map[string]ProcRef `json:"processes,omitempty"` // by node
	// SPDKPIDs are every nvmf_tgt incarnation's PID, whose DPDK runtime
	// directories are removed once they are dead.
	SPDKPIDs []int `json:"spdk_pids,omitempty"`
	// Detached marks a cluster left running on purpose (`nvmf-chaos
	// provision --detach`): its owner is alive by design, so a plain
	// cleanup tears it down, owner included, instead of leaving it alone.
	Detached bool `json:"detached,omitempty"`
}

// writeState saves st atomically and links it into stateDir.
func writeState(stateDir string, st *State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("state %s: %w", st.Name, err)
	}
	path := filepath.Join(st.RunDir, stateFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("state %s: %w", st.Name, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("state %s: %w", st.Name, err)
	}
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	link := filepath.Join(stateDir, st.Name+".json")
	if target, err := os.Readlink(link); err == nil && target == path {
		return nil
	}
	_ = os.Remove(link)
	if err := os.Symlink(path, link); err != nil {
		return fmt.Errorf("state %s: register: %w", st.Name, err)
	}
	return nil
}

// removeState deletes the state file and its registration.
func removeState(stateDir string, st *State) error {
	var errs []error
	for _, p := range []string{filepath.Join(stateDir, st.Name+".json"), filepath.Join(st.RunDir, stateFile)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// readState loads a state file (or the registration linking to it).
func readState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("state %s: version %d, want %d", path, st.Version, stateVersion)
	}
	return &st, nil
}
