package rpc

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
)

// endpoint is a parsed target address: a stream socket (network "unix" or
// "tcp") or the URL of SPDK's HTTP proxy.
type endpoint struct {
	network string
	address string
	url     *url.URL // network "http": the proxy URL, credentials included
}

// parseAddr understands, in this order:
//
//	""                          → unix socket spdkrpc.DefaultSocket
//	unix:///var/tmp/spdk.sock   → unix socket
//	tcp://127.0.0.1:5260        → TCP
//	http(s)://user:pass@h:p[/]  → SPDK's HTTP proxy (scripts/rpc_http_proxy.py)
//	anything containing "/"     → unix socket path
//	host:port                   → TCP
//	anything else               → unix socket path (e.g. "spdk.sock")
func parseAddr(addr string) (endpoint, error) {
	switch {
	case addr == "":
		return endpoint{network: "unix", address: spdkrpc.DefaultSocket}, nil
	case strings.HasPrefix(addr, "unix://"):
		p := strings.TrimPrefix(addr, "unix://")
		if p == "" {
			return endpoint{}, fmt.Errorf("rpc address %q: empty socket path", addr)
		}
		return endpoint{network: "unix", address: p}, nil
	case strings.HasPrefix(addr, "tcp://"):
		hp := strings.TrimPrefix(addr, "tcp://")
		if _, _, err := net.SplitHostPort(hp); err != nil {
			return endpoint{}, fmt.Errorf("rpc address %q: %w", addr, err)
		}
		return endpoint{network: "tcp", address: hp}, nil
	case strings.HasPrefix(addr, "http://"), strings.HasPrefix(addr, "https://"):
		return parseHTTP(addr)
	case strings.Contains(addr, "/"):
		return endpoint{network: "unix", address: addr}, nil
	}
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return endpoint{network: "tcp", address: addr}, nil
	}
	return endpoint{network: "unix", address: addr}, nil
}

func parseHTTP(addr string) (endpoint, error) {
	u, err := url.Parse(addr)
	if err != nil {
		// url.Error repeats the address, password included: say less.
		return endpoint{}, fmt.Errorf("rpc address %s: not a valid URL", redact(addr))
	}
	if u.Host == "" {
		return endpoint{}, fmt.Errorf("rpc address %s: no host", u.Redacted())
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return endpoint{network: "http", address: u.Redacted(), url: u}, nil
}

// redact hides what could be a password in an address that did not parse.
func redact(addr string) string {
	scheme, rest, ok := strings.Cut(addr, "://")
	if !ok {
		return addr
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		return scheme + "://xxxxx@" + rest[at+1:]
	}
	return addr
}

// String names the endpoint without its password, for error messages.
func (e endpoint) String() string {
	if e.network == "http" {
		return e.address
	}
	return e.network + ":" + e.address
}
