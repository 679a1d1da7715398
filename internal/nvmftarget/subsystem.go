package nvmftarget

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/bdev"
)

// SubsystemConfig describes an NVM subsystem (nvmf_create_subsystem).
type SubsystemConfig struct {
	NQN string
	// Serial (20 ASCII bytes at most) and Model (40) appear in Identify
	// Controller; empty picks defaults.
	Serial, Model string
	// AllowAnyHost lets every host NQN connect; otherwise only Hosts may.
	AllowAnyHost bool
	Hosts        []string
	// ANAReporting enables ANA states per listener, the ANA log page and
	// ANA-change events (CMIC.ANARS). Without it every path is optimized.
	ANAReporting bool
	// MaxNamespaces bounds NSIDs (Identify NN); 0 means 32.
	MaxNamespaces uint32
}

func (c *SubsystemConfig) validate() error {
	switch {
	case c.NQN == "" || len(c.NQN) > nvme.MaxNQNLength:
		return fmt.Errorf("%w: subsystem NQN %q must be 1..%d bytes", ErrInvalidArgument, c.NQN, nvme.MaxNQNLength)
	case c.NQN == nvme.DiscoveryNQN || c.NQN == "discovery":
		return fmt.Errorf("%w: %s is the discovery subsystem", ErrExists, c.NQN)
	case len(c.Serial) > 20 || len(c.Model) > 40:
		return fmt.Errorf("%w: serial %q (max 20) or model %q (max 40) too long", ErrInvalidArgument, c.Serial, c.Model)
	}
	if c.MaxNamespaces == 0 {
		c.MaxNamespaces = 32
	}
	if c.Serial == "" {
		c.Serial = "00000000000000000000"
	}
	if c.Model == "" {
		c.Model = "nvmf-chaos embedded target"
	}
	return nil
}

// NamespaceConfig describes a namespace (nvmf_subsystem_add_ns).
type NamespaceConfig struct {
	// NSID 0 picks the lowest free one.
	NSID uint32
	Bdev bdev.Bdev
	// NGUID and UUID identify the namespace to multipath hosts. Zero values
	// derive from the bdev UUID, or from the subsystem NQN and NSID when the
	// bdev has none, so two targets exporting one file agree.
	NGUID, UUID [16]byte
	// ANAGroupID 0 means the NSID.
	ANAGroupID uint32
}

// namespace is immutable once published.
type namespace struct {
	id          uint32
	bdev        bdev.Bdev
	inline      bool
	blockShift  uint8
	nguid, uuid [16]byte
	anaGroup    uint32
}

// nsTable is an immutable snapshot the I/O path reads without locks.
type nsTable struct {
	byID map[uint32]*namespace
	ids  []uint32 // ascending
}

// Subsystem is an NVM subsystem (or the discovery subsystem). Its methods
// are safe for concurrent use.
type Subsystem struct {
	t         *Target
	cfg       SubsystemConfig
	discovery bool
	ns        atomic.Pointer[nsTable]

	mu         sync.Mutex
	allowAny   bool
	hosts      map[string]bool
	ports      map[string]*port // by listener address
	ctrls      map[uint16]*controller
	nextCntlid uint16
	anaChange  uint64
}

func newSubsystem(t *Target, cfg SubsystemConfig, discovery bool) *Subsystem {
	s := &Subsystem{t: t, cfg: cfg, discovery: discovery, allowAny: cfg.AllowAnyHost,
		hosts: map[string]bool{}, ports: map[string]*port{}, ctrls: map[uint16]*controller{}, nextCntlid: 1}
	for _, h := range cfg.Hosts {
		s.hosts[h] = true
	}
	s.ns.Store(&nsTable{byID: map[uint32]*namespace{}})
	return s
}

// NQN is the subsystem's NQN.
func (s *Subsystem) NQN() string { return s.cfg.NQN }

// AddHost allows a host NQN to connect. Adding a present host is an error.
func (s *Subsystem) AddHost(hostNQN string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hosts[hostNQN] {
		return fmt.Errorf("host %s on %s: %w", hostNQN, s.cfg.NQN, ErrExists)
	}
	s.hosts[hostNQN] = true
	return nil
}

// RemoveHost forbids a host NQN to connect and disconnects its controllers.
func (s *Subsystem) RemoveHost(hostNQN string) error {
	s.mu.Lock()
	if !s.hosts[hostNQN] {
		s.mu.Unlock()
		return fmt.Errorf("host %s on %s: %w", hostNQN, s.cfg.NQN, ErrNotFound)
	}
	delete(s.hosts, hostNQN)
	allowAny := s.allowAny
	s.mu.Unlock()
	if !allowAny {
		s.teardownControllers(func(c *controller) bool { return c.hostNQN == hostNQN }, "host removed")
	}
	return nil
}

// SetAllowAnyHost changes whether any host may connect; existing
// controllers stay connected.
func (s *Subsystem) SetAllowAnyHost(allow bool) {
	s.mu.Lock()
	s.allowAny = allow
	s.mu.Unlock()
}

func (s *Subsystem) hostAllowed(hostNQN string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.allowAny || s.hosts[hostNQN]
}

// AddNamespace attaches a bdev as a namespace and returns its NSID.
// Controllers with namespace-attribute events enabled are notified.
func (s *Subsystem) AddNamespace(cfg NamespaceConfig) (uint32, error) {
	if s.discovery {
		return 0, fmt.Errorf("%w: the discovery subsystem has no namespaces", ErrInvalidArgument)
	}
	if cfg.Bdev == nil {
		return 0, fmt.Errorf("%w: namespace without a bdev", ErrInvalidArgument)
	}
	s.mu.Lock()
	old := s.ns.Load()
	nsid := cfg.NSID
	if nsid == 0 {
		for nsid = 1; old.byID[nsid] != nil; nsid++ {
		}
	}
	if nsid > s.cfg.MaxNamespaces || old.byID[nsid] != nil {
		s.mu.Unlock()
		return 0, fmt.Errorf("namespace %d on %s: %w (max %d)", nsid, s.cfg.NQN, ErrExists, s.cfg.MaxNamespaces)
	}
	ns := s.newNamespace(nsid, cfg)
	next := &nsTable{byID: make(map[uint32]*namespace, len(old.byID)+1), ids: append(slices.Clone(old.ids), nsid)}
	for id, n := range old.byID {
		next.byID[id] = n
	}
	next.byID[nsid] = ns
	sort.Slice(next.ids, func(i, j int) bool { return next.ids[i] < next.ids[j] })
	s.ns.Store(next)
	s.mu.Unlock()
	s.notify(nsAttributeEvent, nvme.AsyncConfigNSAttribute, nil)
	return nsid, nil
}

func (s *Subsystem) newNamespace(nsid uint32, cfg NamespaceConfig) *namespace {
	ns := &namespace{id: nsid, bdev: cfg.Bdev, inline: bdev.IsNonBlocking(cfg.Bdev),
		nguid: cfg.NGUID, uuid: cfg.UUID, anaGroup: cfg.ANAGroupID}
	for 1<<ns.blockShift < cfg.Bdev.BlockSize() {
		ns.blockShift++
	}
	if ns.anaGroup == 0 {
		ns.anaGroup = nsid
	}
	if ns.uuid == ([16]byte{}) {
		ns.uuid = cfg.Bdev.UUID()
	}
	if ns.uuid == ([16]byte{}) {
		var id [4]byte
		binary.BigEndian.PutUint32(id[:], nsid)
		sum := sha256.Sum256(append([]byte(s.cfg.NQN+"\x00"), id[:]...))
		copy(ns.uuid[:], sum[:])
		ns.uuid[6] = ns.uuid[6]&0x0F | 0x50
		ns.uuid[8] = ns.uuid[8]&0x3F | 0x80
	}
	if ns.nguid == ([16]byte{}) {
		ns.nguid = ns.uuid
	}
	return ns
}

// RemoveNamespace detaches a namespace; later I/O to it fails with Invalid
// Namespace. The bdev is not closed.
func (s *Subsystem) RemoveNamespace(nsid uint32) error {
	s.mu.Lock()
	old := s.ns.Load()
	if old.byID[nsid] == nil {
		s.mu.Unlock()
		return fmt.Errorf("namespace %d on %s: %w", nsid, s.cfg.NQN, ErrNotFound)
	}
	next := &nsTable{byID: make(map[uint32]*namespace, len(old.byID)), ids: slices.DeleteFunc(slices.Clone(old.ids), func(id uint32) bool { return id == nsid })}
	for id, n := range old.byID {
		if id != nsid {
			next.byID[id] = n
		}
	}
	s.ns.Store(next)
	s.mu.Unlock()
	s.notify(nsAttributeEvent, nvme.AsyncConfigNSAttribute, nil)
	return nil
}

// anaGroups returns the sorted ANA group IDs that hold namespaces, with
// their NSIDs.
func (s *Subsystem) anaGroups() ([]uint32, map[uint32][]uint32) {
	tab := s.ns.Load()
	members := map[uint32][]uint32{}
	var groups []uint32
	for _, id := range tab.ids {
		g := tab.byID[id].anaGroup
		if members[g] == nil {
			groups = append(groups, g)
		}
		members[g] = append(members[g], id)
	}
	slices.Sort(groups)
	return groups, members
}

// addController allocates a CNTLID and registers c.
func (s *Subsystem) addController(c *controller) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range 0xFFEF {
		id := s.nextCntlid
		s.nextCntlid++
		if s.nextCntlid > 0xFFEF {
			s.nextCntlid = 1
		}
		if s.ctrls[id] == nil {
			c.id = id
			s.ctrls[id] = c
			return true
		}
	}
	return false
}

func (s *Subsystem) controller(id uint16) *controller {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctrls[id]
}

func (s *Subsystem) removeController(c *controller) {
	s.mu.Lock()
	if s.ctrls[c.id] == c {
		delete(s.ctrls, c.id)
	}
	s.mu.Unlock()
}

// controllers returns the controllers that match (nil matches all).
func (s *Subsystem) controllers(match func(*controller) bool) []*controller {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*controller
	for _, c := range s.ctrls {
		if match == nil || match(c) {
			out = append(out, c)
		}
	}
	return out
}

// teardownControllers disconnects the matching controllers and all their queues.
func (s *Subsystem) teardownControllers(match func(*controller) bool, why string) {
	for _, c := range s.controllers(match) {
		c.teardown(why)
	}
}

// notify raises an asynchronous event on the matching controllers that
// enabled it in their Async Event Configuration.
func (s *Subsystem) notify(event uint32, aecBit uint32, match func(*controller) bool) {
	for _, c := range s.controllers(match) {
		c.raiseEvent(event, aecBit)
	}
}
