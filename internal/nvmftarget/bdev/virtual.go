package bdev

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Null is a bdev that stores nothing: reads return zeros and writes are
// dropped, like SPDK's bdev_null. It measures the target's own overhead.
type Null struct {
	name      string
	blockSize int
	blocks    uint64
	uuid      [16]byte
}

// NewNull returns a null bdev of blocks blocks.
func NewNull(name string, blocks uint64, blockSize int, uuid [16]byte) (*Null, error) {
	if err := checkGeometry(blockSize, int64(blocks)*int64(blockSize)); err != nil {
		return nil, fmt.Errorf("null bdev %q: %w", name, err)
	}
	if uuid == ([16]byte{}) {
		uuid = NewUUID()
	}
	return &Null{name: name, blockSize: blockSize, blocks: blocks, uuid: uuid}, nil
}

func (n *Null) Name() string      { return n.name }
func (n *Null) BlockSize() int    { return n.blockSize }
func (n *Null) NumBlocks() uint64 { return n.blocks }
func (n *Null) UUID() [16]byte    { return n.uuid }
func (n *Null) Flush() error      { return nil }

// NonBlocking reports true: nothing ever waits.
func (n *Null) NonBlocking() bool { return true }

// ReadAt returns zeros.
func (n *Null) ReadAt(p []byte, off int64) (int, error) {
	if err := checkRange(n, off, int64(len(p))); err != nil {
		return 0, err
	}
	clear(p)
	return len(p), nil
}

// WriteAt drops p.
func (n *Null) WriteAt(p []byte, off int64) (int, error) {
	if err := checkRange(n, off, int64(len(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Latencies are a Delay bdev's added latencies (SPDK's bdev_delay): every
// I/O waits the average, and one in a hundred waits the p99 instead.
type Latencies struct {
	AvgRead, P99Read, AvgWrite, P99Write time.Duration
}

// Delay adds latency to a base bdev's I/O. Its latencies can change while
// I/O runs (bdev_delay_update_latency).
type Delay struct {
	Bdev // the base
	name string
	uuid [16]byte
	lat  atomic.Pointer[Latencies]
}

// NewDelay wraps base.
func NewDelay(name string, base Bdev, lat Latencies, uuid [16]byte) *Delay {
	if uuid == ([16]byte{}) {
		uuid = NewUUID()
	}
	d := &Delay{Bdev: base, name: name, uuid: uuid}
	d.lat.Store(&lat)
	return d
}

func (d *Delay) Name() string   { return d.name }
func (d *Delay) UUID() [16]byte { return d.uuid }

// Base is the wrapped bdev.
func (d *Delay) Base() Bdev { return d.Bdev }

// Latencies returns the current latencies.
func (d *Delay) Latencies() Latencies { return *d.lat.Load() }

// SetLatencies replaces the latencies for I/O that starts afterwards.
func (d *Delay) SetLatencies(l Latencies) { d.lat.Store(&l) }

// NonBlocking is false: the delay sleeps, so I/O must run on workers.
func (d *Delay) NonBlocking() bool { return false }

func (d *Delay) ReadAt(p []byte, off int64) (int, error) {
	l := d.lat.Load()
	sleepLatency(l.AvgRead, l.P99Read)
	return d.Bdev.ReadAt(p, off)
}

func (d *Delay) WriteAt(p []byte, off int64) (int, error) {
	l := d.lat.Load()
	sleepLatency(l.AvgWrite, l.P99Write)
	return d.Bdev.WriteAt(p, off)
}

func sleepLatency(avg, p99 time.Duration) {
	if p99 > 0 && rand.IntN(100) == 0 {
		time.Sleep(p99)
	} else if avg > 0 {
		time.Sleep(avg)
	}
}

// ErrInjected is the failure an Error bdev injects.
var ErrInjected = errors.New("bdev: injected I/O error")

// IOKind selects which I/O an injection applies to.
type IOKind uint8

// I/O kinds of an injection (SPDK's io_type names: read, write, unmap,
// flush, all).
const (
	IORead IOKind = 1 << iota
	IOWrite
	IOUnmap
	IOFlush
	IOAll = IORead | IOWrite | IOUnmap | IOFlush
)

// Failure is what an injection does to an I/O.
type Failure uint8

// Failures (SPDK's error_type names).
const (
	// FailIO completes the I/O with ErrInjected.
	FailIO Failure = iota + 1
	// FailPending never completes the I/O until the injection is cleared.
	FailPending
	// FailCorrupt flips bits of the data at CorruptOffset.
	FailCorrupt
	// FailNoMem delays the I/O briefly, as SPDK's retry after ENOMEM does.
	FailNoMem
)

// Injection describes errors to inject on the next Count I/Os of Kinds.
type Injection struct {
	Kinds         IOKind
	Failure       Failure
	Count         int
	CorruptOffset int
	CorruptValue  byte
}

// Error wraps a base bdev and injects failures (SPDK's bdev_error, named
// EE_<base>).
type Error struct {
	Bdev
	name string
	uuid [16]byte

	mu      sync.Mutex
	inj     []*Injection
	cleared chan struct{} // closed when pending I/O must return
}

// NewError wraps base.
func NewError(base Bdev, uuid [16]byte) *Error {
	if uuid == ([16]byte{}) {
		uuid = NewUUID()
	}
	return &Error{Bdev: base, name: "EE_" + base.Name(), uuid: uuid, cleared: make(chan struct{})}
}

func (e *Error) Name() string      { return e.name }
func (e *Error) UUID() [16]byte    { return e.uuid }
func (e *Error) Base() Bdev        { return e.Bdev }
func (e *Error) NonBlocking() bool { return false }

// Inject adds an injection; Count 0 clears every injection of its kinds and
// releases pending I/O.
func (e *Error) Inject(in Injection) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if in.Count == 0 {
		kept := e.inj[:0]
		for _, x := range e.inj {
			if x.Kinds&in.Kinds == 0 {
				kept = append(kept, x)
			}
		}
		e.inj = kept
		close(e.cleared)
		e.cleared = make(chan struct{})
		return
	}
	e.inj = append(e.inj, &in)
}

// Release frees any I/O held pending (when the bdev is deleted).
func (e *Error) Release() { e.Inject(Injection{Kinds: IOAll}) }

// take consumes one matching injection for an I/O of kind k.
func (e *Error) take(k IOKind) (Injection, <-chan struct{}, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, x := range e.inj {
		if x.Kinds&k != 0 {
			x.Count--
			if x.Count <= 0 {
				e.inj = append(e.inj[:i], e.inj[i+1:]...)
			}
			return *x, e.cleared, true
		}
	}
	return Injection{}, nil, false
}

// apply runs the injection for one I/O; true means the I/O must fail.
func (e *Error) apply(k IOKind, p []byte) (corrupt func(), fail bool) {
	in, cleared, ok := e.take(k)
	if !ok {
		return nil, false
	}
	switch in.Failure {
	case FailIO:
		return nil, true
	case FailPending:
		<-cleared
		return nil, true
	case FailNoMem:
		time.Sleep(time.Millisecond)
	case FailCorrupt:
		if in.CorruptOffset < len(p) {
			return func() { p[in.CorruptOffset] ^= max(in.CorruptValue, 1) }, false
		}
	}
	return nil, false
}

func (e *Error) ReadAt(p []byte, off int64) (int, error) {
	corrupt, fail := e.apply(IORead, p)
	if fail {
		return 0, fmt.Errorf("read %s at %d: %w", e.name, off, ErrInjected)
	}
	n, err := e.Bdev.ReadAt(p, off)
	if corrupt != nil && err == nil {
		corrupt()
	}
	return n, err
}

func (e *Error) WriteAt(p []byte, off int64) (int, error) {
	corrupt, fail := e.apply(IOWrite, p)
	if fail {
		return 0, fmt.Errorf("write %s at %d: %w", e.name, off, ErrInjected)
	}
	if corrupt != nil {
		corrupt() // the buffer is the target's own copy of the data
	}
	return e.Bdev.WriteAt(p, off)
}

func (e *Error) Flush() error {
	if _, fail := e.apply(IOFlush, nil); fail {
		return fmt.Errorf("flush %s: %w", e.name, ErrInjected)
	}
	return e.Bdev.Flush()
}

// Unmap passes through unless an unmap injection fails it.
func (e *Error) Unmap(off, n int64) error {
	if _, fail := e.apply(IOUnmap, nil); fail {
		return fmt.Errorf("unmap %s at %d: %w", e.name, off, ErrInjected)
	}
	if u, ok := e.Bdev.(Unmapper); ok {
		return u.Unmap(off, n)
	}
	return nil
}
