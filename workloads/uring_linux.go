package workloads

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// An io_uring instance driven with raw system calls (no cgo, no library):
// io_uring_setup(2) creates it and fills uringParams with the offsets of
// the fields inside two shared memory regions, mapped with mmap(2):
//
//	rings  (offset 0, IORING_FEAT_SINGLE_MMAP: SQ and CQ ring in one map)
//	       sq_off.head, .tail   u32  SQ consumer (kernel) / producer (us)
//	       sq_off.ring_mask     u32  entries-1
//	       sq_off.array         u32[entries]: SQE index per SQ slot
//	       cq_off.head, .tail   u32  CQ consumer (us) / producer (kernel)
//	       cq_off.ring_mask     u32
//	       cq_off.cqes          uringCQE[cq_entries]
//	sqes   (offset IORING_OFF_SQES) uringSQE[sq_entries]
//
// We fill an SQE, point the array slot at it, publish the new SQ tail with
// a store-release (Go atomics are sequentially consistent), and call
// io_uring_enter(2) to submit. The kernel posts a CQE per SQE; we read
// entries up to the CQ tail (load-acquire) and publish the new CQ head.
// Layouts are those of include/uapi/linux/io_uring.h (Linux 5.6+ for
// IORING_OP_READ/WRITE).

const (
	sysIOUringSetup = 425
	sysIOUringEnter = 426

	uringOffSQES        = 0x10000000
	uringFeatSingleMmap = 1 << 0
	uringEnterGetEvents = 1 << 0

	uringOpFsync     = 3
	uringOpFallocate = 17
	uringOpRead      = 22
	uringOpWrite     = 23

	uringFsyncDatasync = 1 << 0
)

// uringParams is struct io_uring_params.
type uringParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFD uint32
	resv                                                                   [3]uint32
	sqOff                                                                  struct {
		head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
		userAddr                                                        uint64
	}
	cqOff struct {
		head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
		userAddr                                                        uint64
	}
}

// uringSQE is struct io_uring_sqe (64 bytes).
type uringSQE struct {
	opcode, flags uint8
	ioprio        uint16
	fd            int32
	off, addr     uint64
	len, rwFlags  uint32
	userData      uint64
	bufIndex      uint16
	personality   uint16
	spliceFDIn    int32
	addr3, pad2   uint64
}

// uringCQE is struct io_uring_cqe (16 bytes).
type uringCQE struct {
	userData uint64
	res      int32
	flags    uint32
}

// uring is one ring serving one queue of a fileDevice. A single goroutine,
// locked to its OS thread, creates the ring, submits and waits: the
// kernel completes writes (and some reads) with task work queued to the
// thread that submitted them, so a waiter on another thread would stall
// until that thread next ran (measured: 4 KiB randwrite at QD32 fell to
// 0.4-0.6x fio's io_uring with a separate reaper). submit is safe for
// concurrent use.
type uring struct {
	fd, file int
	sub      chan *Op      // to the ring goroutine; closed by shutdown
	done     chan struct{} // closed when the ring goroutine exits

	// Owned by the ring goroutine.
	rings, sqes []byte
	sqTail      *uint32
	sqMask      uint32
	sqArray     []uint32
	sqeSlice    []uringSQE
	cqHead      *uint32
	cqTail      *uint32
	cqMask      uint32
	cqes        []uringCQE
	slots       []*Op // in-flight op per user_data
	free        []uint32
	// unsent counts SQEs published but not yet taken by the kernel: it
	// stops at an SQE it fails to prepare (an ioprio it refuses), and
	// those after it wait for the next io_uring_enter.
	unsent uint32
}

// Setup flags tried first (Linux 6.1+): completions' task work runs only
// when the one submitting thread waits, instead of interrupting it.
const (
	uringSetupSingleIssuer = 1 << 12
	uringSetupDeferTaskrun = 1 << 13
)

// newURing starts a ring of at least entries entries for I/O on file; at
// most entries-1 ops may be in flight.
func newURing(file, entries int) (*uring, error) {
	r := &uring{file: file, fd: -1, sub: make(chan *Op, entries), done: make(chan struct{})}
	setup := make(chan error, 1)
	go r.run(entries, setup)
	if err := <-setup; err != nil {
		return nil, err
	}
	return r, nil
}

// setup creates and maps the ring, on the calling (locked) thread.
func (r *uring) setup(entries int) error {
	var p uringParams
	p.flags = uringSetupSingleIssuer | uringSetupDeferTaskrun
	fd, _, errno := syscall.Syscall(sysIOUringSetup, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if errno == syscall.EINVAL { // older kernel: plain ring
		p = uringParams{}
		fd, _, errno = syscall.Syscall(sysIOUringSetup, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	}
	if errno != 0 {
		return fmt.Errorf("io_uring_setup: %w", errno)
	}
	r.fd = int(fd)
	if p.features&uringFeatSingleMmap == 0 {
		return errors.New("io_uring: kernel lacks IORING_FEAT_SINGLE_MMAP (Linux 5.4+)")
	}
	size := max(int(p.sqOff.array)+int(p.sqEntries)*4, int(p.cqOff.cqes)+int(p.cqEntries)*int(unsafe.Sizeof(uringCQE{})))
	var err error
	if r.rings, err = syscall.Mmap(r.fd, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_POPULATE); err != nil {
		return fmt.Errorf("io_uring: mmap rings: %w", err)
	}
	sqeBytes := int(p.sqEntries) * int(unsafe.Sizeof(uringSQE{}))
	if r.sqes, err = syscall.Mmap(r.fd, uringOffSQES, sqeBytes, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_POPULATE); err != nil {
		return fmt.Errorf("io_uring: mmap SQEs: %w", err)
	}
	u32 := func(off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&r.rings[off])) }
	r.sqTail, r.sqMask = u32(p.sqOff.tail), *u32(p.sqOff.ringMask)
	r.sqArray = unsafe.Slice(u32(p.sqOff.array), p.sqEntries)
	r.sqeSlice = unsafe.Slice((*uringSQE)(unsafe.Pointer(&r.sqes[0])), p.sqEntries)
	r.cqHead, r.cqTail, r.cqMask = u32(p.cqOff.head), u32(p.cqOff.tail), *u32(p.cqOff.ringMask)
	r.cqes = unsafe.Slice((*uringCQE)(unsafe.Pointer(&r.rings[p.cqOff.cqes])), p.cqEntries)
	r.slots = make([]*Op, p.sqEntries)
	r.free = make([]uint32, len(r.slots))
	for i := range r.free {
		r.free[i] = uint32(len(r.free) - 1 - i)
	}
	return nil
}

// submit hands op to the ring goroutine; it never blocks while at most
// entries-1 ops are in flight, as the engine guarantees per queue.
func (r *uring) submit(op *Op) { r.sub <- op }

// run is the ring goroutine: it takes new ops, submits them, waits for
// completions only while nothing new came, and exits once shutdown closed
// sub and nothing is in flight.
func (r *uring) run(entries int, setup chan<- error) {
	runtime.LockOSThread() // never unlocked: the thread exits with the ring
	defer close(r.done)
	defer r.close()
	if err := r.setup(entries); err != nil {
		setup <- err
		return
	}
	setup <- nil
	sub := r.sub
	for sub != nil || r.inflight() > 0 {
		n := 0
		if r.inflight() == 0 {
			op, ok := <-sub // idle: park until there is work
			if !ok {
				return
			}
			r.push(op)
			n++
		}
		var more bool
		n, more = r.takeMore(sub, n)
		if !more {
			sub = nil
		}
		wait := uint32(0)
		if n == 0 {
			wait = 1
		}
		r.unsent += uint32(n)
		if r.unsent > 0 {
			wait = 0 // a CQE (of a failed SQE) may be the only progress
		}
		sent, err := r.enter(r.unsent, wait, uringEnterGetEvents)
		if err != nil {
			r.failAll(err, sub)
			return
		}
		r.unsent -= min(sent, r.unsent)
		r.reap()
	}
}

// takeMore pushes the ops already waiting in sub (after n pushed) while SQ
// slots are free; more is false once sub is closed.
func (r *uring) takeMore(sub <-chan *Op, n int) (int, bool) {
	for len(r.free) > 0 {
		select {
		case op, ok := <-sub:
			if !ok {
				return n, false
			}
			r.push(op)
			n++
		default:
			return n, true
		}
	}
	return n, true
}

func (r *uring) inflight() int { return len(r.slots) - len(r.free) }

// push writes op's SQE at the SQ tail and publishes it.
func (r *uring) push(op *Op) {
	slot := r.free[len(r.free)-1]
	r.free = r.free[:len(r.free)-1]
	r.slots[slot] = op
	tail := *r.sqTail // only we write it
	i := tail & r.sqMask
	r.sqeSlice[i] = sqeFor(op, r.file, slot)
	r.sqArray[i] = i
	atomic.StoreUint32(r.sqTail, tail+1)
}

// sqeFor builds op's SQE. Fallocate carries the length in addr and the
// mode in len, as io_uring_prep_fallocate does.
func sqeFor(op *Op, file int, slot uint32) uringSQE {
	sqe := uringSQE{fd: int32(file), off: uint64(op.Offset), userData: uint64(slot), ioprio: op.Prio}
	switch op.Kind {
	case OpRead, OpWrite:
		sqe.opcode = uringOpRead
		if op.Kind == OpWrite {
			sqe.opcode = uringOpWrite
		}
		sqe.addr, sqe.len = uint64(uintptr(unsafe.Pointer(unsafe.SliceData(op.Buf)))), uint32(len(op.Buf))
	case OpTrim:
		sqe.opcode, sqe.addr, sqe.len = uringOpFallocate, uint64(len(op.Buf)), fallocPunch
	case OpFlush, OpFlushData:
		sqe.opcode, sqe.off = uringOpFsync, 0
		if op.Kind == OpFlushData {
			sqe.rwFlags = uringFsyncDatasync
		}
	}
	return sqe
}

// enter is io_uring_enter(2), retried on EINTR; it returns how many SQEs
// the kernel took.
func (r *uring) enter(submit, wait, flags uint32) (uint32, error) {
	for tries := 0; ; tries++ {
		n, _, errno := syscall.Syscall6(sysIOUringEnter, uintptr(r.fd), uintptr(submit), uintptr(wait), uintptr(flags), 0, 0)
		switch {
		case errno == 0:
			return uint32(n), nil
		case errno == syscall.EINTR && tries < 100:
			continue
		}
		return 0, fmt.Errorf("io_uring_enter: %w", errno)
	}
}

// reap completes the ops whose CQEs arrived.
func (r *uring) reap() {
	head, tail := *r.cqHead, atomic.LoadUint32(r.cqTail)
	for ; head != tail; head++ {
		cqe := r.cqes[head&r.cqMask]
		op := r.slots[cqe.userData]
		r.slots[cqe.userData] = nil
		r.free = append(r.free, uint32(cqe.userData))
		r.complete(op, cqe.res)
	}
	atomic.StoreUint32(r.cqHead, head)
}

// complete finishes op with the CQE result res: a negative result is the
// errno, a short transfer (past the end of the file) an error, as pread
// reports it.
func (r *uring) complete(op *Op, res int32) {
	switch name := op.Kind.String(); {
	case res < 0:
		op.Err = fmt.Errorf("io_uring %s at %d: %w", name, op.Offset, syscall.Errno(-res))
	case (op.Kind == OpRead || op.Kind == OpWrite) && int(res) < len(op.Buf):
		op.Err = fmt.Errorf("io_uring %s at %d: %d of %d bytes: %w", name, op.Offset, res, len(op.Buf), io.ErrUnexpectedEOF)
	}
	op.Done(op)
}

// failAll completes, with err, the ops in flight of a ring that broke and
// every op submitted until shutdown, so the engine never waits for them.
func (r *uring) failAll(err error, sub <-chan *Op) {
	err = fmt.Errorf("io_uring: %w", err)
	for i, op := range r.slots {
		if op != nil {
			r.slots[i] = nil
			op.Err = err
			op.Done(op)
		}
	}
	if sub == nil { // already closed by shutdown
		return
	}
	for op := range sub {
		op.Err = err
		op.Done(op)
	}
}

// shutdown stops the ring goroutine once the ops in flight completed and
// waits for it. Call it once, after the last submit.
func (r *uring) shutdown() {
	close(r.sub)
	<-r.done
}

// close unmaps the rings and closes the ring's descriptor.
func (r *uring) close() {
	if r.sqes != nil {
		_ = syscall.Munmap(r.sqes)
	}
	if r.rings != nil {
		_ = syscall.Munmap(r.rings)
	}
	if r.fd >= 0 {
		_ = syscall.Close(r.fd)
	}
}
