package spdkrpc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// SPDK's HTTP proxy (scripts/rpc_http_proxy.py) takes the body of a POST
// with HTTP basic auth, forwards it to the RPC socket and returns the
// socket's reply verbatim with status 200, JSON-RPC errors included. This
// file serves the same protocol straight from the method table, with these
// deliberate differences, each where the proxy misbehaves:
//
//   - 401 carries WWW-Authenticate: Basic realm=... (the proxy sends the
//     invalid value "text/html");
//   - methods other than POST get 405 with Allow: POST (the proxy answers
//     HEAD with 200 without checking credentials and the rest with 501);
//   - a body larger than the socket's receive buffer gets 413 (the proxy
//     reads any Content-Length);
//   - a body that is not one JSON value gets status 500 as from the proxy,
//     but with SPDK's parse error object as body (the proxy's 500 is empty,
//     and it has already forwarded the bytes: SPDK may have run a prefix);
//   - a successful notification (no "id") gets 204 (the proxy closes the
//     connection without any HTTP response);
//   - replies are typed application/json (the proxy says text/html).
//
// Replies to everything else are byte for byte what the socket server
// writes: one JSON object and "\n".

// Credentials are the user and password HTTP clients must present with
// basic auth, as given to rpc_http_proxy.py.
type Credentials struct {
	User     string
	Password string
}

// HTTPOptions configures an HTTP endpoint.
type HTTPOptions struct {
	// Credentials clients must present. Nil serves without authentication;
	// callers decide when that is acceptable (the target command demands an
	// explicit flag).
	Credentials *Credentials
	// MaxBody bounds a request body in bytes; 0 means the server's
	// receive limit (MaxPending), so HTTP refuses what the socket refuses.
	MaxBody int64
}

// wwwAuthenticate is the challenge sent with 401 (RFC 7617).
const wwwAuthenticate = `Basic realm="SPDK", charset="UTF-8"`

// HTTP server timeouts: a client that trickles its headers or body cannot
// hold a connection forever. There is no write timeout, as the socket has
// none: some methods (bdev_get_bdevs with "timeout") wait on purpose.
const (
	httpReadHeaderTimeout = 10 * time.Second
	httpReadTimeout       = 30 * time.Second
	httpIdleTimeout       = 2 * time.Minute
	httpMaxHeaderBytes    = 16 << 10
)

// httpEndpoint is the http.Handler of one HTTP endpoint.
type httpEndpoint struct {
	srv     *Server
	max     int64
	auth    bool
	userSum [sha256.Size]byte
	passSum [sha256.Size]byte
}

// HTTPHandler returns a handler serving the server's methods the way SPDK's
// HTTP proxy does (see the file comment for the differences). Any URL path
// is accepted, as by the proxy. Handlers run with a context that ends when
// the client goes away or the server closes.
func (s *Server) HTTPHandler(opts HTTPOptions) http.Handler {
	h := &httpEndpoint{srv: s, max: opts.MaxBody}
	if h.max <= 0 {
		h.max = int64(s.maxPending())
	}
	if c := opts.Credentials; c != nil {
		h.auth = true
		h.userSum = sha256.Sum256([]byte(c.User))
		h.passSum = sha256.Sum256([]byte(c.Password))
	}
	return h
}

// ServeHTTPProxy serves HTTPHandler(opts) on l until Close, which also
// closes l and every HTTP connection. It returns ErrServerClosed after
// Close, or the error that stopped it.
func (s *Server) ServeHTTPProxy(l net.Listener, opts HTTPOptions) error {
	hs := &http.Server{
		Handler:           s.HTTPHandler(opts),
		ReadHeaderTimeout: httpReadHeaderTimeout,
		ReadTimeout:       httpReadTimeout,
		IdleTimeout:       httpIdleTimeout,
		MaxHeaderBytes:    httpMaxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
		ConnState:         s.httpConnState,
	}
	if !s.trackHTTP(hs, true) {
		_ = l.Close()
		return ErrServerClosed
	}
	defer s.trackHTTP(hs, false)
	err := hs.Serve(l)
	if errors.Is(err, http.ErrServerClosed) || s.isClosed() {
		return ErrServerClosed
	}
	return fmt.Errorf("spdkrpc: http on %s: %w", l.Addr(), err)
}

func (h *httpEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "SPDK JSON-RPC takes POST only", http.StatusMethodNotAllowed)
		return
	}
	// Credentials first: an unauthenticated client learns nothing else,
	// and its body is never read, let alone run.
	if !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", wwwAuthenticate)
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	body, status := h.readBody(w, r)
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	raw, ok := oneValue(body)
	if !ok {
		writeReply(w, http.StatusInternalServerError, parseErrorReply)
		return
	}
	req, early := check(raw)
	if early != nil {
		writeReply(w, http.StatusOK, early)
		return
	}
	reply, ok := h.run(r.Context(), req)
	switch {
	case !ok:
		http.Error(w, "server closing", http.StatusServiceUnavailable)
	case reply == nil:
		w.WriteHeader(http.StatusNoContent)
	default:
		writeReply(w, http.StatusOK, reply)
	}
}

// authorized compares both user and password in constant time, and always
// both, so neither the timing nor the length of a guess says which was
// wrong. Hashing first makes the comparison independent of lengths.
func (h *httpEndpoint) authorized(r *http.Request) bool {
	if !h.auth {
		return true
	}
	user, pass, ok := r.BasicAuth()
	u := sha256.Sum256([]byte(user))
	p := sha256.Sum256([]byte(pass))
	match := subtle.ConstantTimeCompare(u[:], h.userSum[:]) & subtle.ConstantTimeCompare(p[:], h.passSum[:])
	return ok && match == 1
}

// readBody reads the whole body within the limit, or returns the status
// to refuse it with.
func (h *httpEndpoint) readBody(w http.ResponseWriter, r *http.Request) ([]byte, int) {
	if r.ContentLength > h.max {
		return nil, http.StatusRequestEntityTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.max))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, http.StatusRequestEntityTooLarge
	case err != nil:
		return nil, http.StatusBadRequest
	}
	return body, 0
}

// run executes req under the server's lifetime: Close waits for it and
// cancels its context, as for socket requests. false means the server is
// closing and nothing ran.
func (h *httpEndpoint) run(ctx context.Context, req *Request) (*Response, bool) {
	s := h.srv
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, false
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	return s.run(ctx, req), true
}

// oneValue returns the body's single JSON value; anything else (empty,
// invalid, or followed by more than whitespace) is a parse error. The
// socket would run a valid prefix and then fail; over HTTP the body is one
// request, so nothing of a bad body runs.
func oneValue(body []byte) (json.RawMessage, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return raw, true
}

// writeReply sends the reply with the socket server's exact bytes.
func writeReply(w http.ResponseWriter, status int, r *Response) {
	b := encode(r)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// trackHTTP adds or removes an HTTP server; adding fails once closed.
func (s *Server) trackHTTP(hs *http.Server, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.https, hs)
		return true
	}
	if s.closed {
		return false
	}
	s.https[hs] = struct{}{}
	return true
}

// httpConnState counts HTTP connection goroutines so Close can wait for
// them (http.Server.Close does not), and closes a connection accepted in
// the instant Close was running.
func (s *Server) httpConnState(c net.Conn, st http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st {
	case http.StateNew:
		s.httpConns++
		if s.closed {
			_ = c.Close()
		}
	case http.StateClosed, http.StateHijacked:
		s.httpConns--
		if s.httpConns == 0 {
			s.httpGone.Broadcast()
		}
	}
}

// waitHTTPConns blocks until every HTTP connection goroutine has ended;
// after a refused oversized body net/http lingers up to 500 ms before it
// closes, so that the client reads the 413 instead of a reset.
func (s *Server) waitHTTPConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.httpConns > 0 {
		s.httpGone.Wait()
	}
}
