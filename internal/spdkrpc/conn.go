package spdkrpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// errTooLarge ends a connection whose unparsed input outgrew MaxPending.
var errTooLarge = errors.New("spdkrpc: request exceeds receive buffer")

// serverConn is one client connection: a reader that splits the stream into
// JSON values and a mutex-guarded writer shared by the handler goroutines.
type serverConn struct {
	srv      *Server
	conn     net.Conn
	ctx      context.Context
	slots    chan struct{}
	inflight sync.WaitGroup
	wmu      sync.Mutex
}

// pendingReader fails once the bytes read but not yet consumed by the
// decoder exceed max, mirroring SPDK's fixed receive buffer.
type pendingReader struct {
	r      io.Reader
	read   int64
	max    int64
	offset func() int64
}

func (p *pendingReader) Read(b []byte) (int, error) {
	if p.read-p.offset() > p.max {
		return 0, errTooLarge
	}
	n, err := p.r.Read(b)
	p.read += int64(n)
	return n, err
}

// readLoop decodes back-to-back JSON values (json.Decoder needs no
// separators between objects, as SPDK's incremental parser) and dispatches
// each. Invalid JSON is unrecoverable in a stream, so SPDK answers "Parse
// error" and drops the connection; we do the same. (SPDK v24.01 queues that
// reply but closes the socket in the same poll, so a peer usually sees only
// EOF; clients must cope with both.) Replies of requests still running at
// that moment are lost, as they are with SPDK.
func (sc *serverConn) readLoop() {
	pr := &pendingReader{r: sc.conn, max: int64(sc.srv.maxPending())}
	dec := json.NewDecoder(pr)
	pr.offset = dec.InputOffset
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == nil {
			sc.dispatch(raw)
			continue
		}
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			sc.write(&Response{Version: Version, ID: nullID, Error: NewError(CodeParseError, MsgParseError)})
		}
		return // EOF, closed, too large or unparsable: the connection ends
	}
}

// dispatch validates one top-level value and runs its handler on a new
// goroutine. Arrays are refused as SPDK v24.01 does ("batch array (not
// currently supported)" → Invalid request).
func (sc *serverConn) dispatch(raw json.RawMessage) {
	if kind(raw) != '{' {
		sc.write(&Response{Version: Version, ID: nullID, Error: NewError(CodeInvalidRequest, MsgInvalidRequest)})
		return
	}
	req, perr := parseRequest(raw)
	if perr != nil {
		sc.write(&Response{Version: Version, ID: nullID, Error: perr})
		return
	}
	select {
	case sc.slots <- struct{}{}:
	case <-sc.ctx.Done():
		return
	}
	sc.inflight.Add(1)
	go func() {
		defer sc.inflight.Done()
		defer func() { <-sc.slots }()
		sc.reply(req, sc.call(req))
	}()
}

// outcome is what a handler produced.
type outcome struct {
	result any
	err    error
}

// call runs the handler, turning a panic into an internal error so one bad
// handler cannot take the whole target down with it.
func (sc *serverConn) call(req *Request) (out outcome) {
	h := sc.srv.handler(req.Method)
	if h == nil {
		return outcome{err: NewError(CodeMethodNotFound, MsgMethodNotFound)}
	}
	defer func() {
		if p := recover(); p != nil {
			out = outcome{err: NewError(CodeInternalError, fmt.Sprintf("%s: handler panic: %v", req.Method, p))}
		}
	}()
	res, err := h(sc.ctx, req.Params)
	return outcome{result: res, err: err}
}

// reply sends the result or error; successful notifications get no reply,
// failed ones an error with a null id, as SPDK's spdk_jsonrpc_end_result.
func (sc *serverConn) reply(req *Request, out outcome) {
	id := req.ID
	if req.isNotification() {
		id = nullID
	}
	if out.err != nil {
		sc.write(&Response{Version: Version, ID: id, Error: asError(out.err)})
		return
	}
	if req.isNotification() {
		return
	}
	raw, err := json.Marshal(out.result)
	if err != nil {
		sc.write(&Response{Version: Version, ID: id, Error: NewError(CodeInternalError, "marshal result: "+err.Error())})
		return
	}
	sc.write(&Response{Version: Version, ID: id, Result: raw})
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

// write sends one reply followed by "\n" as SPDK's end_response does.
// Failures are ignored: they only happen when the connection is going away,
// and the read loop notices that on its own.
func (sc *serverConn) write(r *Response) {
	b, err := json.Marshal(r)
	if err != nil {
		return
	}
	b = append(b, '\n')
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	_, _ = sc.conn.Write(b)
}
