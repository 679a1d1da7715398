package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
)

// target is an spdkrpc.Server on a unix socket and a loopback TCP port, with
// a tap that keeps every byte clients sent, and an httptest proxy in front
// of the unix socket behaving like scripts/rpc_http_proxy.py.
type target struct {
	srv   *spdkrpc.Server
	sock  string
	tcp   string
	proxy *httptest.Server
	tap   *tap
}

const (
	proxyUser = "spdkcsiuser"
	proxyPass = "spdkcsipass"
)

func startTarget(t *testing.T, register func(*spdkrpc.Server)) *target {
	t.Helper()
	srv := spdkrpc.NewServer()
	register(srv)
	tg := &target{srv: srv, tap: &tap{}}
	tg.sock = filepath.Join(t.TempDir(), "spdk.sock")
	ul, err := spdkrpc.ListenUnix(context.Background(), tg.sock)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := spdkrpc.ListenTCP(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tg.tcp = tl.Addr().String()
	var wg sync.WaitGroup
	for _, l := range []net.Listener{&tapListener{Listener: ul, tap: tg.tap}, tl} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(l); !errors.Is(err, spdkrpc.ErrServerClosed) {
				t.Errorf("Serve: %v", err)
			}
		}()
	}
	tg.proxy = httptest.NewServer(proxyHandler(tg.sock, proxyUser, proxyPass))
	t.Cleanup(func() {
		tg.proxy.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("server Close: %v", err)
		}
		wg.Wait()
	})
	return tg
}

// proxyURL is the HTTP proxy's address with the given credentials.
func (tg *target) proxyURL(user, pass string) string {
	return "http://" + user + ":" + pass + "@" + tg.proxy.Listener.Addr().String()
}

// proxyHandler mimics rpc_http_proxy.py: 401 on wrong credentials, a fresh
// unix connection per POST, the first complete JSON reply returned verbatim
// with 200, 500 when forwarding fails.
func proxyHandler(sock, user, pass string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != pass {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		c, err := net.Dial("unix", sock)
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		// The python proxy waits out a slow target even after the client
		// left; ours gives up so that tests end promptly.
		stop := context.AfterFunc(r.Context(), func() { _ = c.Close() })
		defer stop()
		if _, err := c.Write(body); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		var reply json.RawMessage
		if err := json.NewDecoder(c).Decode(&reply); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(reply)
	})
}

// tap keeps a copy of everything clients wrote to the unix listener.
type tap struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

type tapListener struct {
	net.Listener
	tap *tap
}

func (l *tapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &tapConn{Conn: c, tap: l.tap}, nil
}

type tapConn struct {
	net.Conn
	tap *tap
}

func (c *tapConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.tap.mu.Lock()
	c.tap.buf.Write(b[:n])
	c.tap.mu.Unlock()
	return n, err
}

// requests decodes every request object seen so far and empties the tap.
func (tp *tap) requests(t *testing.T) []map[string]any {
	t.Helper()
	tp.mu.Lock()
	defer tp.mu.Unlock()
	dec := json.NewDecoder(&tp.buf)
	var out []map[string]any
	for {
		var m map[string]any
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("tapped bytes are not a JSON stream: %v", err)
		}
		out = append(out, m)
	}
	tp.buf.Reset()
	return out
}

// dialAll returns clients for every way of reaching tg, keyed by a name for
// subtests.
func dialAll(t *testing.T, tg *target, opts ...Option) map[string]*Client {
	t.Helper()
	addrs := map[string]string{
		"unix":      tg.sock,
		"unix-url":  "unix://" + tg.sock,
		"tcp":       tg.tcp,
		"tcp-url":   "tcp://" + tg.tcp,
		"http-auth": tg.proxyURL(proxyUser, proxyPass),
	}
	out := map[string]*Client{}
	for name, addr := range addrs {
		out[name] = dial(t, addr, opts...)
	}
	return out
}

func dial(t *testing.T, addr string, opts ...Option) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr, opts...)
	if err != nil {
		t.Fatalf("Dial(%s): %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testCtx bounds a test's calls so a bug shows up as a failure, not a hang.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
