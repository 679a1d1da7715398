package nvmftarget

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"sort"
	"sync/atomic"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// listener is one TCP listening socket, shared by every subsystem bound to
// its address (as in SPDK, where listeners belong to the transport).
type listener struct {
	t    *Target
	addr string // bound address, host:port
	id   uint16 // discovery log PORTID
	ln   net.Listener
	refs int // subsystem bindings; guarded by t.mu
}

// port binds a subsystem to a listener and carries that path's ANA states.
type port struct {
	ln  *listener
	ana atomic.Pointer[anaStates]
}

// anaStates is immutable: SetANAState publishes a new one.
type anaStates struct {
	all    nvme.ANAState            // groups without an entry
	groups map[uint32]nvme.ANAState // per-group overrides
}

func (p *port) state(group uint32) nvme.ANAState {
	a := p.ana.Load()
	if s, ok := a.groups[group]; ok {
		return s
	}
	return a.all
}

// AddListener binds the subsystem nqn ("discovery" for the discovery
// subsystem) to a TCP address, listening on it unless another subsystem
// already does, and returns the bound address: port 0 picks a free port.
// state is the ANA state of every group on this path (0 means optimized);
// non-optimized states need ANA reporting. Binding twice is an error.
func (t *Target) AddListener(nqn, addr string, state nvme.ANAState) (string, error) {
	if state == 0 {
		state = nvme.ANAOptimized
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return "", ErrClosed
	}
	s := t.subsystems[canonicalNQN(nqn)]
	if s == nil {
		return "", fmt.Errorf("subsystem %s: %w", nqn, ErrNotFound)
	}
	if state != nvme.ANAOptimized && !s.cfg.ANAReporting {
		return "", fmt.Errorf("listener %s state %v: %w", addr, state, ErrANADisabled)
	}
	l, err := t.listenLocked(addr)
	if err != nil {
		return "", err
	}
	p := &port{ln: l}
	p.ana.Store(&anaStates{all: state})
	if !s.bind(p) {
		t.releaseListenerLocked(l)
		return "", fmt.Errorf("listener %s on %s: %w", l.addr, nqn, ErrExists)
	}
	t.genctr++
	return l.addr, nil
}

// listenLocked returns the listener for addr, creating it, with one more
// reference. The caller holds t.mu.
func (t *Target) listenLocked(addr string) (*listener, error) {
	if ta, err := net.ResolveTCPAddr("tcp", addr); err == nil && ta.Port != 0 {
		if l := t.listeners[ta.String()]; l != nil {
			l.refs++
			return l, nil
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("target: listen: %w", err)
	}
	l := &listener{t: t, addr: listenKey(addr, ln.Addr()), id: t.nextPortID, ln: ln, refs: 1}
	t.nextPortID++
	t.listeners[l.addr] = l
	t.wg.Add(1)
	go l.accept()
	t.log.Info("listening", "addr", l.addr)
	return l, nil
}

// listenKey names a listener as resolve names the address it was asked
// for, with the port it got: Go reports a wildcard listener as "[::]:P"
// whatever it was asked, and "0.0.0.0:P" must find it again.
func listenKey(asked string, got net.Addr) string {
	ta, err := net.ResolveTCPAddr("tcp", asked)
	gt, ok := got.(*net.TCPAddr)
	if err != nil || !ok {
		return got.String()
	}
	return (&net.TCPAddr{IP: ta.IP, Port: gt.Port, Zone: ta.Zone}).String()
}

// releaseListenerLocked drops a reference and closes the TCP listener (and
// the connections that came through it) when none is left.
func (t *Target) releaseListenerLocked(l *listener) {
	if l.refs--; l.refs > 0 {
		return
	}
	delete(t.listeners, l.addr)
	l.close()
	var conns []*conn
	for c := range t.conns {
		if c.ln == l {
			conns = append(conns, c)
		}
	}
	shutdownGroup(conns)
}

// RemoveListener unbinds the subsystem from addr and disconnects that
// subsystem's controllers that came through it. The TCP listener closes when
// no subsystem uses it any more.
func (t *Target) RemoveListener(nqn, addr string) error {
	t.mu.Lock()
	s := t.subsystems[canonicalNQN(nqn)]
	if s == nil {
		t.mu.Unlock()
		return fmt.Errorf("subsystem %s: %w", nqn, ErrNotFound)
	}
	p := s.unbind(t.resolve(addr))
	if p == nil {
		t.mu.Unlock()
		return fmt.Errorf("listener %s on %s: %w", addr, nqn, ErrNotFound)
	}
	t.releaseListenerLocked(p.ln)
	t.genctr++
	t.mu.Unlock()
	s.teardownControllers(func(c *controller) bool { return c.port == p }, "listener removed")
	return nil
}

// SetANAState sets the ANA state of one group (0: every group) of the
// subsystem on the listener at addr, and raises an ANA-change event on the
// controllers connected through it.
func (t *Target) SetANAState(nqn, addr string, group uint32, state nvme.ANAState) error {
	switch state {
	case nvme.ANAOptimized, nvme.ANANonOptimized, nvme.ANAInaccessible, nvme.ANAPersistentLoss, nvme.ANAChange:
	default:
		return fmt.Errorf("%w: ANA state %v", ErrInvalidArgument, state)
	}
	t.mu.Lock()
	s := t.subsystems[canonicalNQN(nqn)]
	t.mu.Unlock()
	if s == nil {
		return fmt.Errorf("subsystem %s: %w", nqn, ErrNotFound)
	}
	if !s.cfg.ANAReporting {
		return fmt.Errorf("subsystem %s: %w", nqn, ErrANADisabled)
	}
	s.mu.Lock()
	p := s.ports[t.resolve(addr)]
	if p == nil {
		s.mu.Unlock()
		return fmt.Errorf("listener %s on %s: %w", addr, nqn, ErrNotFound)
	}
	old := p.ana.Load()
	next := &anaStates{all: old.all, groups: maps.Clone(old.groups)}
	if group == 0 {
		next = &anaStates{all: state}
	} else {
		if next.groups == nil {
			next.groups = map[uint32]nvme.ANAState{}
		}
		next.groups[group] = state
	}
	p.ana.Store(next)
	s.anaChange++
	s.mu.Unlock()
	s.notify(anaChangeEvent, nvme.AsyncConfigANAChange, func(c *controller) bool { return c.port == p })
	return nil
}

// resolve turns "localhost:4420" into the key listeners are stored under.
func (t *Target) resolve(addr string) string {
	if ta, err := net.ResolveTCPAddr("tcp", addr); err == nil {
		return ta.String()
	}
	return addr
}

func (s *Subsystem) bind(p *port) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ports[p.ln.addr] != nil {
		return false
	}
	s.ports[p.ln.addr] = p
	return true
}

func (s *Subsystem) unbind(addr string) *port {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.ports[addr]
	delete(s.ports, addr)
	return p
}

func (s *Subsystem) unbindAll() []*port {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := slices.Collect(maps.Values(s.ports))
	s.ports = map[string]*port{}
	return ps
}

func (s *Subsystem) port(addr string) *port {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ports[addr]
}

func (l *listener) close() { _ = l.ln.Close() }

func (l *listener) accept() {
	defer l.t.wg.Done()
	for {
		nc, err := l.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				l.t.log.Warn("accept failed; listener stopped", "addr", l.addr, "err", err)
			}
			return
		}
		c := newConn(l.t, l, nc)
		l.t.wg.Add(1)
		if !l.t.trackConn(c) {
			l.t.wg.Done()
			_ = nc.Close()
			continue
		}
		go c.serve()
	}
}

// discoveryLog builds the discovery log page a host sees: one entry per
// subsystem it may access and listener of that subsystem, then the
// discovery subsystem's own listeners.
func (t *Target) discoveryLog(hostNQN string) *nvme.DiscoveryLog {
	t.mu.Lock()
	log := &nvme.DiscoveryLog{GenCtr: t.genctr}
	subs := slices.Collect(maps.Values(t.subsystems))
	t.mu.Unlock()
	sort.Slice(subs, func(i, j int) bool { return subs[i].cfg.NQN < subs[j].cfg.NQN })
	var current []nvme.DiscoveryEntry
	for _, s := range subs {
		if !s.discovery && !s.hostAllowed(hostNQN) {
			continue
		}
		s.mu.Lock()
		addrs := slices.Sorted(maps.Keys(s.ports))
		for _, a := range addrs {
			e := discoveryEntry(s, s.ports[a].ln)
			if s.discovery {
				current = append(current, e)
			} else {
				log.Entries = append(log.Entries, e)
			}
		}
		s.mu.Unlock()
	}
	log.Entries = append(log.Entries, current...)
	return log
}

func discoveryEntry(s *Subsystem, l *listener) nvme.DiscoveryEntry {
	host, svc, _ := net.SplitHostPort(l.addr)
	e := nvme.DiscoveryEntry{TransportType: nvme.TransportTCP, AddressFamily: nvme.AddressFamilyIPv4,
		Subtype: nvme.SubtypeNVMe, TREQ: 2, PortID: l.id, CNTLID: nvme.DynamicCNTLID, ASQSZ: MaxQueueDepth,
		TRSVCID: svc, SubNQN: s.cfg.NQN, TRADDR: host}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		e.AddressFamily = nvme.AddressFamilyIPv6
	}
	if s.discovery {
		e.Subtype = nvme.SubtypeDiscoveryCurrent
	}
	return e
}

// ListenerInfo is one listener of a subsystem with its ANA states.
type ListenerInfo struct {
	Addr string
	// ANA maps each ANA group holding namespaces to its state on this path.
	ANA map[uint32]nvme.ANAState
}

// NamespaceInfo describes one namespace.
type NamespaceInfo struct {
	NSID        uint32
	BdevName    string
	NGUID, UUID [16]byte
	ANAGroupID  uint32
}

// SubsystemInfo is a snapshot of a subsystem's configuration.
type SubsystemInfo struct {
	NQN           string
	Discovery     bool
	Serial, Model string
	AllowAnyHost  bool
	ANAReporting  bool
	MaxNamespaces uint32
	Hosts         []string
	Listeners     []ListenerInfo
	Namespaces    []NamespaceInfo
}

// Info returns a snapshot of the subsystem.
func (s *Subsystem) Info() SubsystemInfo {
	groups, _ := s.anaGroups()
	tab := s.ns.Load()
	s.mu.Lock()
	defer s.mu.Unlock()
	info := SubsystemInfo{NQN: s.cfg.NQN, Discovery: s.discovery, Serial: s.cfg.Serial, Model: s.cfg.Model,
		AllowAnyHost: s.allowAny, ANAReporting: s.cfg.ANAReporting, MaxNamespaces: s.cfg.MaxNamespaces,
		Hosts: slices.Sorted(maps.Keys(s.hosts))}
	for _, a := range slices.Sorted(maps.Keys(s.ports)) {
		li := ListenerInfo{Addr: a, ANA: map[uint32]nvme.ANAState{}}
		for _, g := range groups {
			li.ANA[g] = s.ports[a].state(g)
		}
		info.Listeners = append(info.Listeners, li)
	}
	for _, id := range tab.ids {
		ns := tab.byID[id]
		info.Namespaces = append(info.Namespaces, NamespaceInfo{NSID: id, BdevName: ns.bdev.Name(),
			NGUID: ns.nguid, UUID: ns.uuid, ANAGroupID: ns.anaGroup})
	}
	return info
}
