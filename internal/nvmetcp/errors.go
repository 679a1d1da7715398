package nvmetcp

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp/pdu"
)

// Sentinel errors. Errors returned by this package wrap them, so test with
// errors.Is.
var (
	// ErrControllerDown: the controller failed or was closed. Every command
	// outstanding at that moment, and every later Submit, fails with an error
	// wrapping it and the cause (a timeout, a protocol error, ErrClosed...).
	ErrControllerDown = errors.New("nvme/tcp: controller down")
	// ErrTimeout: a command did not complete within its timeout. The
	// controller is then unusable and is failed as a whole.
	ErrTimeout = errors.New("nvme/tcp: command timed out")
	// ErrQueueFull: every command slot of the queue is in use; Submit
	// again after a completion.
	ErrQueueFull = errors.New("nvme/tcp: queue full")
	// ErrClosed is the cause recorded when Close shuts the controller down.
	ErrClosed = errors.New("nvme/tcp: controller closed")
	// ErrRequestBusy: the Request passed to Submit is still in flight.
	ErrRequestBusy = errors.New("nvme/tcp: request already in flight")
	// ErrInvalidRequest: the Request cannot be sent as it is (bad opcode,
	// buffer size, block count).
	ErrInvalidRequest = errors.New("nvme/tcp: invalid request")
)

// StatusError is a command completed with an NVMe error status; its String
// names the SCT/SC pair.
type StatusError = nvme.StatusError

// downError is what commands failed by a controller failure carry: it is
// both ErrControllerDown and its cause.
type downError struct{ cause error }

func (e *downError) Error() string {
	return "nvme/tcp: controller down: " + strings.TrimPrefix(e.cause.Error(), "nvme/tcp: ")
}

func (e *downError) Is(target error) bool { return target == ErrControllerDown }
func (e *downError) Unwrap() error        { return e.cause }

// TermReqError is a C2HTermReq received from the controller: it reports a
// fatal transport error and closes the connection.
type TermReqError struct {
	FES uint16
	FEI uint32
}

func (e *TermReqError) Error() string {
	return fmt.Sprintf("nvme/tcp: controller sent C2HTermReq: %s (fes %d, fei %d)", fesName(e.FES), e.FES, e.FEI)
}

func fesName(fes uint16) string {
	switch fes {
	case pdu.FESInvalidHeaderField:
		return "invalid PDU header field"
	case pdu.FESPDUSequenceError:
		return "PDU sequence error"
	case pdu.FESHeaderDigestError:
		return "header digest error"
	case pdu.FESDataOutOfRange:
		return "data transfer out of range"
	case pdu.FESDataLimitExceeded:
		return "data transfer limit exceeded"
	case pdu.FESUnsupportedParameter:
		return "unsupported parameter"
	}
	return "unknown fatal error"
}

// protocolError is a PDU from the controller this host cannot accept.
// Callers add which queue it arrived on.
func protocolError(format string, args ...any) error {
	return fmt.Errorf("nvme/tcp: protocol error: %s", fmt.Sprintf(format, args...))
}
