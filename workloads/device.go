package workloads

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// OpKind is the kind of an I/O operation.
type OpKind uint8

const (
	// OpRead reads len(Buf) bytes at Offset into Buf.
	OpRead OpKind = iota
	// OpWrite writes Buf at Offset.
	OpWrite
	// OpTrim deallocates len(Buf) bytes at Offset (NVMe Dataset Management
	// deallocate, a punched hole in a file); the Device never reads Buf.
	OpTrim
	// OpFlush commits every write completed before it to stable storage,
	// metadata included (NVMe Flush, fsync(2)); Offset and Buf are unused.
	OpFlush
	// OpFlushData commits the data of every write completed before it
	// (fdatasync(2)); where data and metadata are not told apart, as in
	// NVMe, it is OpFlush.
	OpFlushData
)

// flush reports whether the op commits earlier writes rather than move data.
func (k OpKind) flush() bool { return k == OpFlush || k == OpFlushData }

// String returns the fio name of the direction.
func (k OpKind) String() string {
	switch k {
	case OpRead:
		return "read"
	case OpWrite:
		return "write"
	case OpTrim:
		return "trim"
	case OpFlush:
		return "sync"
	case OpFlushData:
		return "datasync"
	}
	return fmt.Sprintf("opkind(%d)", uint8(k))
}

// Op is one asynchronous I/O. The engine owns every Op and its buffer and
// reuses them, so a Device must not touch an Op after calling Done.
type Op struct {
	// Kind is the operation.
	Kind OpKind
	// Offset is the byte offset on the device, a multiple of BlockSize.
	Offset int64
	// Buf is the data; its length, a multiple of BlockSize, is the transfer
	// size. The engine aligns it to 4096 bytes so O_DIRECT can use it as is.
	Buf []byte
	// Queue selects the device queue, in [0, Queues()).
	Queue int
	// Prio is the op's Linux I/O priority (class << 13 | hint << 3 |
	// level; 0: none). Only a prioDevice is given ops that carry one.
	Prio uint16
	// Err is set by the Device before Done; nil means success.
	Err error
	// Done is called by the Device exactly once per Submit, from any
	// goroutine, possibly before Submit returns.
	Done func(*Op)

	// Engine-private: set and read only by the engine.
	submitNs   int64 // run-clock submit time
	completeNs int64 // run-clock completion time, taken in Done
	seq        uint64
	snap       []blockSnap // verify: register state of each unit when a read was submitted
	purpose    opPurpose
}

// opPurpose says why the engine issued an op; only workload ops count in
// the job's statistics.
type opPurpose uint8

const (
	forWorkload opPurpose = iota
	forBacklog            // verify_backlog read: checked as during the run
	forFinal              // final verification pass
	forClose              // fsync_on_close's sync at close, uncounted as in fio
)

// Device is a block target the engine drives. Submit never waits for the
// I/O: the result arrives through op.Done. Submit may be called concurrently
// by several workers, and several ops may be outstanding on each queue.
type Device interface {
	// Submit starts op. It calls op.Done exactly once, possibly before
	// returning; failures are reported in op.Err, never by panicking.
	Submit(op *Op)
	// BlockSize is the logical block size in bytes.
	BlockSize() int
	// Blocks is the capacity in logical blocks.
	Blocks() int64
	// Queues is the number of independent submission queues (at least 1);
	// the engine spreads its workers over them.
	Queues() int
	// Close releases the device after every submitted op has completed.
	// Calling it twice is harmless.
	Close() error
}

// BatchDevice is a Device that can take several ops before sending them,
// so that they go out in one system call. The engine holds every op it
// submits in a row and flushes before it waits for a completion.
type BatchDevice interface {
	Device
	// Hold starts op like Submit, except that it may not be sent before
	// Flush(op.Queue) or a later Submit on that queue.
	Hold(op *Op)
	// Flush sends what Hold kept back on queue, on the caller's goroutine.
	Flush(queue int)
}

// PollDevice is a Device whose queues the goroutine submitting on them can
// drive itself: it queues ops, then sends them and collects completions in
// one system call, and their Done runs on its own goroutine. No other
// goroutine stands between it and the kernel, so no hand-off (and no
// wake-up of a parked thread) is paid per I/O: the file backend's
// io_uring, as fio drives it.
type PollDevice interface {
	Device
	// Drive gives the calling goroutine sole use of queue until it calls
	// Release. The goroutine must stay locked to its OS thread
	// (runtime.LockOSThread) meanwhile. ok is false when the queue cannot
	// be driven (taken, or not supported here): then Submit serves.
	Drive(queue int) (d QueueDriver, ok bool)
}

// QueueDriver is a queue driven by one goroutine (PollDevice.Drive).
type QueueDriver interface {
	// Hold queues op; it leaves at the latest with the next Poll.
	Hold(op *Op)
	// Poll sends the held ops and completes the finished ones, calling
	// their Done; with a wait other than 0 it first waits, up to wait (or
	// without limit when negative), for one to finish when none has.
	Poll(wait time.Duration)
	// Release waits for the ops in flight and ends the drive.
	Release()
}

// CallerPolledDevice is a BatchDevice some of whose queues deliver
// completions only while polled (asked for by OpenOptions.Poll): a worker
// waiting for ops of such a queue calls Poll instead of sleeping, so that
// completion, resubmission and sending run in one loop on its goroutine.
// Unlike a PollDevice's driven queue, such a queue may be shared: its
// pollers take turns, and it needs no locked OS thread (nvme+tcp's polled
// queues, whose waits park in Go's netpoller).
type CallerPolledDevice interface {
	BatchDevice
	// Polled reports whether queue's completions arrive only through Poll.
	Polled(queue int) bool
	// Poll completes the ops of queue that have arrived, calling their
	// Done on the caller's goroutine. It waits until ready reports true,
	// some op of the queue completed, or deadline (zero: none) passed.
	// When the queue has failed, its ops have all been completed with
	// errors and Poll returns at once.
	Poll(queue int, ready func() bool, deadline time.Time)
}

// Noter is implemented by Devices that want to tell the user how they run
// (for instance that O_DIRECT was not available); the notes go to the Result.
type Noter interface {
	Notes() []string
}

// OpenOptions are the engine's hints to a backend.
type OpenOptions struct {
	// Queues is how many queues the workers would like (one each).
	Queues int
	// QueueDepth is the largest number of ops a worker keeps outstanding.
	QueueDepth int
	// MinSize is the number of bytes the jobs address (offset+size); the
	// file backend creates or extends a regular file to it.
	MinSize int64
	// Direct asks for O_DIRECT where that applies (fio's direct=1).
	Direct bool
	// Poll says the caller polls every queue of a CallerPolledDevice it
	// waits on, as the engine does; a device may then deliver completions
	// only then.
	Poll bool
}

// Opener opens the Device behind a target URL of one scheme.
type Opener func(ctx context.Context, u *url.URL, opts OpenOptions) (Device, error)

// ErrNotBuiltIn is returned for a known target scheme whose backend is not
// part of this build.
var ErrNotBuiltIn = errors.New("backend not built in")

// ErrUnknownScheme is returned for a target URL whose scheme no backend serves.
var ErrUnknownScheme = errors.New("unknown target scheme")

var (
	registryMu sync.RWMutex
	// registry dispatches target URLs by scheme. nvme+tcp is claimed here so
	// that until its backend registers, users get a clear message instead
	// of "unknown scheme".
	registry = map[string]Opener{
		"nvme+tcp": func(context.Context, *url.URL, OpenOptions) (Device, error) {
			return nil, fmt.Errorf("nvme+tcp (the Go NVMe/TCP host): %w", ErrNotBuiltIn)
		},
		"null": openNull,
		"file": openFile,
	}
)

// Register makes scheme (as "nvme+tcp" in nvme+tcp://HOST:PORT/NQN) open
// through open, replacing any earlier opener. Backends in other packages call
// it from init; the engine never needs to know them.
func Register(scheme string, open Opener) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry[strings.ToLower(scheme)] = open
}

// Schemes lists the registered target schemes, sorted.
func Schemes() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	s := make([]string, 0, len(registry))
	for k := range registry {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// Open parses a target URL (nvme+tcp://HOST:PORT/NQN?nsid=N, file:///path,
// null://SIZE) and opens its Device. The caller closes it.
func Open(ctx context.Context, target string, opts OpenOptions) (Device, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", target, err)
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("target %q: no scheme (want one of %s)", target, strings.Join(Schemes(), ", "))
	}
	registryMu.RLock()
	open, ok := registry[strings.ToLower(u.Scheme)]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("target %q: %w %q (want one of %s)", target, ErrUnknownScheme, u.Scheme, strings.Join(Schemes(), ", "))
	}
	d, err := open(ctx, u, opts)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", target, err)
	}
	return d, nil
}
