package spdkrpc

import (
	"context"
	"encoding/json"
	"errors"
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
			sc.write(parseErrorReply)
		}
		return // EOF, closed, too large or unparsable: the connection ends
	}
}

// dispatch validates one top-level value and runs its handler on a new
// goroutine; check, run and encode are shared with the HTTP endpoint.
func (sc *serverConn) dispatch(raw json.RawMessage) {
	req, early := check(raw)
	if early != nil {
		sc.write(early)
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
		if r := sc.srv.run(sc.ctx, req); r != nil {
			sc.write(r)
		}
	}()
}

// write sends one reply. Failures are ignored: they only happen when the
// connection is going away, and the read loop notices that on its own.
func (sc *serverConn) write(r *Response) {
	b := encode(r)
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	_, _ = sc.conn.Write(b)
}
