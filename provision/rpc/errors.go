package rpc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
)

// Sentinels for errors.Is. The SPDK classes are matched against an *Error
// by code and, because SPDK reports the same condition differently from
// method to method, by the words of its message.
var (
	// ErrMethodNotFound: the target does not serve the method (-32601).
	ErrMethodNotFound = errors.New("method not found")
	// ErrInvalidParams: -32602, SPDK's answer to most bad nvmf_* params.
	// SPDK also uses it for some lookups that fail (nvmf_delete_subsystem of
	// an unknown NQN), which ErrNotFound cannot recognise.
	ErrInvalidParams = errors.New("invalid params")
	// ErrNotFound: -19 (ENODEV) or -2 (ENOENT), or a message saying
	// "No such device", "does not exist" or "Unable to find".
	ErrNotFound = errors.New("not found")
	// ErrExists: -17 (EEXIST), or a message saying "File exists" or
	// "already exists" (nvmf_create_transport). A duplicate subsystem NQN is
	// reported only as "Unable to create subsystem" and is not matched.
	ErrExists = errors.New("already exists")
	// ErrNoSpace: -28 (ENOSPC) or "No space left on device".
	ErrNoSpace = errors.New("no space left")

	// ErrConnectionLost: the connection to the target broke or it sent
	// something that is not a JSON-RPC reply; every call in flight on it
	// fails with this, and so does every later call on the Client.
	ErrConnectionLost = errors.New("connection to the SPDK target lost")
	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("rpc client closed")
	// ErrTimeout: no reply within the Client's per-call timeout. The error
	// also matches context.DeadlineExceeded.
	ErrTimeout = errors.New("no reply within the call timeout")
	// ErrUnauthorized: the HTTP proxy refused the basic-auth credentials.
	ErrUnauthorized = errors.New("HTTP proxy refused the credentials")
)

// Error is a JSON-RPC error object the target sent in reply to Method.
// Code and Message are SPDK's, unchanged.
type Error struct {
	Method  string
	Code    int
	Message string
}

// Error reads like "spdk rpc bdev_get_bdevs: error -19: No such device".
func (e *Error) Error() string {
	return fmt.Sprintf("spdk rpc %s: error %d: %s", e.Method, e.Code, e.Message)
}

// Is lets errors.Is match the sentinel classes above.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrMethodNotFound:
		return e.Code == spdkrpc.CodeMethodNotFound
	case ErrInvalidParams:
		return e.Code == spdkrpc.CodeInvalidParams
	case ErrNotFound:
		return e.Code == -19 || e.Code == -2 ||
			e.says("no such device", "does not exist", "unable to find")
	case ErrExists:
		return e.Code == -17 || e.says("file exists", "already exists")
	case ErrNoSpace:
		return e.Code == -28 || e.says("no space left")
	}
	return false
}

func (e *Error) says(phrases ...string) bool {
	msg := strings.ToLower(e.Message)
	for _, p := range phrases {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
