package nvmetcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// ErrNoPath fails I/O that found no usable path within FastIOFailTmo.
var ErrNoPath = errors.New("nvme/tcp multipath: no usable path")

// ErrPathMismatch refuses a portal whose namespace is not the volume's:
// another NGUID, or another block size. Sending I/O there would write to a
// different disk.
var ErrPathMismatch = errors.New("nvme/tcp multipath: path exports a different namespace")

// Multipath policies (Linux nvme-cli iopolicy names).
const (
	PolicyFailover   = "failover"
	PolicyRoundRobin = "round-robin"
	PolicyQueueDepth = "queue-depth"
)

// MultipathConfig describes one namespace reached through several
// controllers of one subsystem. Timeouts follow Linux nvme-cli's names.
type MultipathConfig struct {
	// Base is the per-path controller configuration; Addr is ignored.
	Base  Config
	Addrs []string
	NSID  uint32
	// ReconnectDelay is the wait between reconnect attempts of a lost path
	// (default 10 s); CtrlLossTmo gives up on it (default 600 s).
	ReconnectDelay, CtrlLossTmo time.Duration
	// FastIOFailTmo is how long I/O waits for a usable path before failing
	// with ErrNoPath (Linux default: off, i.e. until ctrl_loss_tmo).
	FastIOFailTmo time.Duration
	// Policy is failover (one active path, optimized first), round-robin
	// over the best usable paths, or queue-depth (the best usable path with
	// the fewest commands outstanding).
	Policy string
	// OnEvent receives every path state change, in order, on the run clock
	// the caller's At uses.
	OnEvent func(PathEvent)
}

// PathEvent is one change of a path: what a failover is broken into.
type PathEvent struct {
	At   time.Time
	Path string
	// Kind is down, up, ana-change, requeue or ctrl-lost.
	Kind     string
	ANAState nvme.ANAState
	Detail   string
}

// Multipath submits I/O to the best usable path and moves it to another
// path when its path fails or answers with a path status (ANA
// inaccessible, transition...). Requests are requeued, writes included, as
// Linux does: at once, without the hold TP4129 lets a host keep before
// retrying on another path (KATO plus the controller's Command Quiesce
// Time). A write retried that way is only safe if the failed controller
// stops processing commands once its keep-alive deadline passes, as the
// embedded target does; a controller that does not may still apply it
// after the retry, over newer data, and the workload's verification then
// reports a lost write.
type Multipath struct {
	cfg   MultipathConfig
	paths []*mpath
	ctx   context.Context
	stop  context.CancelFunc
	wg    sync.WaitGroup
	reqs  sync.Pool

	mu      sync.Mutex
	nguid   [16]byte // of the first path that connected; all must match
	bs      int
	rr      int
	waiting []*mpReq // no usable path yet
	kick    chan struct{}
}

// mpath is one controller of the volume.
type mpath struct {
	addr     string
	inflight atomic.Int64 // queue-depth policy
	mu       sync.Mutex
	ctrl     *Controller // nil while down
	ana      nvme.ANAState
	gone     bool // ctrl_loss_tmo expired
}

// mpReq wraps a caller's request for its trip across paths.
type mpReq struct {
	inner    Request
	path     *mpath // where inner was last sent
	user     *Request
	queue    int
	deadline time.Time // zero: not waiting
}

// DialMultipath connects every reachable path; at least one must answer.
func DialMultipath(ctx context.Context, cfg MultipathConfig) (*Multipath, error) {
	if len(cfg.Addrs) == 0 {
		return nil, errors.New("multipath: no path addresses")
	}
	if cfg.ReconnectDelay <= 0 {
		cfg.ReconnectDelay = DefaultReconnectDelay
	}
	if cfg.CtrlLossTmo <= 0 {
		cfg.CtrlLossTmo = DefaultCtrlLossTmo
	}
	if cfg.FastIOFailTmo <= 0 {
		cfg.FastIOFailTmo = cfg.CtrlLossTmo
	}
	m := &Multipath{cfg: cfg, kick: make(chan struct{}, 1)}
	m.ctx, m.stop = context.WithCancel(context.Background())
	m.reqs.New = func() any { r := &mpReq{}; r.inner.Done, r.inner.User = m.complete, r; return r }
	var errs []error
	for _, a := range cfg.Addrs {
		p := &mpath{addr: a}
		m.paths = append(m.paths, p)
		if err := m.connect(ctx, p); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == len(cfg.Addrs) {
		m.stop()
		return nil, fmt.Errorf("multipath: no path connected: %w", errors.Join(errs...))
	}
	for _, p := range m.paths {
		m.wg.Add(1)
		go m.watch(p)
	}
	m.wg.Add(1)
	go m.retryLoop()
	return m, nil
}

func (m *Multipath) event(p *mpath, kind string, ana nvme.ANAState, detail string) {
	if m.cfg.OnEvent != nil {
		m.cfg.OnEvent(PathEvent{At: time.Now(), Path: p.addr, Kind: kind, ANAState: ana, Detail: detail})
	}
}

// connect dials a path and reads its ANA state.
func (m *Multipath) connect(ctx context.Context, p *mpath) error {
	cfg := m.cfg.Base
	cfg.Addr = p.addr
	cfg.OnEvent = func(e Event) { m.refreshANA(p) }
	c, err := Dial(ctx, cfg)
	if err != nil {
		return fmt.Errorf("path %s: %w", p.addr, err)
	}
	if err := m.checkIdentity(ctx, c); err != nil {
		_ = c.Close()
		return fmt.Errorf("path %s: %w", p.addr, err)
	}
	state := nvme.ANAOptimized
	if c.Identify().CMIC&nvme.CMICANAReports != 0 {
		if state, err = pathState(ctx, c, m.cfg.NSID); err != nil {
			_ = c.Close()
			return fmt.Errorf("path %s: %w", p.addr, err)
		}
	}
	p.mu.Lock()
	p.ctrl, p.ana = c, state
	p.mu.Unlock()
	m.event(p, "up", state, "")
	m.wake()
	return nil
}

// checkIdentity makes sure every path reaches the same namespace: paths
// are grouped by NGUID, as Linux native multipath does.
func (m *Multipath) checkIdentity(ctx context.Context, c *Controller) error {
	id, err := c.IdentifyNamespace(ctx, m.cfg.NSID)
	if err != nil {
		return fmt.Errorf("identify namespace %d: %w", m.cfg.NSID, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.bs == 0 {
		m.nguid, m.bs = id.NGUID, id.BlockSize()
		return nil
	}
	if id.NGUID != m.nguid || id.BlockSize() != m.bs {
		return fmt.Errorf("%w: NGUID %x, %d-byte blocks; the volume has %x, %d-byte blocks",
			ErrPathMismatch, id.NGUID, id.BlockSize(), m.nguid, m.bs)
	}
	return nil
}

// pathState reads the ANA state of the namespace's group on c.
func pathState(ctx context.Context, c *Controller, nsid uint32) (nvme.ANAState, error) {
	log, err := c.ANALog(ctx)
	if err != nil {
		return 0, fmt.Errorf("ANA log: %w", err)
	}
	for _, g := range log.Groups {
		for _, id := range g.NSIDs {
			if id == nsid {
				return g.State, nil
			}
		}
	}
	return nvme.ANAInaccessible, nil
}

// refreshANA re-reads a path's ANA state after an ANA event or status.
func (m *Multipath) refreshANA(p *mpath) {
	p.mu.Lock()
	c := p.ctrl
	p.mu.Unlock()
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(m.ctx, 5*time.Second)
	defer cancel()
	state, err := pathState(ctx, c, m.cfg.NSID)
	if err != nil {
		return
	}
	p.mu.Lock()
	changed := p.ana != state
	p.ana = state
	p.mu.Unlock()
	if changed {
		m.event(p, "ana-change", state, "")
		m.wake()
	}
}

// watch notices a path's controller failing and reconnects it every
// ReconnectDelay until CtrlLossTmo.
func (m *Multipath) watch(p *mpath) {
	defer m.wg.Done()
	for {
		p.mu.Lock()
		c := p.ctrl
		p.mu.Unlock()
		if c != nil {
			select {
			case <-c.Done():
				p.mu.Lock()
				p.ctrl = nil
				p.mu.Unlock()
				m.event(p, "down", 0, fmt.Sprint(c.Err()))
				_ = c.Close()
			case <-m.ctx.Done():
				return
			}
		}
		if !m.reconnect(p) {
			return
		}
	}
}

// reconnect retries a lost path; false when it is given up or closing.
func (m *Multipath) reconnect(p *mpath) bool {
	lost := time.Now()
	for time.Since(lost) < m.cfg.CtrlLossTmo {
		select {
		case <-m.ctx.Done():
			return false
		case <-time.After(m.cfg.ReconnectDelay):
		}
		ctx, cancel := context.WithTimeout(m.ctx, max(m.cfg.ReconnectDelay, time.Second))
		err := m.connect(ctx, p)
		cancel()
		if err == nil {
			return true
		}
	}
	p.mu.Lock()
	p.gone = true
	p.mu.Unlock()
	m.event(p, "ctrl-lost", 0, "ctrl_loss_tmo expired")
	return false
}

// DiscoverPaths returns the portals of subsys that a discovery controller
// at discoveryAddr lists, for MultipathConfig.Addrs.
func DiscoverPaths(ctx context.Context, base Config, discoveryAddr, subsys string) ([]string, error) {
	base.Addr = discoveryAddr
	entries, err := Discover(ctx, base)
	if err != nil {
		return nil, fmt.Errorf("discover paths of %s at %s: %w", subsys, discoveryAddr, err)
	}
	var addrs []string
	for _, e := range entries {
		if e.SubNQN == subsys && e.Subtype == nvme.SubtypeNVMe {
			addrs = append(addrs, net.JoinHostPort(e.TRADDR, e.TRSVCID))
		}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("discovery at %s lists no portal of %s", discoveryAddr, subsys)
	}
	return addrs, nil
}
