package bdev

import (
	"errors"
	"fmt"
	"sync"
)

// Lvstore errors.
var (
	ErrNoSpace = errors.New("bdev: lvstore has no free clusters")
	ErrBusy    = errors.New("bdev: in use")
)

// unallocated marks an lvol cluster with no backing cluster yet.
const unallocated = -1

// Lvstore carves logical volumes out of a base bdev in clusters, the way
// SPDK's blobstore-backed lvstore does: thick lvols take their clusters at
// creation, thin ones on first write. Its metadata lives in memory only:
// the embedded target's lvstores do not survive a restart and cannot be
// shared by two processes (share a file bdev for that).
type Lvstore struct {
	name        string
	uuid        [16]byte
	base        Bdev
	clusterSize int64

	mu    sync.Mutex
	free  []int64 // free base cluster indexes, a stack
	lvols map[string]*Lvol
}

// NewLvstore formats base as an lvstore with clusters of clusterSize bytes.
func NewLvstore(name string, base Bdev, clusterSize int64) (*Lvstore, error) {
	if clusterSize <= 0 || clusterSize%int64(base.BlockSize()) != 0 {
		return nil, fmt.Errorf("lvstore %q: cluster size %d is not a multiple of the block size %d", name, clusterSize, base.BlockSize())
	}
	n := Size(base) / clusterSize
	if n == 0 {
		return nil, fmt.Errorf("lvstore %q: base %s is smaller than one cluster", name, base.Name())
	}
	s := &Lvstore{name: name, uuid: NewUUID(), base: base, clusterSize: clusterSize, lvols: map[string]*Lvol{}}
	for i := n - 1; i >= 0; i-- {
		s.free = append(s.free, i)
	}
	return s, nil
}

func (s *Lvstore) Name() string         { return s.name }
func (s *Lvstore) UUID() [16]byte       { return s.uuid }
func (s *Lvstore) Base() Bdev           { return s.base }
func (s *Lvstore) ClusterSize() int64   { return s.clusterSize }
func (s *Lvstore) TotalClusters() int64 { return Size(s.base) / s.clusterSize }

// FreeClusters is how many clusters no lvol holds.
func (s *Lvstore) FreeClusters() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.free))
}

// Lvols returns the store's lvols.
func (s *Lvstore) Lvols() []*Lvol {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Lvol, 0, len(s.lvols))
	for _, l := range s.lvols {
		out = append(out, l)
	}
	return out
}

// CreateLvol makes an lvol of size bytes (rounded up to whole clusters).
func (s *Lvstore) CreateLvol(name string, size int64, thin bool) (*Lvol, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lvols[name] != nil {
		return nil, fmt.Errorf("lvol %s/%s: %w", s.name, name, ErrExists)
	}
	n := (size + s.clusterSize - 1) / s.clusterSize
	if n == 0 {
		return nil, fmt.Errorf("lvol %s/%s: size 0", s.name, name)
	}
	l := &Lvol{store: s, name: name, uuid: NewUUID(), thin: thin}
	l.grow(n)
	if !thin {
		if int64(len(s.free)) < n {
			return nil, fmt.Errorf("lvol %s/%s of %d clusters: %w", s.name, name, n, ErrNoSpace)
		}
		for i := range l.clusters {
			l.clusters[i] = s.allocLocked()
		}
	}
	s.lvols[name] = l
	return l, nil
}

// ErrExists reports a duplicate name.
var ErrExists = errors.New("bdev: already exists")

func (s *Lvstore) allocLocked() int64 {
	c := s.free[len(s.free)-1]
	s.free = s.free[:len(s.free)-1]
	return c
}

// DeleteLvol frees an lvol's clusters.
func (s *Lvstore) DeleteLvol(l *Lvol) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range l.clusters {
		if c != unallocated {
			s.free = append(s.free, c)
		}
	}
	l.clusters = nil
	delete(s.lvols, l.name)
}

// Lvol is a logical volume in an Lvstore; it is a Bdev with the base's
// block size.
type Lvol struct {
	store    *Lvstore
	name     string
	uuid     [16]byte
	thin     bool
	clusters []int64 // guarded by store.mu
	blocks   uint64  // guarded by store.mu
}

func (l *Lvol) Name() string      { return l.store.name + "/" + l.name }
func (l *Lvol) LvolName() string  { return l.name }
func (l *Lvol) Store() *Lvstore   { return l.store }
func (l *Lvol) Thin() bool        { return l.thin }
func (l *Lvol) BlockSize() int    { return l.store.base.BlockSize() }
func (l *Lvol) UUID() [16]byte    { return l.uuid }
func (l *Lvol) Flush() error      { return l.store.base.Flush() }
func (l *Lvol) NonBlocking() bool { return IsNonBlocking(l.store.base) }

func (l *Lvol) NumBlocks() uint64 {
	l.store.mu.Lock()
	defer l.store.mu.Unlock()
	return l.blocks
}

// AllocatedClusters counts the clusters the lvol holds.
func (l *Lvol) AllocatedClusters() int64 {
	l.store.mu.Lock()
	defer l.store.mu.Unlock()
	var n int64
	for _, c := range l.clusters {
		if c != unallocated {
			n++
		}
	}
	return n
}

func (l *Lvol) grow(n int64) {
	for int64(len(l.clusters)) < n {
		l.clusters = append(l.clusters, unallocated)
	}
	l.blocks = uint64(n*l.store.clusterSize) / uint64(l.store.base.BlockSize())
}

// Resize grows or shrinks the lvol to size bytes (whole clusters).
func (l *Lvol) Resize(size int64) error {
	s := l.store
	s.mu.Lock()
	defer s.mu.Unlock()
	n := (size + s.clusterSize - 1) / s.clusterSize
	for int64(len(l.clusters)) > n {
		if c := l.clusters[len(l.clusters)-1]; c != unallocated {
			s.free = append(s.free, c)
		}
		l.clusters = l.clusters[:len(l.clusters)-1]
	}
	old := int64(len(l.clusters))
	if !l.thin && int64(len(s.free)) < n-old {
		return fmt.Errorf("resize %s to %d clusters: %w", l.Name(), n, ErrNoSpace)
	}
	l.grow(n)
	if !l.thin {
		for i := old; i < n; i++ {
			l.clusters[i] = s.allocLocked()
		}
	}
	return nil
}

// cluster returns the base cluster backing lvol cluster i, allocating (and
// zeroing) one for a write to a thin lvol; -1 means read zeros.
func (l *Lvol) cluster(i int64, write bool) (int64, error) {
	s := l.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if i >= int64(len(l.clusters)) {
		return 0, ErrOutOfRange
	}
	c := l.clusters[i]
	if c != unallocated || !write {
		return c, nil
	}
	if len(s.free) == 0 {
		return 0, fmt.Errorf("write to %s: %w", l.Name(), ErrNoSpace)
	}
	c = s.allocLocked()
	// A reused cluster holds a deleted lvol's data; thin reads must see zeros.
	if err := WriteZeroes(s.base, c*s.clusterSize, s.clusterSize); err != nil {
		s.free = append(s.free, c)
		return 0, err
	}
	l.clusters[i] = c
	return c, nil
}

// each splits [off, off+len(p)) at cluster boundaries.
func (l *Lvol) each(p []byte, off int64, write bool, fn func(q []byte, baseOff int64) error) error {
	if err := checkRange(l, off, int64(len(p))); err != nil {
		return err
	}
	cs := l.store.clusterSize
	for len(p) > 0 {
		i, within := off/cs, off%cs
		n := min(int64(len(p)), cs-within)
		c, err := l.cluster(i, write)
		if err != nil {
			return err
		}
		if c == unallocated {
			clear(p[:n])
		} else if err := fn(p[:n], c*cs+within); err != nil {
			return err
		}
		p, off = p[n:], off+n
	}
	return nil
}

func (l *Lvol) ReadAt(p []byte, off int64) (int, error) {
	err := l.each(p, off, false, func(q []byte, bo int64) error { _, err := l.store.base.ReadAt(q, bo); return err })
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

func (l *Lvol) WriteAt(p []byte, off int64) (int, error) {
	err := l.each(p, off, true, func(q []byte, bo int64) error { _, err := l.store.base.WriteAt(q, bo); return err })
	if err != nil {
		return 0, err
	}
	return len(p), nil
}
