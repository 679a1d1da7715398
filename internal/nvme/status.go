package nvme

import "fmt"

// Status is the status field of a completion without the phase bit:
// bits 7:0 SC, 10:8 SCT, 12:11 CRD, 13 M, 14 DNR.
type Status uint16

// Status code types.
const (
	SCTGeneric         = 0
	SCTCommandSpecific = 1
	SCTMediaError      = 2
	SCTPath            = 3
)

// MakeStatus builds a status from a type and code.
func MakeStatus(sct, sc uint8) Status { return Status(uint16(sct&7)<<8 | uint16(sc)) }

// SC is the status code.
func (s Status) SC() uint8 { return uint8(s) }

// SCT is the status code type.
func (s Status) SCT() uint8 { return uint8(s>>8) & 7 }

// DNR reports the Do Not Retry bit.
func (s Status) DNR() bool { return s&(1<<14) != 0 }

// WithDNR returns s with Do Not Retry set.
func (s Status) WithDNR() Status { return s | 1<<14 }

// Code is s without CRD, M and DNR: the (SCT, SC) pair that names the condition.
func (s Status) Code() Status { return s & 0x7FF }

// Success reports whether s is Successful Completion.
func (s Status) Success() bool { return s.Code() == 0 }

// Commonly used statuses (NVMe base spec, figure "Generic Command Status
// Values" and the path-related and fabrics command-specific codes).
var (
	StatusSuccess             = MakeStatus(SCTGeneric, 0x00)
	StatusInvalidOpcode       = MakeStatus(SCTGeneric, 0x01)
	StatusInvalidField        = MakeStatus(SCTGeneric, 0x02)
	StatusCIDConflict         = MakeStatus(SCTGeneric, 0x03)
	StatusDataTransferError   = MakeStatus(SCTGeneric, 0x04)
	StatusInternalError       = MakeStatus(SCTGeneric, 0x06)
	StatusAbortRequested      = MakeStatus(SCTGeneric, 0x07)
	StatusAbortSQDeletion     = MakeStatus(SCTGeneric, 0x08)
	StatusInvalidNamespace    = MakeStatus(SCTGeneric, 0x0B)
	StatusCommandSequence     = MakeStatus(SCTGeneric, 0x0C)
	StatusSGLLengthInvalid    = MakeStatus(SCTGeneric, 0x0F)
	StatusInvalidSGLOffset    = MakeStatus(SCTGeneric, 0x16)
	StatusKeepAliveExpired    = MakeStatus(SCTGeneric, 0x19)
	StatusKeepAliveInvalid    = MakeStatus(SCTGeneric, 0x1A)
	StatusLBAOutOfRange       = MakeStatus(SCTGeneric, 0x80)
	StatusCapacityExceeded    = MakeStatus(SCTGeneric, 0x81)
	StatusNamespaceNotReady   = MakeStatus(SCTGeneric, 0x82)
	StatusInvalidQueueID      = MakeStatus(SCTCommandSpecific, 0x01)
	StatusInvalidQueueSize    = MakeStatus(SCTCommandSpecific, 0x02)
	StatusFeatureNotSaveable  = MakeStatus(SCTCommandSpecific, 0x0D)
	StatusIncompatibleFormat  = MakeStatus(SCTCommandSpecific, 0x80)
	StatusControllerBusy      = MakeStatus(SCTCommandSpecific, 0x81)
	StatusConnectInvalidParam = MakeStatus(SCTCommandSpecific, 0x82)
	StatusInvalidHost         = MakeStatus(SCTCommandSpecific, 0x84)
	StatusWriteFault          = MakeStatus(SCTMediaError, 0x80)
	StatusUnrecoveredRead     = MakeStatus(SCTMediaError, 0x81)
	StatusInternalPathError   = MakeStatus(SCTPath, 0x00)
	StatusANAPersistentLoss   = MakeStatus(SCTPath, 0x01)
	StatusANAInaccessible     = MakeStatus(SCTPath, 0x02)
	StatusANATransition       = MakeStatus(SCTPath, 0x03)
	StatusHostPathError       = MakeStatus(SCTPath, 0x70)
	StatusAbortedByHost       = MakeStatus(SCTPath, 0x71)
)

var statusNames = map[Status]string{
	StatusSuccess:             "success",
	StatusInvalidOpcode:       "invalid command opcode",
	StatusInvalidField:        "invalid field in command",
	StatusCIDConflict:         "command ID conflict",
	StatusDataTransferError:   "data transfer error",
	StatusInternalError:       "internal error",
	StatusAbortRequested:      "command abort requested",
	StatusAbortSQDeletion:     "command aborted due to SQ deletion",
	StatusInvalidNamespace:    "invalid namespace or format",
	StatusCommandSequence:     "command sequence error",
	StatusSGLLengthInvalid:    "data SGL length invalid",
	StatusInvalidSGLOffset:    "invalid SGL offset",
	StatusKeepAliveExpired:    "keep alive timer expired",
	StatusKeepAliveInvalid:    "keep alive timeout invalid",
	StatusLBAOutOfRange:       "LBA out of range",
	StatusCapacityExceeded:    "capacity exceeded",
	StatusNamespaceNotReady:   "namespace not ready",
	StatusInvalidQueueID:      "invalid queue identifier",
	StatusInvalidQueueSize:    "invalid queue size",
	StatusFeatureNotSaveable:  "feature identifier not saveable",
	StatusIncompatibleFormat:  "connect: incompatible format",
	StatusControllerBusy:      "connect: controller busy",
	StatusConnectInvalidParam: "connect: invalid parameters",
	StatusInvalidHost:         "connect: invalid host",
	StatusWriteFault:          "write fault",
	StatusUnrecoveredRead:     "unrecovered read error",
	StatusInternalPathError:   "internal path error",
	StatusANAPersistentLoss:   "asymmetric access persistent loss",
	StatusANAInaccessible:     "asymmetric access inaccessible",
	StatusANATransition:       "asymmetric access transition",
	StatusHostPathError:       "host pathing error",
	StatusAbortedByHost:       "command aborted by host",
}

// String names the status, e.g. "LBA out of range (sct 0 sc 0x80)".
func (s Status) String() string {
	name, ok := statusNames[s.Code()]
	if !ok {
		name = "status"
	}
	dnr := ""
	if s.DNR() {
		dnr = ", dnr"
	}
	return fmt.Sprintf("%s (sct %d sc %#02x%s)", name, s.SCT(), s.SC(), dnr)
}

// IsPathError reports whether s is a path-related status (SCT 3): the
// condition a multipath host answers by retrying on another path.
func (s Status) IsPathError() bool { return s.SCT() == SCTPath }

// StatusError is a command that completed with a non-success status.
type StatusError struct {
	Status Status
	DW0    uint32
}

func (e *StatusError) Error() string { return "nvme: " + e.Status.String() }
