// Package api serves the embedded target's SPDK-compatible JSON-RPC API:
// the subset of SPDK's methods the harness uses, with SPDK's method and
// parameter names, reply shapes and error objects, so the provisioner
// cannot tell the embedded target from nvmf_tgt.
//
// Deliberate differences from SPDK, all in corners the harness avoids:
// lvstore metadata lives in memory (it does not survive a restart), and
// deleting a bdev that a namespace, lvstore or virtual bdev still uses fails
// with EBUSY instead of hot-removing the users.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"syscall"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/bdev"
	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
)

// Version is what spdk_get_version reports: the SPDK release whose API the
// embedded target follows, marked as ours in the suffix.
var Version = spdkrpc.SpdkGetVersion{Version: "SPDK v24.01-nvmf-chaos",
	Fields: spdkrpc.VersionFields{Major: 24, Minor: 1, Suffix: "-nvmf-chaos"}}

// API binds a Target to an spdkrpc.Server and owns the bdevs created through
// it. Close it to release file descriptors.
type API struct {
	tgt  *nvmftarget.Target
	log  *slog.Logger
	kill func(sig string) error

	mu        sync.Mutex
	bdevs     map[string]*entry // by name
	lvstores  map[string]*bdev.Lvstore
	transport *spdkrpc.Transport
}

// entry is a registered bdev and what depends on it.
type entry struct {
	b       bdev.Bdev
	product string
	aliases []string
	claims  int            // namespaces, lvstores and virtual bdevs using it
	base    *entry         // the bdev this one wraps, released on delete
	driver  map[string]any // driver_specific of bdev_get_bdevs
}

// New returns an API over tgt. kill handles spdk_kill_instance (typically
// by signalling the process itself); nil refuses the method.
func New(tgt *nvmftarget.Target, log *slog.Logger, kill func(sig string) error) *API {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &API{tgt: tgt, log: log, kill: kill, bdevs: map[string]*entry{}, lvstores: map[string]*bdev.Lvstore{}}
}

// Register adds every method to srv.
func (a *API) Register(srv *spdkrpc.Server) {
	handlers := map[string]spdkrpc.Handler{
		spdkrpc.MethodSpdkGetVersion:   a.getVersion,
		spdkrpc.MethodSpdkKillInstance: a.killInstance,
	}
	for m, h := range a.bdevHandlers() {
		handlers[m] = h
	}
	for m, h := range a.lvolHandlers() {
		handlers[m] = h
	}
	for m, h := range a.nvmfHandlers() {
		handlers[m] = h
	}
	for m, h := range handlers {
		srv.Register(m, a.logged(m, h))
	}
}

// logged records each call's outcome: the target's log is where an
// engineer looks first when provisioning fails.
func (a *API) logged(method string, h spdkrpc.Handler) spdkrpc.Handler {
	return func(ctx context.Context, params json.RawMessage) (any, error) {
		res, err := h(ctx, params)
		if err != nil {
			a.log.Warn("rpc failed", "method", method, "params", string(params), "err", err)
		} else {
			a.log.Info("rpc", "method", method, "params", string(params))
		}
		return res, err
	}
}

// Close releases every bdev that holds resources.
func (a *API) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var first error
	for _, e := range a.bdevs {
		if er, ok := e.b.(*bdev.Error); ok {
			er.Release()
		}
		if c, ok := e.b.(bdev.Closer); ok {
			if err := c.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	a.bdevs = map[string]*entry{}
	return first
}

func (a *API) getVersion(_ context.Context, params json.RawMessage) (any, error) {
	if params != nil {
		return nil, spdkrpc.NewError(spdkrpc.CodeInvalidParams, "spdk_get_version method requires no parameters")
	}
	return Version, nil
}

func (a *API) killInstance(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.SpdkKillInstanceParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	switch p.SigName {
	case spdkrpc.SIGINT, spdkrpc.SIGTERM, spdkrpc.SIGQUIT, spdkrpc.SIGHUP, spdkrpc.SIGKILL, spdkrpc.SIGUSR1:
	default:
		return nil, spdkrpc.NewError(spdkrpc.CodeInvalidParams, "signal type '"+p.SigName+"' not supported")
	}
	if a.kill == nil {
		return nil, spdkrpc.NewError(spdkrpc.CodeInternalError, "spdk_kill_instance is not available in this process")
	}
	if err := a.kill(p.SigName); err != nil {
		return nil, spdkrpc.NewError(spdkrpc.CodeInternalError, err.Error())
	}
	return true, nil
}

// decode reads params into v the way SPDK's decoders do: strictly (unknown
// members are an error) unless relaxed, and a missing object when the
// method needs one is Invalid parameters.
func decode(params json.RawMessage, v any, strict bool) error {
	if params == nil {
		return spdkrpc.NewError(spdkrpc.CodeInvalidParams, spdkrpc.MsgInvalidParams)
	}
	d := json.NewDecoder(bytes.NewReader(params))
	if strict {
		d.DisallowUnknownFields()
	}
	if err := d.Decode(v); err != nil {
		return spdkrpc.NewError(spdkrpc.CodeInvalidParams, "spdk_json_decode_object failed: "+err.Error())
	}
	return nil
}

// lookup finds a bdev by name or alias. The caller holds a.mu.
func (a *API) lookup(name string) *entry {
	if e := a.bdevs[name]; e != nil {
		return e
	}
	for _, e := range a.bdevs {
		for _, al := range e.aliases {
			if al == name {
				return e
			}
		}
		if bdevUUID(e.b) == name {
			return e
		}
	}
	return nil
}

// add registers a new bdev; EEXIST if the name is taken. The caller holds a.mu.
func (a *API) add(e *entry) error {
	if a.lookup(e.b.Name()) != nil {
		return spdkrpc.ErrnoError(syscall.EEXIST)
	}
	if e.base != nil {
		e.base.claims++
	}
	a.bdevs[e.b.Name()] = e
	return nil
}

// remove unregisters a bdev that nothing uses. The caller holds a.mu.
func (a *API) remove(name string, want func(bdev.Bdev) bool) (*entry, error) {
	e := a.lookup(name)
	if e == nil || (want != nil && !want(e.b)) {
		return nil, spdkrpc.ErrnoError(syscall.ENODEV)
	}
	if e.claims > 0 {
		return nil, spdkrpc.ErrnoError(syscall.EBUSY)
	}
	delete(a.bdevs, e.b.Name())
	if e.base != nil {
		e.base.claims--
	}
	if er, ok := e.b.(*bdev.Error); ok {
		er.Release()
	}
	if c, ok := e.b.(bdev.Closer); ok {
		if err := c.Close(); err != nil {
			a.log.Warn("closing bdev", "bdev", name, "err", err)
		}
	}
	return e, nil
}

// Bdev returns the bdev registered under name (or alias), or nil.
func (a *API) Bdev(name string) bdev.Bdev {
	a.mu.Lock()
	defer a.mu.Unlock()
	if e := a.lookup(name); e != nil {
		return e.b
	}
	return nil
}

// sortedEntries returns the bdevs by name, for stable listings.
func (a *API) sortedEntries() []*entry {
	out := make([]*entry, 0, len(a.bdevs))
	for _, e := range a.bdevs {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].b.Name() < out[j].b.Name() })
	return out
}

func bdevUUID(b bdev.Bdev) string { return formatUUID(b.UUID()) }

func formatUUID(u [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
