package spdkrpc

// Signals spdk_kill_instance accepts (lib/event/app_rpc.c).
const (
	SIGINT  = "SIGINT"
	SIGTERM = "SIGTERM"
	SIGQUIT = "SIGQUIT"
	SIGHUP  = "SIGHUP"
	SIGKILL = "SIGKILL"
	SIGUSR1 = "SIGUSR1"
)

// SpdkGetVersion is spdk_get_version's result (lib/rpc/rpc.c). The method
// takes no params at all: SPDK refuses even an empty object with -32602
// "spdk_get_version method requires no parameters".
type SpdkGetVersion struct {
	Version string        `json:"version"` // e.g. "SPDK v24.01"
	Fields  VersionFields `json:"fields"`
}

// VersionFields are the parts of an SPDK version.
type VersionFields struct {
	Major  uint32 `json:"major"`
	Minor  uint32 `json:"minor"`
	Patch  uint32 `json:"patch"`
	Suffix string `json:"suffix"`
	Commit string `json:"commit,omitempty"`
}

// SpdkKillInstanceParams are spdk_kill_instance's params. Result: true, but
// the process may die before the reply leaves, so a client sees EOF.
type SpdkKillInstanceParams struct {
	SigName string `json:"sig_name"`
}
