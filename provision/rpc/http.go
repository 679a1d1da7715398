package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"

	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
)

// maxReplyBytes bounds a reply read from the proxy; SPDK's own send buffer
// stops at 32 MiB (SPDK_JSONRPC_SEND_BUF_SIZE_MAX).
const maxReplyBytes = 32 << 20

// httpTransport POSTs each request to SPDK's HTTP proxy
// (scripts/rpc_http_proxy.py) with basic auth, the way spdk-csi reaches a
// storage node. The proxy forwards the body to the unix socket and returns
// the reply verbatim with status 200, so JSON-RPC errors arrive as 200 with
// an error object; bad credentials are 401, proxy failures 500.
type httpTransport struct {
	url        string // without credentials
	user, pass string
	auth       bool
	client     *http.Client
	closed     atomic.Bool
	// life is cancelled by close so that calls in flight end with ErrClosed
	// as they do on a stream connection.
	life context.Context
	end  context.CancelFunc
}

func newHTTPTransport(ep endpoint, hc *http.Client) *httpTransport {
	u := *ep.url
	t := &httpTransport{client: hc}
	t.life, t.end = context.WithCancel(context.Background())
	if u.User != nil {
		t.auth = true
		t.user = u.User.Username()
		t.pass, _ = u.User.Password()
		u.User = nil
	}
	t.url = u.String()
	if t.client == nil {
		t.client = &http.Client{}
	}
	return t
}

func (t *httpTransport) roundTrip(ctx context.Context, id uint64, req *spdkrpc.Request) (*spdkrpc.Response, error) {
	if t.closed.Load() {
		return nil, ErrClosed
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(t.life, func() { cancel(ErrClosed) })
	defer stop()
	resp, err := t.post(ctx, id, req)
	if err != nil && errors.Is(context.Cause(ctx), ErrClosed) {
		return nil, ErrClosed
	}
	return resp, err
}

func (t *httpTransport) post(ctx context.Context, id uint64, req *spdkrpc.Request) (*spdkrpc.Response, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("marshal request: %w", err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build HTTP request: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	if t.auth {
		hreq.SetBasicAuth(t.user, t.pass)
	}
	hresp, err := t.client.Do(hreq)
	if err != nil {
		return nil, unwrapURLError(err)
	}
	defer hresp.Body.Close()
	if err := checkStatus(hresp); err != nil {
		return nil, err
	}
	return decodeHTTPReply(hresp.Body, id)
}

func checkStatus(r *http.Response) error {
	switch {
	case r.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("%w (HTTP %s): check the user and password in the address", ErrUnauthorized, r.Status)
	case r.StatusCode != http.StatusOK:
		snippet, _ := io.ReadAll(io.LimitReader(r.Body, 200))
		return fmt.Errorf("HTTP proxy answered %s: %q", r.Status, snippet)
	}
	return nil
}

func decodeHTTPReply(body io.Reader, id uint64) (*spdkrpc.Response, error) {
	var resp spdkrpc.Response
	if err := json.NewDecoder(io.LimitReader(body, maxReplyBytes)).Decode(&resp); err != nil {
		return nil, fmt.Errorf("decode proxy reply: %w", err)
	}
	if got := string(resp.ID); got != fmt.Sprint(id) {
		if resp.Error != nil && got == "null" {
			return nil, fmt.Errorf("target rejected the request: error %d: %s", resp.Error.Code, resp.Error.Message)
		}
		return nil, fmt.Errorf("proxy reply has id %.40s, want %d", got, id)
	}
	return &resp, nil
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the URL,
// keeping its cause (context errors included) for errors.Is.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("HTTP %s: %w", ue.Op, ue.Err)
	}
	return err
}

func (t *httpTransport) close() error {
	t.closed.Store(true)
	t.end()
	t.client.CloseIdleConnections()
	return nil
}
