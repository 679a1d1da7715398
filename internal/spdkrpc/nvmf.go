package spdkrpc

// Transport, address-family and ANA-state strings of the nvmf methods.
const (
	TransportTCP = "TCP"

	AdrfamIPv4 = "IPv4"
	AdrfamIPv6 = "IPv6"

	AnaOptimized    = "optimized"
	AnaNonOptimized = "non_optimized"
	AnaInaccessible = "inaccessible"

	// DiscoveryNQN is the well-known discovery subsystem; SPDK's python
	// client maps the short name "discovery" to it.
	DiscoveryNQN = "nqn.2014-08.org.nvmexpress.discovery"
)

// NvmfCreateTransportParams are nvmf_create_transport's params
// (lib/nvmf/nvmf_rpc.c, TCP options from lib/nvmf/tcp.c). SPDK decodes them
// relaxed, so options of other transports are ignored rather than refused.
// Result: true. A second transport of the same type fails with -32603
// "Transport type 'TCP' already exists".
type NvmfCreateTransportParams struct {
	Trtype              string `json:"trtype"`
	TgtName             string `json:"tgt_name,omitempty"`
	MaxQueueDepth       uint16 `json:"max_queue_depth,omitempty"`
	MaxIOQpairsPerCtrlr uint16 `json:"max_io_qpairs_per_ctrlr,omitempty"`
	InCapsuleDataSize   uint32 `json:"in_capsule_data_size,omitempty"`
	MaxIOSize           uint32 `json:"max_io_size,omitempty"`
	IOUnitSize          uint32 `json:"io_unit_size,omitempty"`
	MaxAQDepth          uint32 `json:"max_aq_depth,omitempty"`
	NumSharedBuffers    uint32 `json:"num_shared_buffers,omitempty"`
	BufCacheSize        uint32 `json:"buf_cache_size,omitempty"`
	DifInsertOrStrip    bool   `json:"dif_insert_or_strip,omitempty"`
	AbortTimeoutSec     uint32 `json:"abort_timeout_sec,omitempty"`
	Zcopy               bool   `json:"zcopy,omitempty"`
	AcceptorPollRate    uint32 `json:"acceptor_poll_rate,omitempty"`
	// TCP only. C2HSuccess is a pointer because SPDK's default is true:
	// nil leaves the default, a pointer to false turns it off.
	C2HSuccess    *bool  `json:"c2h_success,omitempty"`
	ControlMsgNum uint16 `json:"control_msg_num,omitempty"`
	SockPriority  uint32 `json:"sock_priority,omitempty"`
}

// NvmfGetTransportsParams are nvmf_get_transports's params; an unknown
// Trtype is -19 "No such device".
type NvmfGetTransportsParams struct {
	Trtype  string `json:"trtype,omitempty"`
	TgtName string `json:"tgt_name,omitempty"`
}

// Transport is one element of nvmf_get_transports's result
// (nvmf_transport_dump_opts). The pointer fields are written only by the TCP
// transport.
type Transport struct {
	Trtype              string  `json:"trtype"`
	MaxQueueDepth       uint32  `json:"max_queue_depth"`
	MaxIOQpairsPerCtrlr uint32  `json:"max_io_qpairs_per_ctrlr"`
	InCapsuleDataSize   uint32  `json:"in_capsule_data_size"`
	MaxIOSize           uint32  `json:"max_io_size"`
	IOUnitSize          uint32  `json:"io_unit_size"`
	MaxAQDepth          uint32  `json:"max_aq_depth"`
	NumSharedBuffers    uint32  `json:"num_shared_buffers"`
	BufCacheSize        uint32  `json:"buf_cache_size"`
	DifInsertOrStrip    bool    `json:"dif_insert_or_strip"`
	Zcopy               bool    `json:"zcopy"`
	C2HSuccess          *bool   `json:"c2h_success,omitempty"`
	SockPriority        *uint32 `json:"sock_priority,omitempty"`
	AbortTimeoutSec     uint32  `json:"abort_timeout_sec"`
}

// NvmfCreateSubsystemParams are nvmf_create_subsystem's params. Result:
// true. SPDK's defaults: allow_any_host false (hosts must be added),
// ana_reporting false (then listener ANA changes fail), cntlid 1..0xffef. A
// duplicate NQN fails with -32603 "Unable to create subsystem <nqn>".
type NvmfCreateSubsystemParams struct {
	NQN                   string `json:"nqn"`
	SerialNumber          string `json:"serial_number,omitempty"`
	ModelNumber           string `json:"model_number,omitempty"`
	TgtName               string `json:"tgt_name,omitempty"`
	AllowAnyHost          bool   `json:"allow_any_host,omitempty"`
	MaxNamespaces         uint32 `json:"max_namespaces,omitempty"` // 0: SPDK default, 32
	AnaReporting          bool   `json:"ana_reporting,omitempty"`
	MinCntlid             uint16 `json:"min_cntlid,omitempty"`
	MaxCntlid             uint16 `json:"max_cntlid,omitempty"`
	MaxDiscardSizeKiB     uint64 `json:"max_discard_size_kib,omitempty"`
	MaxWriteZeroesSizeKiB uint64 `json:"max_write_zeroes_size_kib,omitempty"`
}

// NvmfDeleteSubsystemParams are nvmf_delete_subsystem's params. Result:
// true; an unknown NQN is -32602 "Invalid parameters".
type NvmfDeleteSubsystemParams struct {
	NQN     string `json:"nqn"`
	TgtName string `json:"tgt_name,omitempty"`
}

// NvmfGetSubsystemsParams are nvmf_get_subsystems's params; without NQN
// every subsystem is listed, an unknown NQN is -19 "No such device".
type NvmfGetSubsystemsParams struct {
	NQN     string `json:"nqn,omitempty"`
	TgtName string `json:"tgt_name,omitempty"`
}

// ListenAddress is a transport ID as the nvmf methods take and report it.
// Adrfam defaults to IPv4 when omitted; TCP needs Trsvcid (a port string).
type ListenAddress struct {
	Trtype  string `json:"trtype"`
	Adrfam  string `json:"adrfam,omitempty"`
	Traddr  string `json:"traddr"`
	Trsvcid string `json:"trsvcid,omitempty"`
	// Transport is the deprecated spelling of Trtype that v24.01 still
	// writes in nvmf_get_subsystems; never send it.
	Transport string `json:"transport,omitempty"`
}

// Host is an allowed host of a subsystem.
type Host struct {
	NQN string `json:"nqn"`
}

// Namespace is one namespace in nvmf_get_subsystems's result.
type Namespace struct {
	Nsid     uint32 `json:"nsid"`
	BdevName string `json:"bdev_name"`
	Name     string `json:"name"` // same as BdevName, kept by SPDK for compatibility
	NGUID    string `json:"nguid,omitempty"`
	EUI64    string `json:"eui64,omitempty"`
	UUID     string `json:"uuid,omitempty"`
	Anagrpid uint32 `json:"anagrpid,omitempty"` // present when ANA reporting is on
}

// Subsystem is one element of nvmf_get_subsystems's result
// (dump_nvmf_subsystem). The fields after Hosts are written for NVMe
// subsystems only, not for the discovery subsystem.
type Subsystem struct {
	NQN             string          `json:"nqn"`
	Subtype         string          `json:"subtype"` // "NVMe" or "Discovery"
	ListenAddresses []ListenAddress `json:"listen_addresses"`
	AllowAnyHost    bool            `json:"allow_any_host"`
	Hosts           []Host          `json:"hosts"`
	SerialNumber    string          `json:"serial_number,omitempty"`
	ModelNumber     string          `json:"model_number,omitempty"`
	MaxNamespaces   uint32          `json:"max_namespaces,omitempty"`
	MinCntlid       uint16          `json:"min_cntlid,omitempty"`
	MaxCntlid       uint16          `json:"max_cntlid,omitempty"`
	Namespaces      []Namespace     `json:"namespaces,omitempty"`
}

// NamespaceParams is the "namespace" object of nvmf_subsystem_add_ns.
// NGUID is 32 hex digits, EUI64 16; Nsid 0 takes the lowest free ID and
// Anagrpid 0 the namespace ID.
type NamespaceParams struct {
	BdevName string `json:"bdev_name"`
	Nsid     uint32 `json:"nsid,omitempty"`
	NGUID    string `json:"nguid,omitempty"`
	EUI64    string `json:"eui64,omitempty"`
	UUID     string `json:"uuid,omitempty"`
	Anagrpid uint32 `json:"anagrpid,omitempty"`
	PtplFile string `json:"ptpl_file,omitempty"`
}

// NvmfSubsystemAddNsParams are nvmf_subsystem_add_ns's params. Result: the
// namespace ID. Any failure (unknown subsystem, bdev, NSID in use) is
// -32602 "Invalid parameters".
type NvmfSubsystemAddNsParams struct {
	NQN       string          `json:"nqn"`
	Namespace NamespaceParams `json:"namespace"`
	TgtName   string          `json:"tgt_name,omitempty"`
}

// NvmfSubsystemRemoveNsParams are nvmf_subsystem_remove_ns's params.
// Result: true; an unknown NSID is -32602 "Invalid parameters".
type NvmfSubsystemRemoveNsParams struct {
	NQN     string `json:"nqn"`
	Nsid    uint32 `json:"nsid"`
	TgtName string `json:"tgt_name,omitempty"`
}

// NvmfSubsystemListenerParams are the params of nvmf_subsystem_add_listener
// and nvmf_subsystem_remove_listener. AnaState (v24.01: add only) sets the
// listener's initial state. Result: true. In v24.01 adding a listener that
// already exists succeeds without change.
type NvmfSubsystemListenerParams struct {
	NQN           string        `json:"nqn"`
	ListenAddress ListenAddress `json:"listen_address"`
	TgtName       string        `json:"tgt_name,omitempty"`
	SecureChannel bool          `json:"secure_channel,omitempty"`
	AnaState      string        `json:"ana_state,omitempty"`
}

// NvmfSubsystemListenerSetAnaStateParams are the params of
// nvmf_subsystem_listener_set_ana_state. Anagrpid 0 sets every group.
// Result: true. The subsystem must have been created with AnaReporting.
type NvmfSubsystemListenerSetAnaStateParams struct {
	NQN           string        `json:"nqn"`
	ListenAddress ListenAddress `json:"listen_address"`
	AnaState      string        `json:"ana_state"`
	TgtName       string        `json:"tgt_name,omitempty"`
	Anagrpid      uint32        `json:"anagrpid,omitempty"`
}

// NvmfSubsystemAddHostParams are nvmf_subsystem_add_host's params.
// Result: true.
type NvmfSubsystemAddHostParams struct {
	NQN     string `json:"nqn"`
	Host    string `json:"host"`
	TgtName string `json:"tgt_name,omitempty"`
	PSK     string `json:"psk,omitempty"` // v24.01: path of a TLS PSK file
}

// MethodNvmfSubsystemGetListeners lists a subsystem's listeners. The
// harness does not use it; the SPDK CSI driver asks it whether a volume is
// already published.
const MethodNvmfSubsystemGetListeners = "nvmf_subsystem_get_listeners"

// NvmfSubsystemGetListenersParams are nvmf_subsystem_get_listeners's
// params. An unknown NQN fails with -32602 "Invalid parameters", which
// the SPDK CSI driver reads as "not published".
type NvmfSubsystemGetListenersParams struct {
	NQN     string `json:"nqn"`
	TgtName string `json:"tgt_name,omitempty"`
}

// SubsystemListener is one element of nvmf_subsystem_get_listeners's
// result (dump_nvmf_subsystem_listener): the address and, when the
// subsystem reports ANA, the listener's state in each ANA group.
type SubsystemListener struct {
	Address   ListenAddress      `json:"address"`
	AnaStates []ListenerAnaState `json:"ana_states,omitempty"`
}

// ListenerAnaState is one ANA group's state on a listener.
type ListenerAnaState struct {
	AnaGroup uint32 `json:"ana_group"`
	AnaState string `json:"ana_state"`
}
