package scenarios

// APIVersion is the only schema version this build reads.
const APIVersion = "nvmf-chaos/v1"

// Document kinds.
const (
	KindScenario = "Scenario"
	KindSuite    = "Suite"
)

// Scenario is one chaos experiment: where the volumes live, what I/O runs
// against them, which faults hit them when, and what must hold (SLOs).
// Field names are the YAML keys of scenario files (schema/scenario.schema.json).
type Scenario struct {
	APIVersion string      `yaml:"apiVersion" json:"apiVersion"`
	Kind       string      `yaml:"kind" json:"kind"`
	Metadata   Metadata    `yaml:"metadata" json:"metadata"`
	Seed       int64       `yaml:"seed,omitempty" json:"seed,omitempty" jsonschema:"description=makes offsets and randomised fault timing (faults' jitter) reproducible; 0 picks one and prints it"`
	Repeat     int         `yaml:"repeat,omitempty" json:"repeat,omitempty" jsonschema:"description=run the fault cycle N times and report each metric's distribution"`
	Cluster    Cluster     `yaml:"cluster" json:"cluster"`
	Volumes    []Volume    `yaml:"volumes" json:"volumes"`
	Workloads  []Workload  `yaml:"workloads" json:"workloads"`
	Host       Host        `yaml:"host,omitempty" json:"host,omitempty"`
	Timeline   Timeline    `yaml:"timeline" json:"timeline"`
	SLOs       []SLO       `yaml:"slos,omitempty" json:"slos,omitempty"`
	Sweep      []SweepAxis `yaml:"sweep,omitempty" json:"sweep,omitempty" jsonschema:"description=run the scenario over every combination of these host or fault parameters"`
}

// Metadata names and explains a scenario.
type Metadata struct {
	Name        string `yaml:"name" json:"name" jsonschema:"pattern=^[a-z0-9][a-z0-9-]*$"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
}

// Cluster says where the targets run.
type Cluster struct {
	// Backend is local (network namespaces and processes on this machine) or
	// kubernetes.
	Backend string `yaml:"backend,omitempty" json:"backend,omitempty" jsonschema:"enum=local,enum=kubernetes"`
	// Target is embedded (nvmf-chaos target), spdk (nvmf_tgt from SPDKBin) or
	// external (an already running target reached at RPC).
	Target string `yaml:"target,omitempty" json:"target,omitempty" jsonschema:"enum=embedded,enum=spdk,enum=external"`
	// SPDKBin is the path of nvmf_tgt when Target is spdk.
	SPDKBin string `yaml:"spdk_bin,omitempty" json:"spdk_bin,omitempty"`
	// RPC maps node name to the RPC address of an external target.
	RPC map[string]string `yaml:"rpc,omitempty" json:"rpc,omitempty"`
	// Listen maps node name to the ip:port an external target's listeners
	// use (the harness adds them there over RPC).
	Listen map[string]string `yaml:"listen,omitempty" json:"listen,omitempty"`
	// Nodes are the storage nodes, each running one target (none with
	// kubernetes.driver: existing, whose storage class serves the volumes).
	Nodes []string `yaml:"nodes,omitempty" json:"nodes,omitempty"`
	// Restart is what happens when a target exits on its own (a crash,
	// not a fault's kill): never (default), on-failure or always, like a
	// Kubernetes pod's restartPolicy. A restarted target is provisioned
	// again.
	Restart string `yaml:"restart,omitempty" json:"restart,omitempty" jsonschema:"enum=never,enum=on-failure,enum=always"`
	// Kubernetes says where and how a kubernetes-backend run deploys.
	Kubernetes *Kubernetes `yaml:"kubernetes,omitempty" json:"kubernetes,omitempty"`
}

// Kubernetes configures the kubernetes backend: targets run as pods (one
// per scenario node, each behind a Service), workloads as Jobs.
type Kubernetes struct {
	// Kubeconfig and Context are found as kubectl finds them when empty
	// ($KUBECONFIG, ~/.kube/config, its current context); run's
	// --kubeconfig and --context flags override them.
	Kubeconfig string `yaml:"kubeconfig,omitempty" json:"kubeconfig,omitempty"`
	Context    string `yaml:"context,omitempty" json:"context,omitempty"`
	// Namespace is created for the run and deleted after it; default
	// nvmf-chaos-<run id>.
	Namespace string `yaml:"namespace,omitempty" json:"namespace,omitempty" jsonschema:"pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"`
	// Nodes maps a scenario node to a cluster node: a node name, or a label
	// selector (key=value[,key=value]). Unmapped nodes go where the
	// scheduler puts them.
	Nodes map[string]string `yaml:"nodes,omitempty" json:"nodes,omitempty"`
	// Image runs targets and workers; default nvmf-chaos:dev (make image).
	Image string `yaml:"image,omitempty" json:"image,omitempty"`
	// ImagePullPolicy applies to every pod the run makes (the SPDK CSI
	// driver's too); default IfNotPresent.
	ImagePullPolicy string `yaml:"image_pull_policy,omitempty" json:"image_pull_policy,omitempty" jsonschema:"enum=Always,enum=IfNotPresent,enum=Never"`
	// CPU and Memory are each pod's requests and limits (Kubernetes
	// quantities: "1", "500m", "512Mi"); none by default.
	CPU    string `yaml:"cpu,omitempty" json:"cpu,omitempty"`
	Memory string `yaml:"memory,omitempty" json:"memory,omitempty"`
	// Driver is how volumes are provisioned: none (over the targets'
	// JSON-RPC, as locally; the default), spdk-csi (the SPDK CSI driver,
	// deployed for the run, provisions on its target pods; volumes are
	// its claims), or existing (claims of StorageClass, whose system
	// serves them: no targets, no nodes).
	Driver string `yaml:"driver,omitempty" json:"driver,omitempty" jsonschema:"enum=none,enum=spdk-csi,enum=existing"`
	// StorageClass is the class of driver: existing.
	StorageClass string `yaml:"storage_class,omitempty" json:"storage_class,omitempty"`
	// DriverImages override the SPDK CSI driver's images (driver:
	// spdk-csi); default those of its upstream deploy.
	DriverImages *DriverImages `yaml:"driver_images,omitempty" json:"driver_images,omitempty"`
	// SPDK runs SPDK's nvmf_tgt from an image (target: spdk).
	SPDK *KubeSPDK `yaml:"spdk,omitempty" json:"spdk,omitempty"`
}

// KubeSPDK runs SPDK's nvmf_tgt from an image as each node's target
// (cluster.target: spdk on kubernetes), with a relay of the project's
// image beside it carrying the harness's RPC to nvmf_tgt's unix socket.
type KubeSPDK struct {
	// Image holds nvmf_tgt and what it needs to run.
	Image string `yaml:"image" json:"image"`
	// Command starts nvmf_tgt in the image (default [nvmf_tgt], found on
	// the image's PATH).
	Command []string `yaml:"command,omitempty" json:"command,omitempty"`
	// Args are nvmf_tgt's arguments; the pod adds -r (its RPC socket).
	// Default: -m 0x1, with --no-huge -s 1024 when hugepages is unset.
	Args []string `yaml:"args,omitempty" json:"args,omitempty"`
	// Hugepages is the 2 MiB hugepage memory each target pod gets
	// ("2Gi"), which the nodes must offer; unset runs without.
	Hugepages string `yaml:"hugepages,omitempty" json:"hugepages,omitempty"`
	// Privileged runs nvmf_tgt's container privileged (default true, as
	// SPDK's own Kubernetes examples do).
	Privileged *bool `yaml:"privileged,omitempty" json:"privileged,omitempty"`
}

// DriverImages are the SPDK CSI driver's images.
type DriverImages struct {
	// Driver is the SPDK CSI plugin (default spdkcsi/spdkcsi:canary).
	Driver string `yaml:"driver,omitempty" json:"driver,omitempty"`
	// Provisioner is the external-provisioner sidecar.
	Provisioner string `yaml:"provisioner,omitempty" json:"provisioner,omitempty"`
	// Registrar is the node-driver-registrar sidecar.
	Registrar string `yaml:"registrar,omitempty" json:"registrar,omitempty"`
}

// Volume is one namespace exported from one or more nodes.
type Volume struct {
	Name string `yaml:"name" json:"name"`
	Size Size   `yaml:"size" json:"size"`
	// Nodes export the volume; more than one means multipath over a shared
	// backing. None with kubernetes.driver: existing.
	Nodes []string `yaml:"nodes,omitempty" json:"nodes,omitempty"`
	// ANA is the ANA state of each node's listener (default optimized).
	ANA map[string]string `yaml:"ana,omitempty" json:"ana,omitempty"`
	// Backing is malloc, file (shared across nodes) or lvol (thin, as
	// spdk-csi provisions). Default: file when several nodes share the
	// volume, else malloc.
	Backing string `yaml:"backing,omitempty" json:"backing,omitempty" jsonschema:"enum=malloc,enum=file,enum=lvol"`
	// Shared false gives each node its own copy of the data: a deliberately
	// broken dual-controller setup that loses writes on failover.
	Shared *bool `yaml:"shared,omitempty" json:"shared,omitempty"`
}

// Workload is one fio-style job against a volume: either fio options inline
// (fio's names: rw, bs, iodepth, ...) or a fio job file.
type Workload struct {
	Name   string `yaml:"name" json:"name"`
	Volume string `yaml:"volume" json:"volume"`
	// Fio is a fio job file, relative to the scenario file.
	Fio string `yaml:"fio,omitempty" json:"fio,omitempty"`
	// StartDelay and Runtime put the workload on part of the timeline:
	// it starts StartDelay after warmup ends (counted as faults' at is)
	// and runs for Runtime (default: to the end). A workload that starts
	// late has no warmup of its own.
	StartDelay Duration `yaml:"startdelay,omitempty" json:"startdelay,omitempty" jsonschema:"description=start this long after warmup ends (as faults' at); the workload then has no warmup of its own"`
	Runtime    Duration `yaml:"runtime,omitempty" json:"runtime,omitempty" jsonschema:"description=run this long from its start (default: to the end of the timeline)"`
	// Options are fio options with fio's names and value syntax.
	Options map[string]string `yaml:",inline" json:"-"`
}

// partial says whether the workload runs for part of t only: it starts
// late, or stops before the end.
func (w Workload) partial(t Timeline) bool {
	return w.StartDelay > 0 || (w.Runtime > 0 && w.StartDelay+w.Runtime < t.Duration)
}

// Host carries the initiator settings, named as Linux nvme-cli names them.
type Host struct {
	KATO           Duration `yaml:"kato,omitempty" json:"kato,omitempty"`
	ReconnectDelay Duration `yaml:"reconnect_delay,omitempty" json:"reconnect_delay,omitempty"`
	CtrlLossTmo    Duration `yaml:"ctrl_loss_tmo,omitempty" json:"ctrl_loss_tmo,omitempty"`
	FastIOFailTmo  Duration `yaml:"fast_io_fail_tmo,omitempty" json:"fast_io_fail_tmo,omitempty"`
	IOTimeout      Duration `yaml:"io_timeout,omitempty" json:"io_timeout,omitempty"`
	// Policy is failover, round-robin or queue-depth.
	Policy       string `yaml:"policy,omitempty" json:"policy,omitempty" jsonschema:"enum=failover,enum=round-robin,enum=queue-depth"`
	NrIOQueues   int    `yaml:"nr_io_queues,omitempty" json:"nr_io_queues,omitempty"`
	QueueSize    int    `yaml:"queue_size,omitempty" json:"queue_size,omitempty"`
	HeaderDigest bool   `yaml:"hdr_digest,omitempty" json:"hdr_digest,omitempty"`
	DataDigest   bool   `yaml:"data_digest,omitempty" json:"data_digest,omitempty"`
}

// Timeline is the run's schedule on the run clock.
type Timeline struct {
	// Warmup is excluded from every metric.
	Warmup Duration `yaml:"warmup,omitempty" json:"warmup,omitempty"`
	// Duration is the measured run after warmup; fault times count from
	// the end of warmup.
	Duration Duration     `yaml:"duration" json:"duration"`
	Faults   []FaultEvent `yaml:"faults,omitempty" json:"faults,omitempty"`
}

// FaultEvent is one fault on the timeline.
type FaultEvent struct {
	At       Duration          `yaml:"at" json:"at"`
	Duration Duration          `yaml:"duration,omitempty" json:"duration,omitempty"`
	Kind     string            `yaml:"kind" json:"kind"`
	Node     string            `yaml:"node,omitempty" json:"node,omitempty"`
	Volume   string            `yaml:"volume,omitempty" json:"volume,omitempty"`
	Params   map[string]string `yaml:"params,omitempty" json:"params,omitempty"`
	// Engine picks what injects the fault on Kubernetes: native (the API
	// only) or chaos-mesh; empty takes the kind's default.
	Engine string `yaml:"engine,omitempty" json:"engine,omitempty" jsonschema:"enum=native,enum=chaos-mesh"`
	// Repeat fires the fault Count times, Every apart (link flapping).
	Repeat *FaultRepeat `yaml:"repeat,omitempty" json:"repeat,omitempty"`
	// Jitter starts each firing up to this much later than planned, by an
	// amount drawn from the scenario's seed: the same seed gives the same
	// times, another seed other times.
	Jitter Duration `yaml:"jitter,omitempty" json:"jitter,omitempty" jsonschema:"description=start each firing up to this much later, drawn from the seed"`
}

// FaultRepeat makes a fault periodic.
type FaultRepeat struct {
	Count int      `yaml:"count" json:"count"`
	Every Duration `yaml:"every" json:"every"`
}

// SLO is one objective: a metric, optionally over a window, with a bound.
// Max and Min are written in the metric's unit ("2s", "0", "20k").
type SLO struct {
	Metric string `yaml:"metric" json:"metric"`
	Window string `yaml:"window,omitempty" json:"window,omitempty"`
	Max    string `yaml:"max,omitempty" json:"max,omitempty"`
	Min    string `yaml:"min,omitempty" json:"min,omitempty"`
	// Of picks the statistic of a repeated metric the bound applies to:
	// worst (default), median, p90.
	Of string `yaml:"of,omitempty" json:"of,omitempty" jsonschema:"enum=worst,enum=median,enum=p90"`
	// Workload judges one workload's metrics instead of every workload's
	// combined.
	Workload string `yaml:"workload,omitempty" json:"workload,omitempty" jsonschema:"description=judge this workload's metrics instead of all workloads combined"`
	// Vs baseline judges the metric in Window divided by the same metric
	// in the workload's own baseline; Max and Min are then ratios ("2",
	// "1.5x").
	Vs string `yaml:"vs,omitempty" json:"vs,omitempty" jsonschema:"enum=baseline,description=judge the metric in window as a ratio to the same metric in the workload's baseline; max and min are then ratios (2 or 1.5x)"`
}

// SweepAxis is one parameter a sweep varies: a host field ("host.kato") or a
// fault parameter ("faults[0].duration", "faults[0].params.percent").
type SweepAxis struct {
	Param  string   `yaml:"param" json:"param"`
	Values []string `yaml:"values" json:"values"`
}

// Suite lists scenarios to run together for release qualification.
type Suite struct {
	APIVersion string       `yaml:"apiVersion" json:"apiVersion"`
	Kind       string       `yaml:"kind" json:"kind"`
	Metadata   Metadata     `yaml:"metadata" json:"metadata"`
	Scenarios  []SuiteEntry `yaml:"scenarios" json:"scenarios"`
}

// SuiteEntry is a scenario file or built-in name with overrides.
type SuiteEntry struct {
	// Scenario is a file path (relative to the suite) or a built-in name.
	Scenario string `yaml:"scenario" json:"scenario"`
	// Duration scales the scenario's timeline to this measured duration.
	Duration Duration `yaml:"duration,omitempty" json:"duration,omitempty"`
	Seed     int64    `yaml:"seed,omitempty" json:"seed,omitempty"`
	Repeat   int      `yaml:"repeat,omitempty" json:"repeat,omitempty"`
	Host     *Host    `yaml:"host,omitempty" json:"host,omitempty"`
}
