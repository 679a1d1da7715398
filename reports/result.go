package reports

import (
	"encoding/json"
	"time"
)

// SchemaVersion is the version of results.json this build writes and the
// only one it reads. Adding an optional field keeps the version; renaming,
// removing or re-meaning one bumps it.
const SchemaVersion = 1

// Result is the record of one scenario run: what ran, where, and everything
// the run observed on one clock. Every *Ns field is nanoseconds since run
// start on the run's monotonic clock. Metrics and verdicts are pure functions
// of the record (Compute, Evaluate), so a report can be re-rendered from
// results.json alone; Metrics and Evaluation are stored beside it only so a
// reader without this package sees the numbers.
type Result struct {
	SchemaVersion int          `json:"schemaVersion"`
	Scenario      ScenarioInfo `json:"scenario"`
	Environment   Environment  `json:"environment"`
	// StartedAt is the wall-clock time of run clock zero.
	StartedAt time.Time `json:"startedAt"`
	// EndNs is when the run stopped recording (teardown excluded).
	EndNs  int64       `json:"endNs"`
	Phases []PhaseMark `json:"phases"`
	// Workloads hold the I/O record, one per scenario workload.
	Workloads  []WorkloadRecord `json:"workloads"`
	Faults     []FaultEvent     `json:"faults,omitempty"`
	PathEvents []PathEvent      `json:"pathEvents,omitempty"`
	// RunError is set when the scenario could not run to the end (bad
	// input, provisioning failure): its SLOs are not judged and the run
	// counts as an error, never as a pass.
	RunError string `json:"runError,omitempty"`

	Metrics    *Metrics    `json:"metrics,omitempty"`
	Evaluation *Evaluation `json:"evaluation,omitempty"`
}

// ScenarioInfo says which experiment produced the record.
type ScenarioInfo struct {
	Name string `json:"name"`
	Seed int64  `json:"seed"`
	// Params are the swept parameter values of this run ("host.kato": "1s").
	Params map[string]string `json:"params,omitempty"`
	// Document is the scenario as run (overrides and sweeps applied), as
	// JSON; reports does not interpret it.
	Document json.RawMessage `json:"document,omitempty"`
}

// Environment is what a reader needs to trust or reproduce the numbers.
type Environment struct {
	Target  TargetInfo   `json:"target"`
	Host    HostSettings `json:"host"`
	Machine Machine      `json:"machine"`
	// Workers are the remote workers of a Kubernetes run, with how their
	// clocks were mapped onto the run clock.
	Workers []WorkerInfo `json:"workers,omitempty"`
}

// WorkerInfo is one workload's worker pod on a Kubernetes run. Its
// timestamps were mapped onto the run clock with ClockOffsetNs (worker
// clock minus harness clock), exact within ClockErrorNs (half the
// tightest round trip of the measurement).
type WorkerInfo struct {
	Workload      string `json:"workload"`
	Pod           string `json:"pod"`
	Node          string `json:"node,omitempty"`
	ClockOffsetNs int64  `json:"clockOffsetNs"`
	ClockErrorNs  int64  `json:"clockErrorNs"`
}

// TargetInfo names the storage under test.
type TargetInfo struct {
	// Kind is embedded, spdk or external.
	Kind    string `json:"kind"`
	Version string `json:"version,omitempty"`
	// Backend is local or kubernetes.
	Backend string `json:"backend,omitempty"`
	// Nodes is how local nodes ran: netns (network namespaces, network
	// faults possible) or loopback.
	Nodes string `json:"nodes,omitempty"`
}

// HostSettings are the effective initiator settings (defaults applied),
// named as Linux nvme-cli names them.
type HostSettings struct {
	KATONs           int64  `json:"katoNs,omitempty"`
	ReconnectDelayNs int64  `json:"reconnectDelayNs,omitempty"`
	CtrlLossTmoNs    int64  `json:"ctrlLossTmoNs,omitempty"`
	FastIOFailTmoNs  int64  `json:"fastIOFailTmoNs,omitempty"`
	IOTimeoutNs      int64  `json:"ioTimeoutNs,omitempty"`
	Policy           string `json:"policy,omitempty"`
	NrIOQueues       int    `json:"nrIOQueues,omitempty"`
	QueueSize        int    `json:"queueSize,omitempty"`
	HeaderDigest     bool   `json:"headerDigest,omitempty"`
	DataDigest       bool   `json:"dataDigest,omitempty"`
}

// Machine describes the computer the harness ran on and the harness build.
type Machine struct {
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	Kernel    string `json:"kernel,omitempty"`
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpuModel,omitempty"`
	GoVersion string `json:"goVersion"`
	// Revision is the nvmf-chaos VCS revision; Modified says the build had
	// uncommitted changes.
	Revision     string `json:"revision,omitempty"`
	RevisionTime string `json:"revisionTime,omitempty"`
	Modified     bool   `json:"modified,omitempty"`
}

// Phase names a point on the run timeline the Runner marks.
type Phase string

// The phase marks. Warmup ends where measurement starts; the baseline marks
// are optional and narrow the baseline window (default: from warmup end to
// the first fault); measure-end bounds every window (default: EndNs).
const (
	PhaseWarmupEnd     Phase = "warmup-end"
	PhaseBaselineStart Phase = "baseline-start"
	PhaseBaselineEnd   Phase = "baseline-end"
	PhaseMeasureEnd    Phase = "measure-end"
	PhaseVerifyStart   Phase = "verify-start"
	PhaseVerifyEnd     Phase = "verify-end"
)

// PhaseMark is one phase change on the run clock.
type PhaseMark struct {
	Phase Phase `json:"phase"`
	AtNs  int64 `json:"atNs"`
}

// WorkloadRecord is one workload's I/O record, all its jobs and workers
// merged.
type WorkloadRecord struct {
	Name   string `json:"name"`
	Volume string `json:"volume,omitempty"`
	// Active is when the workload ran, for one that ran for part of the
	// timeline only (a scenario workload's startdelay or runtime): from
	// the release of its I/O to its end. Nil when it ran the whole run;
	// absent in older results. Other workloads' overlap windows and
	// baselines are cut by it (docs/ARCHITECTURE.md, metric definitions).
	Active *Span  `json:"active,omitempty"`
	Series Series `json:"series"`
	// Histograms carry the latency distribution exactly, for windows.
	Histograms Histograms `json:"histograms"`
	// GapFloorNs is the shortest completion gap the recorder logs in Gaps.
	GapFloorNs int64 `json:"gapFloorNs"`
	// Gaps are every interval between consecutive successful completions
	// (any job, any direction) longer than GapFloorNs, in time order: the
	// raw material of failover_time, exact to the completion timestamp.
	Gaps []Gap `json:"gaps"`
	// Errors are the first failed I/Os in completion order; ErrorsDropped
	// counts the ones left out (the series counts them all).
	Errors        []ErrorEvent `json:"errors,omitempty"`
	ErrorsDropped int64        `json:"errorsDropped,omitempty"`
	// Verify is nil when the workload did not verify its data.
	Verify *Verification `json:"verify,omitempty"`
}

// Span is a stretch [StartNs, EndNs) of the run clock.
type Span struct {
	StartNs int64 `json:"startNs"`
	EndNs   int64 `json:"endNs"`
}

// Gap is a stretch without successful completions: StartNs is the last
// completion before it, EndNs the first after it. Open means no completion
// came before the record ended, and EndNs is the end of the record.
type Gap struct {
	StartNs int64 `json:"startNs"`
	EndNs   int64 `json:"endNs"`
	Open    bool  `json:"open,omitempty"`
}

// ErrorEvent is one I/O that failed to the workload after the host's retry
// and failover policy.
type ErrorEvent struct {
	AtNs   int64  `json:"atNs"`
	Job    string `json:"job,omitempty"`
	Dir    string `json:"dir"`
	Offset int64  `json:"offset"`
	Len    int    `json:"len"`
	Err    string `json:"error"`
}

// Verification is what reading back the written data found.
type Verification struct {
	// Blocks is how many blocks were checked.
	Blocks        int64 `json:"blocks"`
	LostWrites    int64 `json:"lostWrites"`
	StaleReads    int64 `json:"staleReads"`
	CorruptBlocks int64 `json:"corruptBlocks"`
	// FirstBad are the first offending blocks, for a human to look at.
	FirstBad []BadBlock `json:"firstBad,omitempty"`
}

// BadBlock is one block verification rejected.
type BadBlock struct {
	LBA int64 `json:"lba"`
	// Kind is lost-write, stale-read or corrupt.
	Kind   string `json:"kind"`
	Detail string `json:"detail,omitempty"`
}

// FaultPhase is the half of a fault's life an event records.
type FaultPhase string

// Fault phases.
const (
	FaultInject  FaultPhase = "inject"
	FaultRecover FaultPhase = "recover"
)

// FaultEvent is a fault's inject or recover on the run clock. Fault numbers
// the fired instance from 1 (a repeated fault fires several) for reports;
// Firing names it as the timeline does, and pairs an inject with its
// recover. An instantaneous fault (ana-change) may have no recover event.
type FaultEvent struct {
	Fault int `json:"fault"`
	// Firing is absent in older results, whose events pair on Fault; a
	// record has it on every event or on none.
	Firing *Firing    `json:"firing,omitempty"`
	Kind   string     `json:"kind"`
	Node   string     `json:"node,omitempty"`
	Volume string     `json:"volume,omitempty"`
	Phase  FaultPhase `json:"phase"`
	AtNs   int64      `json:"atNs"`
	// PlannedNs is when the timeline asked for this phase (AtNs is when
	// it happened). Faults planned for the same instant are one event: a
	// gap they cause counts for each. Absent in older results.
	PlannedNs *int64 `json:"plannedNs,omitempty"`
	// Immediate marks a fault that acts on I/O the moment it is injected
	// (a kill, a pause, a partition): a stall it causes starts at inject,
	// so only a gap starting within Options.MinHorizon of it counts, not
	// noise later in a long fault. Absent (false) in older results.
	Immediate bool `json:"immediate,omitempty"`
	// EngineAtNs is when the engine says the fault took effect (a Chaos
	// Mesh controller's record), mapped onto the run clock, and
	// EngineErrorNs the mapping's error bound. AtNs stays the harness's
	// own clock, which metrics use. Absent when the engine does not say.
	EngineAtNs    *int64 `json:"engineAtNs,omitempty"`
	EngineErrorNs int64  `json:"engineErrorNs,omitempty"`
	// Err says the injector failed; the event still marks when it tried.
	Err string `json:"error,omitempty"`
	// Effect is an inject's took-effect check: absent when the fault has
	// none, on recover events, and in older results.
	Effect *FaultEffect `json:"effect,omitempty"`
}

// FaultEffect is what a firing's took-effect check found: the process
// was stopped, the rule was in place... A firing without effect makes the
// run an error, never a pass, since the fault it measures did not happen.
type FaultEffect struct {
	// TookNs is how long the check ran before it confirmed or gave up.
	TookNs int64 `json:"tookNs"`
	// Err says why the fault did not take effect; empty when it did.
	Err string `json:"error,omitempty"`
}

// Firing names one fired instance of a timeline fault: the fault's index
// in the scenario's timeline.faults and its cycle, the repetition from 0.
// Unlike the fault's description, it is unique: two faults of one kind on
// one node describe themselves alike.
type Firing struct {
	Index int `json:"index"`
	Cycle int `json:"cycle"`
}

// PathEventKind is what happened to a host path.
type PathEventKind string

// Host path events (issue 5: a failover broken into phases).
const (
	PathDown     PathEventKind = "down"
	PathUp       PathEventKind = "up"
	PathANA      PathEventKind = "ana-change"
	PathRequeue  PathEventKind = "requeue"
	PathCtrlLost PathEventKind = "ctrl-lost"
)

// PathEvent is one state change of a host path.
type PathEvent struct {
	AtNs   int64         `json:"atNs"`
	Volume string        `json:"volume,omitempty"`
	Path   string        `json:"path"`
	Kind   PathEventKind `json:"kind"`
	// ANAState is the new state of an ana-change event.
	ANAState string `json:"anaState,omitempty"`
	Detail   string `json:"detail,omitempty"`
}
