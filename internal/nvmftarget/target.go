package nvmftarget

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// Limits the target advertises. They match SPDK's TCP transport defaults
// except the in-capsule data size, which is 8192 (SPDK 4096) so that 4 KiB
// and 8 KiB writes need no R2T round trip.
const (
	// MaxQueueDepth is the most commands a queue may have outstanding
	// (CAP.MQES+1 and MAXCMD); Connect SQSIZE is at most MaxQueueDepth-1.
	MaxQueueDepth = 128
	// MaxIOQueues is the most I/O queues a controller may connect.
	MaxIOQueues = 127
	// InCapsuleDataSize is the largest in-capsule data on any queue
	// (IOCCSZ = (64+InCapsuleDataSize)/16).
	InCapsuleDataSize = 8192
	// MaxH2CData is the MAXH2CDATA of ICResp.
	MaxH2CData = 131072
	// MDTS is log2 of the largest transfer in 4 KiB units: 128 KiB.
	MDTS = 5
	// MaxTransfer is the largest data transfer of one command.
	MaxTransfer = 4096 << MDTS
)

// DefaultReadSpin is the default Options.ReadSpin: longer than a loopback
// or LAN round trip of a busy QD1 host, short enough that a slow host
// costs little CPU (and only once: spinning stops until it is fast again).
const DefaultReadSpin = 50 * time.Microsecond

// Options configure a Target. The zero value is usable.
type Options struct {
	// Logger receives connection and controller events; nil discards them.
	Logger *slog.Logger
	// MinKATO raises smaller non-zero Connect keep-alive timeouts to it
	// (SPDK's min_kato is 10 s); zero keeps what the host asked for.
	MinKATO time.Duration
	// IOWorkers is the number of goroutines per I/O connection that run
	// I/O for bdevs that block (files, delay); 0 means MaxQueueDepth, so a
	// delayed I/O never waits behind another one.
	IOWorkers int
	// ICReqTimeout bounds the wait for a new connection's ICReq; 0 means 10 s.
	ICReqTimeout time.Duration
	// ReadSpin is how long a connection's reader polls its socket for the
	// next PDU before parking, while its host keeps it busy; 0 means
	// DefaultReadSpin, negative disables spinning (Linux only; see
	// package spinread for the cost and why).
	ReadSpin time.Duration
}

// Errors returned by the Target API.
var (
	ErrClosed          = errors.New("target: closed")
	ErrExists          = errors.New("target: already exists")
	ErrNotFound        = errors.New("target: not found")
	ErrANADisabled     = errors.New("target: ANA reporting is disabled on the subsystem")
	ErrInvalidArgument = errors.New("target: invalid argument")
)

// Target is an NVMe/TCP target. All methods are safe for concurrent use.
// Create it with New and release it with Close.
type Target struct {
	opts Options
	log  *slog.Logger

	mu         sync.Mutex
	subsystems map[string]*Subsystem // by NQN, the discovery subsystem included
	listeners  map[string]*listener  // by bound address
	conns      map[*conn]struct{}
	nextPortID uint16
	genctr     uint64 // discovery log generation
	closed     bool

	wg     sync.WaitGroup // accept loops and connections
	paused atomic.Pointer[chan struct{}]
}

// New returns a target serving nothing yet; add subsystems and listeners.
func New(opts Options) *Target {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.ReadSpin == 0 {
		opts.ReadSpin = DefaultReadSpin
	}
	if opts.IOWorkers <= 0 {
		opts.IOWorkers = MaxQueueDepth
	}
	if opts.ICReqTimeout <= 0 {
		opts.ICReqTimeout = 10 * time.Second
	}
	t := &Target{
		opts:       opts,
		log:        opts.Logger,
		subsystems: make(map[string]*Subsystem),
		listeners:  make(map[string]*listener),
		conns:      make(map[*conn]struct{}),
	}
	t.subsystems[nvme.DiscoveryNQN] = newSubsystem(t, SubsystemConfig{
		NQN: nvme.DiscoveryNQN, AllowAnyHost: true, Model: "nvmf-chaos discovery"}, true)
	return t
}

// Close stops every listener, disconnects every connection and waits for
// all goroutines of the target to end. Bdevs are not closed: their creator
// owns them. Safe to call more than once.
func (t *Target) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		t.wg.Wait()
		return nil
	}
	t.closed = true
	for _, l := range t.listeners {
		l.close()
	}
	t.listeners = map[string]*listener{}
	conns := make([]*conn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	subs := make([]*Subsystem, 0, len(t.subsystems))
	for _, s := range t.subsystems {
		subs = append(subs, s)
	}
	t.mu.Unlock()
	t.Resume()
	shutdownGroup(conns)
	t.wg.Wait()
	for _, s := range subs {
		s.teardownControllers(nil, "target closed")
	}
	return nil
}

// Pause stops all command processing: every connection stops reading at
// its next PDU, so hosts see a hang (TCP stays up, nothing completes) until
// Resume. Keep-alive timers keep running, as they would in a stopped process
// whose peers' clocks advance. Idempotent.
func (t *Target) Pause() {
	ch := make(chan struct{})
	t.paused.CompareAndSwap(nil, &ch)
}

// Resume restarts processing after Pause. Idempotent.
func (t *Target) Resume() {
	if ch := t.paused.Swap(nil); ch != nil {
		close(*ch)
	}
}

// waitResumed blocks while the target is paused or until done is closed.
func (t *Target) waitResumed(done <-chan struct{}) {
	if ch := t.paused.Load(); ch != nil {
		select {
		case <-*ch:
		case <-done:
		}
	}
}

// AddSubsystem creates an NVM subsystem. Its NQN must be unique.
func (t *Target) AddSubsystem(cfg SubsystemConfig) (*Subsystem, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, ErrClosed
	}
	if _, ok := t.subsystems[cfg.NQN]; ok {
		return nil, fmt.Errorf("subsystem %s: %w", cfg.NQN, ErrExists)
	}
	s := newSubsystem(t, cfg, false)
	t.subsystems[cfg.NQN] = s
	t.genctr++
	return s, nil
}

// RemoveSubsystem disconnects the subsystem's controllers, drops its
// listeners (closing TCP listeners no other subsystem uses) and deletes it.
func (t *Target) RemoveSubsystem(nqn string) error {
	t.mu.Lock()
	s, ok := t.subsystems[nqn]
	if !ok || s.discovery {
		t.mu.Unlock()
		return fmt.Errorf("subsystem %s: %w", nqn, ErrNotFound)
	}
	delete(t.subsystems, nqn)
	for _, p := range s.unbindAll() {
		t.releaseListenerLocked(p.ln)
	}
	t.genctr++
	t.mu.Unlock()
	s.teardownControllers(nil, "subsystem removed")
	return nil
}

// Subsystem returns the subsystem with that NQN ("discovery" names the
// discovery subsystem), or nil.
func (t *Target) Subsystem(nqn string) *Subsystem {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.subsystems[canonicalNQN(nqn)]
}

// Subsystems returns a snapshot of every subsystem, sorted by NQN, the
// discovery subsystem first (what nvmf_get_subsystems reports).
func (t *Target) Subsystems() []SubsystemInfo {
	t.mu.Lock()
	subs := make([]*Subsystem, 0, len(t.subsystems))
	for _, s := range t.subsystems {
		subs = append(subs, s)
	}
	t.mu.Unlock()
	sort.Slice(subs, func(i, j int) bool {
		if subs[i].discovery != subs[j].discovery {
			return subs[i].discovery
		}
		return subs[i].cfg.NQN < subs[j].cfg.NQN
	})
	out := make([]SubsystemInfo, len(subs))
	for i, s := range subs {
		out[i] = s.Info()
	}
	return out
}

func canonicalNQN(nqn string) string {
	if nqn == "discovery" {
		return nvme.DiscoveryNQN
	}
	return nqn
}

// trackConn registers a live connection so Close can reach it; false means
// the target is closing and the connection must be dropped.
func (t *Target) trackConn(c *conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

func (t *Target) untrackConn(c *conn) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
}
