package nvme

// Admin command opcodes.
const (
	AdminGetLogPage    = 0x02
	AdminIdentify      = 0x06
	AdminAbort         = 0x08
	AdminSetFeatures   = 0x09
	AdminGetFeatures   = 0x0A
	AdminAsyncEventReq = 0x0C
	AdminKeepAlive     = 0x18
	OpcodeFabrics      = 0x7F
)

// NVM I/O command opcodes.
const (
	IOFlush       = 0x00
	IOWrite       = 0x01
	IORead        = 0x02
	IOCompare     = 0x05
	IOWriteZeroes = 0x08
	IODatasetMgmt = 0x09
)

// Fabrics command types (FCTYPE, SQE byte 4).
const (
	FabricsPropertySet = 0x00
	FabricsConnect     = 0x01
	FabricsPropertyGet = 0x04
	FabricsAuthSend    = 0x05
	FabricsAuthRecv    = 0x06
	FabricsDisconnect  = 0x08
)

// Identify CNS values.
const (
	CNSNamespace        = 0x00
	CNSController       = 0x01
	CNSActiveNSList     = 0x02
	CNSNSDescriptorList = 0x03
)

// IdentifySize is the length of every Identify data structure.
const IdentifySize = 4096

// Feature identifiers.
const (
	FeatureVolatileWriteCache = 0x06
	FeatureNumberOfQueues     = 0x07
	FeatureAsyncEventConfig   = 0x0B
	FeatureKeepAliveTimer     = 0x0F
)

// Log page identifiers.
const (
	LogError          = 0x01
	LogSMART          = 0x02
	LogFirmwareSlot   = 0x03
	LogChangedNSList  = 0x04
	LogCommandEffects = 0x05
	LogANA            = 0x0C
	LogDiscovery      = 0x70
)

// Async event types and notice information used by this project.
const (
	AsyncEventTypeNotice    = 0x02
	AsyncNoticeNSAttribute  = 0x00
	AsyncNoticeANAChange    = 0x03
	AsyncNoticeDiscoveryLog = 0xF0
)

// Async event configuration bits (Set Features 0x0B).
const (
	AsyncConfigNSAttribute  = 1 << 8
	AsyncConfigANAChange    = 1 << 11
	AsyncConfigDiscoveryLog = 1 << 31
)

// DiscoveryNQN is the well-known NQN of a discovery subsystem.
const DiscoveryNQN = "nqn.2014-08.org.nvmexpress.discovery"

// MaxNQNLength is the longest NQN the Connect data can carry (NUL excluded).
const MaxNQNLength = 223
