package spdkrpc

import (
	"fmt"
	"syscall"
)

// JSON-RPC error codes SPDK sends (include/spdk/jsonrpc.h, v24.01).
const (
	CodeParseError     = -32700 // the stream is not valid JSON; SPDK then closes the connection
	CodeInvalidRequest = -32600 // not a request object (also: a batch array, which SPDK refuses)
	CodeMethodNotFound = -32601 // no such method registered
	CodeInvalidParams  = -32602 // most nvmf_* parameter and lookup failures
	CodeInternalError  = -32603 // bdev/lvol decode failures, "already exists" and other runtime failures
	CodeInvalidState   = -1     // method not allowed in the current application state
)

// Messages SPDK pairs with the JSON-RPC codes when it has nothing more
// specific to say (jsonrpc_server_handle_error and rpc.c).
const (
	MsgParseError     = "Parse error"
	MsgInvalidRequest = "Invalid request"
	MsgMethodNotFound = "Method not found"
	MsgInvalidParams  = "Invalid parameters"
	MsgInternalError  = "Internal error"
)

// Error is a JSON-RPC error object: what a handler returns to make the
// server answer {"error":{"code":Code,"message":Message}}, and what the wire
// carries back to a client. Message is sent verbatim, so handlers that want
// to look like SPDK use SPDK's exact text.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// NewError returns an error object with the given code and message.
func NewError(code int, message string) *Error {
	return &Error{Code: code, Message: message}
}

// Error formats the object as SPDK's python client prints it: code then text.
func (e *Error) Error() string {
	return fmt.Sprintf("spdk error %d: %s", e.Code, e.Message)
}

// ErrnoError returns the error SPDK's bdev and lvol RPCs send for a failed
// errno: code -errno and glibc's strerror text (spdk_strerror), e.g.
// ErrnoError(syscall.ENODEV) is {-19, "No such device"}.
func ErrnoError(errno syscall.Errno) *Error {
	return &Error{Code: -int(errno), Message: Strerror(errno)}
}

// glibcText holds strerror(3) texts as glibc prints them; Go's own
// syscall.Errno strings are lower-case and differ in places, and clients such
// as spdk-csi match on these exact words.
var glibcText = map[syscall.Errno]string{
	syscall.EPERM:        "Operation not permitted",
	syscall.ENOENT:       "No such file or directory",
	syscall.EIO:          "Input/output error",
	syscall.ENXIO:        "No such device or address",
	syscall.EAGAIN:       "Resource temporarily unavailable",
	syscall.ENOMEM:       "Cannot allocate memory",
	syscall.EACCES:       "Permission denied",
	syscall.EBUSY:        "Device or resource busy",
	syscall.EEXIST:       "File exists",
	syscall.ENODEV:       "No such device",
	syscall.EINVAL:       "Invalid argument",
	syscall.ENOSPC:       "No space left on device",
	syscall.EROFS:        "Read-only file system",
	syscall.ERANGE:       "Numerical result out of range",
	syscall.ENAMETOOLONG: "File name too long",
	syscall.ENOTSUP:      "Operation not supported",
	syscall.EALREADY:     "Operation already in progress",
	syscall.EINPROGRESS:  "Operation now in progress",
	syscall.ETIMEDOUT:    "Connection timed out",
}

// Strerror returns glibc's text for errno, or "Unknown error N" as glibc does
// for numbers it has no text for.
func Strerror(errno syscall.Errno) string {
	if s, ok := glibcText[errno]; ok {
		return s
	}
	return fmt.Sprintf("Unknown error %d", int(errno))
}
