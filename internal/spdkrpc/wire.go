package spdkrpc

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Version is the only "jsonrpc" value SPDK accepts.
const Version = "2.0"

// Request is one JSON-RPC request as SPDK reads it. Params is omitted when
// nil, which matters: SPDK's python client leaves out empty params and some
// methods (spdk_get_version) refuse any params at all. ID is kept raw because
// SPDK echoes whatever string, number or null the client sent.
type Request struct {
	Version string          `json:"jsonrpc"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params,omitempty"`
	ID      json.RawMessage `json:"id,omitempty"`
}

// Response is one JSON-RPC reply. Exactly one of Result and Error is set;
// ID is null when the request could not be parsed far enough to read its id.
type Response struct {
	Version string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *Error          `json:"error,omitempty"`
}

// nullID is the id SPDK writes when it has none to echo.
var nullID = json.RawMessage("null")

// NewRequest builds a request with a numeric id. Params that marshal to null
// or to an empty object are left out, as SPDK's python client leaves out
// empty params: for SPDK an absent member and {} mean the same to methods
// whose params are all optional, and spdk_get_version accepts only absence.
func NewRequest(id uint64, method string, params any) (*Request, error) {
	req := &Request{Version: Version, Method: method, ID: json.RawMessage(fmt.Sprint(id))}
	if params == nil {
		return req, nil
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("marshal %s params: %w", method, err)
	}
	if !bytes.Equal(raw, []byte("null")) && !bytes.Equal(raw, []byte("{}")) {
		req.Params = raw
	}
	return req, nil
}

// requestKeys are the members SPDK's strict decoder allows in a request
// object (jsonrpc_request_decoders); any other member makes it invalid.
var requestKeys = map[string]bool{"jsonrpc": true, "method": true, "params": true, "id": true}

// parseRequest checks one top-level JSON object the way SPDK's
// parse_single_request does and returns the request, or the error object to
// answer with (always with a null id: SPDK only records the id once every
// check has passed).
func parseRequest(raw json.RawMessage) (*Request, *Error) {
	invalid := NewError(CodeInvalidRequest, MsgInvalidRequest)
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil || members == nil {
		return nil, invalid
	}
	for k := range members {
		if !requestKeys[k] {
			return nil, invalid
		}
	}
	req := &Request{Version: Version}
	if v, ok := members["jsonrpc"]; ok {
		if json.Unmarshal(v, &req.Version) != nil || req.Version != Version {
			return nil, invalid
		}
	}
	m, ok := members["method"]
	if !ok || kind(m) != '"' || json.Unmarshal(m, &req.Method) != nil {
		return nil, invalid
	}
	if id, ok := members["id"]; ok {
		switch kind(id) {
		case '"', '0', 'n':
			req.ID = id
		default:
			return nil, invalid
		}
	}
	if p, ok := members["params"]; ok {
		switch kind(p) {
		case 'n': // null params are as if there were none
		case '{', '[':
			req.Params = p
		default:
			return nil, invalid
		}
	}
	return req, nil
}

// kind classifies a JSON value by its first byte: '{', '[', '"', 'n' (null),
// 't'/'f' (booleans), '0' (numbers) or 0 for anything else.
func kind(v json.RawMessage) byte {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return 0
	}
	switch c := v[0]; {
	case c == '-' || (c >= '0' && c <= '9'):
		return '0'
	case c == '{' || c == '[' || c == '"' || c == 'n' || c == 't' || c == 'f':
		return c
	}
	return 0
}

// isNotification reports whether a request carries no usable id, in which
// case SPDK sends no success reply (errors still go out with a null id).
func (r *Request) isNotification() bool {
	return len(r.ID) == 0 || kind(r.ID) == 'n'
}
