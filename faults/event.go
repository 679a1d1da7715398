package faults

import "time"

// Phase says which half of a fault cycle an event records.
type Phase string

// The phases of a fault cycle.
const (
	// PhaseInject: the failure was applied.
	PhaseInject Phase = "inject"
	// PhaseRecover: the failure was undone.
	PhaseRecover Phase = "recover"
)

// Event is one inject or recover on the run's clock: the record metrics
// such as failover_time are computed from.
type Event struct {
	// Fault is the fault's Describe line.
	Fault string `json:"fault"`
	Kind  Kind   `json:"kind,omitempty"`
	Node  string `json:"node,omitempty"`
	Phase Phase  `json:"phase"`
	// Index is the fault's position in the schedule's timeline and Cycle
	// counts its repetitions, from 0: together they name one firing, and
	// pair its inject with its recover. Fault cannot: two faults of one
	// kind on one node describe themselves alike.
	Index int `json:"index"`
	Cycle int `json:"cycle"`
	// At is when the call started, in nanoseconds since the run's start.
	At time.Duration `json:"at_ns"`
	// Planned is when the timeline asked for this phase, on the same
	// clock. Faults planned for one instant start microseconds apart in
	// At; Planned tells they are one event (storage-down kills both
	// targets "at once"). A recovery on exit keeps its cycle's plan.
	Planned time.Duration `json:"planned_ns"`
	// Took is how long the Inject or Recover call ran.
	Took time.Duration `json:"took_ns"`
	// EngineAt, when set, is when the fault's engine says it took effect,
	// on the run clock, within EngineErrorNs (its timestamps' resolution):
	// a Chaos Mesh object's record. Metrics keep using At, the harness's
	// own clock; the gap between them is the engine's latency.
	EngineAt      *time.Duration `json:"engine_at_ns,omitempty"`
	EngineErrorNs time.Duration  `json:"engine_error_ns,omitempty"`
	// Err is the call's error, as text so the record survives results.json.
	Err string `json:"err,omitempty"`
	// Effect is the took-effect check of a successful inject; nil when the
	// fault has none (see EffectChecker), and on recover events.
	Effect *EffectCheck `json:"effect,omitempty"`
}
