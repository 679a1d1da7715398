package worker

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

// Spec is what a worker runs: one workload's jobs against one target.
type Spec struct {
	Workload string          `json:"workload"`
	Target   string          `json:"target"`
	Jobs     []workloads.Job `json:"jobs"`
	// Interval is the per-interval series' resolution.
	Interval time.Duration `json:"interval"`
}

// DecodeSpec parses and checks a worker spec.
func DecodeSpec(b []byte) (Spec, error) {
	var s Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("worker spec: %w", err)
	}
	switch {
	case s.Target == "":
		return s, errors.New("worker spec: no target")
	case len(s.Jobs) == 0:
		return s, errors.New("worker spec: no jobs")
	}
	return s, nil
}

// Report is a worker's record: the engine's result on the run clock, the
// multipath host's path events, or why it failed.
type Report struct {
	Result     *workloads.Result `json:"result,omitempty"`
	PathEvents []PathEvent       `json:"path_events,omitempty"`
	Error      string            `json:"error,omitempty"`
}

// PathEvent is a path event of the worker's host, on the run clock.
type PathEvent struct {
	AtNs     int64  `json:"at_ns"`
	Path     string `json:"path"`
	Kind     string `json:"kind"`
	ANAState string `json:"ana_state,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

// ClockSample is one round trip of the clock measurement.
type ClockSample struct {
	// Offset is worker clock minus harness clock at the midpoint.
	Offset time.Duration
	// Bound is half the round trip: the offset is exact within it.
	Bound time.Duration
}

// clockReply is the /clock answer.
type clockReply struct {
	UnixNs int64 `json:"unix_ns"`
}

// startRequest is the /start body.
type startRequest struct {
	// StartUnixNs is run-clock zero in the worker's clock.
	StartUnixNs int64 `json:"start_unix_ns"`
}
