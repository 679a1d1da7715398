package spdkrpc

import "encoding/json"

// Optional fields below carry omitempty: leaving them zero means "not sent",
// which makes SPDK apply its default, as the python client does when an
// argument is None. Required fields never carry omitempty.

// BdevMallocCreateParams are bdev_malloc_create's params
// (module/bdev/malloc/bdev_malloc_rpc.c). Result: the new bdev's name.
type BdevMallocCreateParams struct {
	NumBlocks         uint64 `json:"num_blocks"`
	BlockSize         uint32 `json:"block_size"` // power of two, ≥ 512
	Name              string `json:"name,omitempty"`
	UUID              string `json:"uuid,omitempty"`
	PhysicalBlockSize uint32 `json:"physical_block_size,omitempty"`
	OptimalIOBoundary uint32 `json:"optimal_io_boundary,omitempty"`
	MdSize            uint32 `json:"md_size,omitempty"`
	MdInterleave      bool   `json:"md_interleave,omitempty"`
	DifType           int32  `json:"dif_type,omitempty"`
	DifIsHeadOfMd     bool   `json:"dif_is_head_of_md,omitempty"`
}

// BdevAioCreateParams are bdev_aio_create's params
// (module/bdev/aio/bdev_aio_rpc.c). Result: the bdev name.
type BdevAioCreateParams struct {
	Name      string `json:"name"`
	Filename  string `json:"filename"`
	BlockSize uint32 `json:"block_size,omitempty"` // 0: detected from the file
	Readonly  bool   `json:"readonly,omitempty"`
}

// BdevNullCreateParams are bdev_null_create's params
// (module/bdev/null/bdev_null_rpc.c). Result: the bdev name.
type BdevNullCreateParams struct {
	Name              string `json:"name"`
	NumBlocks         uint64 `json:"num_blocks"`
	BlockSize         uint32 `json:"block_size"`
	UUID              string `json:"uuid,omitempty"`
	PhysicalBlockSize uint32 `json:"physical_block_size,omitempty"`
	MdSize            uint32 `json:"md_size,omitempty"`
	DifType           int32  `json:"dif_type,omitempty"`
	DifIsHeadOfMd     bool   `json:"dif_is_head_of_md,omitempty"`
}

// BdevDeleteParams are the params of every *_delete method the harness uses
// (bdev_malloc_delete, bdev_delay_delete, bdev_error_delete,
// bdev_lvol_delete). Result: true. A missing bdev is -19 "No such device".
type BdevDeleteParams struct {
	Name string `json:"name"`
}

// BdevGetBdevsParams are bdev_get_bdevs's params (lib/bdev/bdev_rpc.c).
// With Name set the result holds that one bdev (looked up by name, alias or
// UUID) or the call fails with -19 "No such device" after Timeout ms.
type BdevGetBdevsParams struct {
	Name    string `json:"name,omitempty"`
	Timeout uint64 `json:"timeout,omitempty"` // milliseconds to wait for Name to appear
}

// Bdev is one element of bdev_get_bdevs's result (rpc_dump_bdev_info). A
// server must send Aliases as [] rather than null when there are none, and
// must send SupportedIOTypes and AssignedRateLimits, as SPDK always does.
type Bdev struct {
	Name               string            `json:"name"`
	Aliases            []string          `json:"aliases"`
	ProductName        string            `json:"product_name"`
	BlockSize          uint32            `json:"block_size"`
	NumBlocks          uint64            `json:"num_blocks"`
	UUID               string            `json:"uuid"`
	MdSize             uint32            `json:"md_size,omitempty"`
	MdInterleave       bool              `json:"md_interleave,omitempty"`
	DifType            uint32            `json:"dif_type,omitempty"`
	AssignedRateLimits map[string]uint64 `json:"assigned_rate_limits"`
	Claimed            bool              `json:"claimed"`
	ClaimType          string            `json:"claim_type,omitempty"`
	Zoned              bool              `json:"zoned"`
	SupportedIOTypes   map[string]bool   `json:"supported_io_types"`
	// DriverSpecific is module-specific: {"lvol":{...}}, {"aio":{...}},
	// {"delay":{...}} and so on; kept raw.
	DriverSpecific json.RawMessage `json:"driver_specific,omitempty"`
}

// Latency types bdev_delay_update_latency accepts.
const (
	LatencyAvgRead  = "avg_read"
	LatencyP99Read  = "p99_read"
	LatencyAvgWrite = "avg_write"
	LatencyP99Write = "p99_write"
)

// BdevDelayCreateParams are bdev_delay_create's params
// (module/bdev/delay/vbdev_delay_rpc.c); all latencies are microseconds and
// required. Result: the delay bdev's name.
type BdevDelayCreateParams struct {
	BaseBdevName    string `json:"base_bdev_name"`
	Name            string `json:"name"`
	UUID            string `json:"uuid,omitempty"`
	AvgReadLatency  uint64 `json:"avg_read_latency"`
	P99ReadLatency  uint64 `json:"p99_read_latency"`
	AvgWriteLatency uint64 `json:"avg_write_latency"`
	P99WriteLatency uint64 `json:"p99_write_latency"`
}

// BdevDelayUpdateLatencyParams are bdev_delay_update_latency's params.
// Result: true. A missing bdev is -32602 "The requested bdev does not
// exist."; a bdev that is not a delay bdev -32600 "The requested bdev is not
// a delay bdev."; I/O already in flight keeps its old latency.
type BdevDelayUpdateLatencyParams struct {
	DelayBdevName string `json:"delay_bdev_name"`
	LatencyType   string `json:"latency_type"` // one of the Latency* constants
	LatencyUs     uint64 `json:"latency_us"`
}

// I/O and error types bdev_error_inject_error accepts in v24.01
// (nvme_failure and nvme_sct/nvme_sc came in later releases).
const (
	ErrorIOClear = "clear" // removes the injection
	ErrorIORead  = "read"
	ErrorIOWrite = "write"
	ErrorIOUnmap = "unmap"
	ErrorIOFlush = "flush"
	ErrorIOAll   = "all"

	ErrorTypeFailure     = "failure"
	ErrorTypePending     = "pending"
	ErrorTypeCorruptData = "corrupt_data"
	ErrorTypeNomem       = "nomem"
)

// BdevErrorCreateParams are bdev_error_create's params
// (module/bdev/error/vbdev_error_rpc.c). It creates the bdev
// "EE_"+BaseName. Result: true.
type BdevErrorCreateParams struct {
	BaseName string `json:"base_name"`
	UUID     string `json:"uuid,omitempty"`
}

// BdevErrorInjectErrorParams are bdev_error_inject_error's params.
// Result: true.
type BdevErrorInjectErrorParams struct {
	Name          string `json:"name"`          // the EE_ bdev
	IOType        string `json:"io_type"`       // one of the ErrorIO* constants
	ErrorType     string `json:"error_type"`    // one of the ErrorType* constants
	Num           uint32 `json:"num,omitempty"` // I/Os to fail; 0 sends nothing and SPDK uses 1
	QueueDepth    uint64 `json:"queue_depth,omitempty"`
	CorruptOffset uint64 `json:"corrupt_offset,omitempty"`
	CorruptValue  uint8  `json:"corrupt_value,omitempty"`
}
