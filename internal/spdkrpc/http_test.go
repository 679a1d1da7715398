package spdkrpc

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var testCreds = &Credentials{User: "spdkcsiuser", Password: "spdkcsipass"}

// httpFixture is a server with a socket and an HTTP endpoint sharing one
// method table, and a counter that proves whether a request ran.
type httpFixture struct {
	srv  *Server
	sock string // unix socket path
	url  string // HTTP endpoint
	runs *atomic.Int64
}

func startHTTP(t *testing.T, opts HTTPOptions, configure ...func(*Server)) *httpFixture {
	t.Helper()
	runs := new(atomic.Int64)
	count := func(s *Server) {
		s.Register("count", func(context.Context, json.RawMessage) (any, error) { return runs.Add(1), nil })
	}
	srv, sock := startServer(t, append(configure, count)...)
	l, err := ListenTCP(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.ServeHTTPProxy(l, opts) }()
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("ServeHTTPProxy returned %v, want ErrServerClosed", err)
		}
	})
	return &httpFixture{srv: srv, sock: sock, url: "http://" + l.Addr().String() + "/", runs: runs}
}

// post sends body with the given method and optional basic auth and
// returns status, headers and body.
func (f *httpFixture) post(t *testing.T, method, body string, creds *Credentials) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if creds != nil {
		req.SetBasicAuth(creds.User, creds.Password)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, http.Header, string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	c.CloseIdleConnections()
	return resp.StatusCode, resp.Header, string(b)
}

const countReq = `{"jsonrpc":"2.0","method":"count","id":1}`

func TestHTTPAuthentication(t *testing.T) {
	f := startHTTP(t, HTTPOptions{Credentials: testCreds})
	tests := []struct {
		name   string
		creds  *Credentials
		header string // raw Authorization header instead of creds
		status int
	}{
		{"good", testCreds, "", http.StatusOK},
		{"wrong password", &Credentials{User: testCreds.User, Password: "spdkcsipasS"}, "", http.StatusUnauthorized},
		{"wrong user", &Credentials{User: "root", Password: testCreds.Password}, "", http.StatusUnauthorized},
		{"password prefix", &Credentials{User: testCreds.User, Password: "spdkcsi"}, "", http.StatusUnauthorized},
		{"empty", &Credentials{}, "", http.StatusUnauthorized},
		{"none", nil, "", http.StatusUnauthorized},
		{"not basic", nil, "Bearer c3Bka2NzaXVzZXI6c3Bka2NzaXBhc3M=", http.StatusUnauthorized},
		{"not base64", nil, "Basic !!!", http.StatusUnauthorized},
		// rpc_http_proxy.py compares the whole header; RFC 7617 makes the
		// scheme case-insensitive, and so does net/http.
		{"lower-case scheme", nil, "basic c3Bka2NzaXVzZXI6c3Bka2NzaXBhc3M=", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.runs.Load()
			req, _ := http.NewRequest(http.MethodPost, f.url, strings.NewReader(countReq))
			if tt.creds != nil {
				req.SetBasicAuth(tt.creds.User, tt.creds.Password)
			}
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			status, hdr, body := do(t, req)
			if status != tt.status {
				t.Fatalf("status %d, want %d (body %q)", status, tt.status, body)
			}
			ran := f.runs.Load() - before
			if tt.status == http.StatusUnauthorized {
				if got := hdr.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Basic realm="SPDK"`) {
					t.Errorf("WWW-Authenticate %q, want a Basic challenge", got)
				}
				if ran != 0 {
					t.Errorf("refused request ran %d times", ran)
				}
			} else if ran != 1 {
				t.Errorf("accepted request ran %d times, want 1", ran)
			}
		})
	}
}

func TestHTTPRefusesBeforeRunning(t *testing.T) {
	f := startHTTP(t, HTTPOptions{Credentials: testCreds, MaxBody: 1024})
	big := `{"jsonrpc":"2.0","method":"count","id":1,"params":{"x":"` + strings.Repeat("a", 2048) + `"}}`
	tests := []struct {
		name    string
		method  string
		body    string
		chunked bool
		creds   *Credentials
		status  int
	}{
		{"GET", http.MethodGet, "", false, testCreds, http.StatusMethodNotAllowed},
		{"GET without credentials", http.MethodGet, "", false, nil, http.StatusMethodNotAllowed},
		{"PUT", http.MethodPut, countReq, false, testCreds, http.StatusMethodNotAllowed},
		{"HEAD", http.MethodHead, "", false, testCreds, http.StatusMethodNotAllowed},
		{"oversized by Content-Length", http.MethodPost, big, false, testCreds, http.StatusRequestEntityTooLarge},
		{"oversized chunked", http.MethodPost, big, true, testCreds, http.StatusRequestEntityTooLarge},
		{"oversized without credentials", http.MethodPost, big, false, nil, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // hides the length: sent chunked
			}
			req, _ := http.NewRequest(tt.method, f.url, body)
			if tt.creds != nil {
				req.SetBasicAuth(tt.creds.User, tt.creds.Password)
			}
			status, hdr, _ := do(t, req)
			if status != tt.status {
				t.Fatalf("status %d, want %d", status, tt.status)
			}
			if tt.status == http.StatusMethodNotAllowed && hdr.Get("Allow") != http.MethodPost {
				t.Errorf("Allow %q, want POST", hdr.Get("Allow"))
			}
			if n := f.runs.Load(); n != 0 {
				t.Errorf("refused request ran (%d runs)", n)
			}
		})
	}
}

// Every reply the HTTP endpoint sends for a request is the socket server's
// reply to the same bytes, "\n" included: one code path, no drift.
func TestHTTPRepliesAreSocketBytes(t *testing.T) {
	f := startHTTP(t, HTTPOptions{Credentials: testCreds})
	rc := dialRaw(t, "unix", f.sock)
	bodies := []string{
		`{"jsonrpc":"2.0","method":"echo","params":{"a":1},"id":1}`,
		`{"jsonrpc":"2.0","id":2,"method":"echo","params":{"nqn":"nqn.2020-04.io.spdk.csi:uuid:x"}}`,
		`{"jsonrpc":"2.0","method":"echo","id":"abc"}`,
		`{"jsonrpc":"2.0","method":"nope","id":4}`,
		`{"jsonrpc":"2.0","method":"fail_errno","id":5}`,
		`{"jsonrpc":"2.0","method":"fail_plain","id":6}`,
		`{"jsonrpc":"2.0","method":"panic","id":7}`,
		`[{"jsonrpc":"2.0","method":"echo","id":8}]`,
		`{"jsonrpc":"1.0","method":"echo","id":9}`,
		`{"jsonrpc":"2.0","method":"nope"}`,
		" \n" + `{"jsonrpc":"2.0","method":"echo","id":10}` + "\n",
	}
	for _, body := range bodies {
		rc.send(body)
		want := rc.line() + "\n"
		status, hdr, got := f.post(t, http.MethodPost, body, testCreds)
		if status != http.StatusOK || got != want {
			t.Errorf("body %s:\n got %d %q\nwant 200 %q", body, status, got, want)
		}
		if ct := hdr.Get("Content-Type"); ct != "application/json" {
			t.Errorf("body %s: Content-Type %q", body, ct)
		}
	}
}

// Input that is not exactly one JSON value is SPDK's parse error, with the
// status rpc_http_proxy.py sends for it (500), and nothing of it runs.
func TestHTTPParseError(t *testing.T) {
	f := startHTTP(t, HTTPOptions{Credentials: testCreds})
	want := `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}` + "\n"
	for _, body := range []string{
		`{"jsonrpc":"2.0","method":"count","id":1`,
		`garbage`,
		``,
		countReq + countReq,
		countReq + ` x`,
	} {
		status, hdr, got := f.post(t, http.MethodPost, body, testCreds)
		if status != http.StatusInternalServerError || got != want {
			t.Errorf("body %q: got %d %q, want 500 %q", body, status, got, want)
		}
		if ct := hdr.Get("Content-Type"); ct != "application/json" {
			t.Errorf("body %q: Content-Type %q", body, ct)
		}
	}
	if n := f.runs.Load(); n != 0 {
		t.Errorf("malformed bodies ran %d requests", n)
	}
}

// A notification runs and gets 204, where the proxy sends no response at all.
func TestHTTPNotification(t *testing.T) {
	f := startHTTP(t, HTTPOptions{Credentials: testCreds})
	status, _, body := f.post(t, http.MethodPost, `{"jsonrpc":"2.0","method":"count"}`, testCreds)
	if status != http.StatusNoContent || body != "" {
		t.Fatalf("got %d %q, want 204 and no body", status, body)
	}
	if n := f.runs.Load(); n != 1 {
		t.Fatalf("notification ran %d times, want 1", n)
	}
}

func TestHTTPWithoutCredentials(t *testing.T) {
	f := startHTTP(t, HTTPOptions{})
	status, _, body := f.post(t, http.MethodPost, countReq, nil)
	if want := `{"jsonrpc":"2.0","id":1,"result":1}` + "\n"; status != http.StatusOK || body != want {
		t.Fatalf("got %d %q, want 200 %q", status, body, want)
	}
}

// Close cancels a handler running for an HTTP client, waits for it, and
// ends ServeHTTPProxy; a closed server serves no more.
func TestHTTPCloseCancelsHandlers(t *testing.T) {
	s := NewServer()
	started, returned := make(chan struct{}), make(chan struct{})
	s.Register("block", func(ctx context.Context, _ json.RawMessage) (any, error) {
		close(started)
		<-ctx.Done()
		close(returned)
		return nil, ctx.Err()
	})
	l, err := ListenTCP(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.ServeHTTPProxy(l, HTTPOptions{}) }()
	posted := make(chan error, 1)
	go func() {
		c := &http.Client{Timeout: 5 * time.Second}
		resp, err := c.Post("http://"+l.Addr().String(), "application/json",
			strings.NewReader(`{"jsonrpc":"2.0","method":"block","id":1}`))
		if err == nil {
			_ = resp.Body.Close()
		}
		posted <- err
	}()
	<-started
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-returned:
	default:
		t.Fatal("Close returned before the handler did")
	}
	if err := <-done; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("ServeHTTPProxy: %v", err)
	}
	if err := <-posted; err == nil {
		t.Error("the client got a reply from a closed server")
	}
	l2, _ := net.Listen("tcp", "127.0.0.1:0")
	if err := s.ServeHTTPProxy(l2, HTTPOptions{}); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("ServeHTTPProxy after Close: %v", err)
	}
}
