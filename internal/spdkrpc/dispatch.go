package spdkrpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// This file is the one path every transport (stream socket or HTTP) takes
// from a parsed JSON value to the bytes of its reply, so the two cannot
// drift apart: check, then run, then encode.

// parseErrorReply is what SPDK sends for input that is not JSON.
var parseErrorReply = &Response{Version: Version, ID: nullID, Error: NewError(CodeParseError, MsgParseError)}

// check validates one top-level JSON value as SPDK does before running
// anything. It returns the request to run or, when the value is not a
// valid request, the error reply to send instead. Arrays are refused as
// SPDK v24.01 does ("batch array (not currently supported)" → Invalid
// request).
func check(raw json.RawMessage) (*Request, *Response) {
	if kind(raw) != '{' {
		return nil, &Response{Version: Version, ID: nullID, Error: NewError(CodeInvalidRequest, MsgInvalidRequest)}
	}
	req, perr := parseRequest(raw)
	if perr != nil {
		return nil, &Response{Version: Version, ID: nullID, Error: perr}
	}
	return req, nil
}

// run executes req's handler and returns the reply to send, or nil for a
// successful notification (SPDK sends nothing then; failed notifications
// get an error with a null id, as in spdk_jsonrpc_end_result).
func (s *Server) run(ctx context.Context, req *Request) *Response {
	out := s.call(ctx, req)
	id := req.ID
	if req.isNotification() {
		id = nullID
	}
	if out.err != nil {
		return &Response{Version: Version, ID: id, Error: asError(out.err)}
	}
	if req.isNotification() {
		return nil
	}
	raw, err := json.Marshal(out.result)
	if err != nil {
		return &Response{Version: Version, ID: id, Error: NewError(CodeInternalError, "marshal result: "+err.Error())}
	}
	return &Response{Version: Version, ID: id, Result: raw}
}

// outcome is what a handler produced.
type outcome struct {
	result any
	err    error
}

// call runs the handler, turning a panic into an internal error so one bad
// handler cannot take the whole target down with it.
func (s *Server) call(ctx context.Context, req *Request) (out outcome) {
	h := s.handler(req.Method)
	if h == nil {
		return outcome{err: NewError(CodeMethodNotFound, MsgMethodNotFound)}
	}
	defer func() {
		if p := recover(); p != nil {
			out = outcome{err: NewError(CodeInternalError, fmt.Sprintf("%s: handler panic: %v", req.Method, p))}
		}
	}()
	res, err := h(ctx, req.Params)
	return outcome{result: res, err: err}
}

// asError finds the error object in err's chain or wraps err as an internal
// error carrying its text.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) && e != nil {
		return e
	}
	return NewError(CodeInternalError, err.Error())
}

// encode returns a reply's bytes as SPDK's end_response writes them: one
// JSON object followed by "\n". A Response always marshals (its members
// are raw JSON already checked, strings and ints), so nil means a bug.
func encode(r *Response) []byte {
	b, err := json.Marshal(r)
	if err != nil {
		return nil
	}
	return append(b, '\n')
}
