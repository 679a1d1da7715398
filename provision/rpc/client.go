package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
)

// DefaultTimeout bounds each call unless WithTimeout says otherwise; it is
// the timeout of SPDK's own python client.
const DefaultTimeout = 60 * time.Second

// transport carries one request to the target and brings back its reply.
type transport interface {
	roundTrip(ctx context.Context, id uint64, req *spdkrpc.Request) (*spdkrpc.Response, error)
	close() error
}

// Client calls SPDK JSON-RPC methods on one target.
//
// Concurrency: all methods are safe for concurrent use. Over a unix or TCP
// socket the calls share one connection: requests are written whole, one at
// a time, and replies are matched to calls by id, so they may arrive in any
// order (SPDK completes many methods asynchronously). Over HTTP every call
// is its own POST, as the proxy opens a fresh SPDK connection per request.
//
// Idempotency is the caller's business: SPDK has no request deduplication,
// so a call that timed out may still have taken effect on the target.
//
// Failure: the Client does not reconnect. When its connection breaks, calls
// in flight and all later calls fail with ErrConnectionLost; Dial again.
type Client struct {
	ep      endpoint
	timeout time.Duration
	nextID  atomic.Uint64
	t       transport
}

// Option configures Dial.
type Option func(*options)

type options struct {
	timeout    time.Duration
	httpClient *http.Client
	basicAuth  *url.Userinfo
}

// WithTimeout sets the per-call timeout (default DefaultTimeout); 0 leaves
// calls bounded only by their context.
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// WithHTTPClient sets the client used for http(s) addresses, e.g. one with
// a TLS configuration trusting the proxy's certificate.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) { o.httpClient = hc }
}

// WithBasicAuth gives the credentials for an http(s) address that carries
// none, so that a password need not be written into the address (and from
// there onto a command line or into a scenario file). An address with its
// own user:pass@ is refused with this option, as ambiguous. Socket
// addresses ignore it.
func WithBasicAuth(user, password string) Option {
	return func(o *options) { o.basicAuth = url.UserPassword(user, password) }
}

// Dial connects to the target at addr: a unix socket path (empty means
// /var/tmp/spdk.sock), "unix://path", "tcp://host:port" or "host:port", or
// "http(s)://user:pass@host:port" for SPDK's HTTP proxy. For HTTP nothing
// is contacted until the first call. The caller must Close the Client.
func Dial(ctx context.Context, addr string, opts ...Option) (*Client, error) {
	o := options{timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	ep, err := parseAddr(addr)
	if err != nil {
		return nil, err
	}
	c := &Client{ep: ep, timeout: o.timeout}
	if ep.network == "http" {
		if o.basicAuth != nil {
			if ep.url.User != nil {
				return nil, fmt.Errorf("rpc address %s: credentials both in the address and given apart: give one", ep)
			}
			u := *ep.url
			u.User = o.basicAuth
			ep.url = &u
		}
		c.t = newHTTPTransport(ep, o.httpClient)
		return c, nil
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, ep.network, ep.address)
	if err != nil {
		return nil, fmt.Errorf("dial SPDK RPC at %s: %w", ep, err)
	}
	c.t = newStreamTransport(conn)
	return c, nil
}

// Addr names the target as given to Dial, without any password.
func (c *Client) Addr() string { return c.ep.String() }

// Close ends the connection; calls in flight fail with ErrClosed. It is
// safe to call more than once.
func (c *Client) Close() error {
	return c.t.close()
}

// Call invokes method with params (nil, or a struct marshalled as the
// params object; an empty object is left out as SPDK's python client does)
// and decodes the result into result unless it is nil. An error object from
// the target comes back as *Error; transport failures wrap ErrConnectionLost,
// ErrClosed, ErrTimeout or ctx's error.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	id := c.nextID.Add(1)
	req, err := spdkrpc.NewRequest(id, method, params)
	if err != nil {
		return fmt.Errorf("spdk rpc %s: %w", method, err)
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	resp, err := c.t.roundTrip(ctx, id, req)
	if err != nil {
		return c.callError(ctx, method, err)
	}
	if resp.Error != nil {
		return &Error{Method: method, Code: resp.Error.Code, Message: resp.Error.Message}
	}
	if result == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Result, result); err != nil {
		return fmt.Errorf("spdk rpc %s: decode result %.200s: %w", method, resp.Result, err)
	}
	return nil
}

// callContext applies the per-call timeout, recording it as the cause so
// callError can tell it from the caller's own deadline.
func (c *Client) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, c.timeout, ErrTimeout)
}

func (c *Client) callError(ctx context.Context, method string, err error) error {
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), ErrTimeout) {
		return fmt.Errorf("spdk rpc %s at %s: %w after %v: %w", method, c.ep, ErrTimeout, c.timeout, ctx.Err())
	}
	return fmt.Errorf("spdk rpc %s at %s: %w", method, c.ep, err)
}

// callBool is Call for the many methods whose result is true on success.
func (c *Client) callBool(ctx context.Context, method string, params any) error {
	var ok bool
	if err := c.Call(ctx, method, params, &ok); err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("spdk rpc %s at %s: result false", method, c.ep)
	}
	return nil
}
