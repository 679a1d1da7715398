package workloads

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// An io_uring instance driven with raw system calls (no cgo, no library).
// io_uring_setup(2) creates it and fills uringParams with the offsets of
// the fields inside two shared memory regions, which we map with mmap(2):
//
//	rings  (offset 0; IORING_FEAT_SINGLE_MMAP: SQ and CQ ring in one map)
//	       sq_off.head, .tail   u32  SQ consumer (kernel) / producer (us)
//	       sq_off.ring_mask     u32  sq_entries-1
//	       sq_off.array         u32[sq_entries]: SQE index per SQ slot
//	       cq_off.head, .tail   u32  CQ consumer (us) / producer (kernel)
//	       cq_off.ring_mask     u32  cq_entries-1
//	       cq_off.cqes          uringCQE[cq_entries] (16 bytes each)
//	sqes   (offset IORING_OFF_SQES) uringSQE[sq_entries] (64 bytes each)
//
// To submit we fill the SQE at index tail&mask, point the array slot of
// the same index at it (an identity map, as liburing keeps it), publish
// tail+1 with a store-release (Go's atomics are sequentially consistent)
// and call io_uring_enter(2) with the number of new SQEs. The kernel posts
// one CQE per SQE, carrying our user_data (the op's slot in slots) and
// the result (bytes, or -errno); we read CQEs from head up to the tail
// (load-acquire) and publish the new head. Layouts are those of
// include/uapi/linux/io_uring.h; IORING_OP_READ/WRITE need Linux 5.6.
//
// A ring is not safe for concurrent use: one goroutine, locked to its OS
// thread, creates, submits to, reaps and closes it (ringDriver, the
// engine's worker; ringLoop, for Submit from any goroutine).

const (
	sysIOUringSetup    = 425
	sysIOUringEnter    = 426
	sysIOUringRegister = 427

	uringOffSQES = 0x10000000

	uringFeatSingleMmap = 1 << 0
	uringFeatExtArg     = 1 << 8 // io_uring_enter takes a wait timeout (5.11)

	uringEnterGetEvents  = 1 << 0
	uringEnterExtArg     = 1 << 3
	uringEnterRegistered = 1 << 4 // fd is an index into the thread's registered rings

	// Setup flags tried first (Linux 6.1+). SUBMIT_ALL: an SQE the kernel
	// refuses (an ioprio it rejects) fails alone instead of stopping the
	// batch. SINGLE_ISSUER and DEFER_TASKRUN: completions' task work runs
	// only when the one submitting thread enters to wait, in a batch,
	// instead of interrupting it in user space with an IPI per I/O; fio's
	// io_uring engine asks for the same.
	uringSetupSubmitAll     = 1 << 7
	uringSetupCoopTaskrun   = 1 << 8
	uringSetupSingleIssuer  = 1 << 12
	uringSetupDeferTaskrun  = 1 << 13
	uringSetupPreferredFlag = uringSetupSubmitAll | uringSetupCoopTaskrun | uringSetupSingleIssuer | uringSetupDeferTaskrun

	uringRegisterFiles     = 2
	uringRegisterRingFDs   = 20
	uringUnregisterRingFDs = 21

	uringSQEFixedFile = 1 << 0 // fd is an index into the registered files

	uringOpNop       = 0
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

// uringGeteventsArg is struct io_uring_getevents_arg (24 bytes), given
// with IORING_ENTER_EXT_ARG to bound a wait.
type uringGeteventsArg struct {
	sigmask            uint64
	sigmaskSz, minWait uint32
	ts                 uint64 // *uringTimespec
}

// uringRsrcUpdate is struct io_uring_rsrc_update.
type uringRsrcUpdate struct {
	offset, resv uint32
	data         uint64
}

// uringTimespec is struct __kernel_timespec.
type uringTimespec struct{ sec, nsec int64 }

// ring is one io_uring for I/O on one file.
type ring struct {
	fd        int    // what io_uring_enter takes: the ring's descriptor, or its registered index
	ringFD    int    // the descriptor, to close
	enterFlag uint32 // uringEnterRegistered when fd is an index
	file      int32  // the file: its descriptor, or 0 with fileFlag
	fileFlag  uint8  // uringSQEFixedFile when the file is registered
	extArg    bool   // waits can be bounded

	rings, sqes []byte
	sqTail      *uint32
	sqMask      uint32
	sqArray     []uint32
	sqeSlice    []uringSQE
	cqHead      *uint32
	cqTail      *uint32
	cqMask      uint32
	cqes        []uringCQE
	slots       []*Op // in flight, by user_data
	free        []uint32
	// unsent counts SQEs published but not yet taken by the kernel: before
	// SUBMIT_ALL (5.18) it stops at an SQE it fails to prepare, and those
	// after it wait for the next io_uring_enter.
	unsent uint32
	// discard, set on a block device, trims there (fileDevice.punch): the
	// ring has no discard before Linux 6.12's block URING_CMD.
	discard func(off, n int64) error
	// Reused by every bounded wait: no allocation per I/O.
	arg uringGeteventsArg
	ts  uringTimespec
}

// uringSetupHook, when set (by tests), replaces io_uring_setup's answer
// with its error, to exercise the fallback to psync.
var uringSetupHook func() error

// newRing creates a ring with room for entries ops in flight, on the
// calling thread: with SINGLE_ISSUER only this thread may use it.
func newRing(file, entries int) (*ring, error) {
	if uringSetupHook != nil {
		if err := uringSetupHook(); err != nil {
			return nil, fmt.Errorf("io_uring_setup: %w", err)
		}
	}
	r := &ring{fd: -1, ringFD: -1, file: int32(file)}
	var p uringParams
	p.flags = uringSetupPreferredFlag
	fd, _, errno := syscall.Syscall(sysIOUringSetup, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if errno == syscall.EINVAL { // before 6.1: a plain ring
		p = uringParams{}
		fd, _, errno = syscall.Syscall(sysIOUringSetup, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	}
	if errno != 0 {
		return nil, fmt.Errorf("io_uring_setup: %w", errno)
	}
	r.fd, r.ringFD = int(fd), int(fd)
	if err := r.mapRings(&p); err != nil {
		r.close()
		return nil, err
	}
	r.extArg = p.features&uringFeatExtArg != 0
	r.register()
	return r, nil
}

// mapRings maps the rings and finds their fields (see the layout above).
func (r *ring) mapRings(p *uringParams) error {
	if p.features&uringFeatSingleMmap == 0 {
		return errors.New("io_uring: kernel lacks IORING_FEAT_SINGLE_MMAP (Linux 5.4+)")
	}
	size := max(int(p.sqOff.array)+int(p.sqEntries)*4, int(p.cqOff.cqes)+int(p.cqEntries)*int(unsafe.Sizeof(uringCQE{})))
	var err error
	if r.rings, err = syscall.Mmap(r.ringFD, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_POPULATE); err != nil {
		return fmt.Errorf("io_uring: mmap rings: %w", err)
	}
	sqeBytes := int(p.sqEntries) * int(unsafe.Sizeof(uringSQE{}))
	if r.sqes, err = syscall.Mmap(r.ringFD, uringOffSQES, sqeBytes, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_POPULATE); err != nil {
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

// register registers the file and the ring's own descriptor, as fio does,
// where the kernel allows: each I/O then skips looking the file up (and
// taking a reference on it, an atomic shared by all threads of a Go
// process), each io_uring_enter the ring's. Refused, the plain
// descriptors serve.
func (r *ring) register() {
	fds := [1]int32{r.file}
	if _, _, e := syscall.Syscall6(sysIOUringRegister, uintptr(r.ringFD), uringRegisterFiles, uintptr(unsafe.Pointer(&fds[0])), 1, 0, 0); e == 0 {
		r.file, r.fileFlag = 0, uringSQEFixedFile
	}
	// Offset -1 lets the kernel pick the index (Linux 5.18+). The index is
	// the calling thread's, which is the only one using the ring.
	upd := uringRsrcUpdate{offset: ^uint32(0), data: uint64(r.ringFD)}
	if n, _, e := syscall.Syscall6(sysIOUringRegister, uintptr(r.ringFD), uringRegisterRingFDs, uintptr(unsafe.Pointer(&upd)), 1, 0, 0); e == 0 && n == 1 {
		r.fd, r.enterFlag = int(upd.offset), uringEnterRegistered
	}
}

func (r *ring) inflight() int { return len(r.slots) - len(r.free) }

// full reports whether every slot is taken: push must wait for a reap.
func (r *ring) full() bool { return len(r.free) == 0 }

// push writes op's SQE at the SQ tail and publishes it, to go at the next
// enter. The caller keeps at most len(slots) ops in flight.
func (r *ring) push(op *Op) {
	slot := r.free[len(r.free)-1]
	r.free = r.free[:len(r.free)-1]
	r.slots[slot] = op
	tail := *r.sqTail // only we write it
	i := tail & r.sqMask
	sqe := &r.sqeSlice[i]
	*sqe = uringSQE{fd: r.file, flags: r.fileFlag, off: uint64(op.Offset), userData: uint64(slot), ioprio: op.Prio}
	switch op.Kind {
	case OpRead, OpWrite:
		sqe.opcode = uringOpRead
		if op.Kind == OpWrite {
			sqe.opcode = uringOpWrite
		}
		sqe.addr, sqe.len = uint64(uintptr(unsafe.Pointer(unsafe.SliceData(op.Buf)))), uint32(len(op.Buf))
	case OpTrim:
		if r.discard != nil {
			// Done here, synchronously, as fio's trim on a block device
			// is; a NOP carries the op to its completion, op.Err kept.
			op.Err = r.discard(op.Offset, int64(len(op.Buf)))
			sqe.opcode = uringOpNop
			break
		}
		// as io_uring_prep_fallocate: the length in addr, the mode in len
		sqe.opcode, sqe.addr, sqe.len = uringOpFallocate, uint64(len(op.Buf)), fallocPunch
	case OpFlush, OpFlushData:
		sqe.opcode, sqe.off = uringOpFsync, 0
		if op.Kind == OpFlushData {
			sqe.rwFlags = uringFsyncDatasync
		}
	}
	r.sqArray[i] = i
	atomic.StoreUint32(r.sqTail, tail+1)
	r.unsent++
}

// submit sends the unsent SQEs and, with GETEVENTS, lets the kernel post
// the completions it holds; with wait it blocks until at least one CQE is
// there, for at most timeout when timeout >= 0 and the kernel can bound
// waits. A wait that times out is no error.
func (r *ring) submit(wait bool, timeout int64) error {
	minComplete, flags := uint32(0), uint32(uringEnterGetEvents)|r.enterFlag
	var arg unsafe.Pointer
	argSize := uintptr(0)
	// Submitting and waiting in one call: the kernel skips the wait when it
	// took fewer SQEs than asked (one failed to prepare, and its CQE is
	// progress enough).
	if wait && r.cqReady() == 0 {
		minComplete = 1
		if timeout >= 0 && r.extArg {
			r.ts = uringTimespec{sec: timeout / 1e9, nsec: timeout % 1e9}
			r.arg.ts = uint64(uintptr(unsafe.Pointer(&r.ts)))
			flags |= uringEnterExtArg
			arg, argSize = unsafe.Pointer(&r.arg), unsafe.Sizeof(r.arg)
		}
	}
	for tries := 0; ; tries++ {
		var n uintptr
		var errno syscall.Errno
		if minComplete == 0 {
			// Does not block: the raw call skips telling the scheduler.
			n, _, errno = syscall.RawSyscall6(sysIOUringEnter, uintptr(r.fd), uintptr(r.unsent), 0, uintptr(flags), 0, 0)
		} else {
			n, _, errno = syscall.Syscall6(sysIOUringEnter, uintptr(r.fd), uintptr(r.unsent), uintptr(minComplete), uintptr(flags), uintptr(arg), argSize)
		}
		switch {
		case errno == 0:
			r.unsent -= min(uint32(n), r.unsent)
			return nil
		case errno == syscall.ETIME:
			return nil
		case (errno == syscall.EINTR || errno == syscall.EAGAIN || errno == syscall.EBUSY) && tries < 100:
			continue
		}
		return fmt.Errorf("io_uring_enter: %w", errno)
	}
}

func (r *ring) cqReady() uint32 { return atomic.LoadUint32(r.cqTail) - *r.cqHead }

// reap completes the ops whose CQEs arrived, calling their Done.
func (r *ring) reap() {
	head, tail := *r.cqHead, atomic.LoadUint32(r.cqTail)
	for ; head != tail; head++ {
		cqe := &r.cqes[head&r.cqMask]
		slot, res := cqe.userData, cqe.res
		op := r.slots[slot]
		r.slots[slot] = nil
		r.free = append(r.free, uint32(slot))
		atomic.StoreUint32(r.cqHead, head+1) // the slot is read: the kernel may reuse it
		uringComplete(op, res)
	}
}

// uringComplete finishes op with the CQE result res: a negative result is
// the errno, a short transfer (past the end of the file) an error, as
// pread reports it.
func uringComplete(op *Op, res int32) {
	switch {
	case res < 0:
		op.Err = fmt.Errorf("io_uring %s at %d: %w", op.Kind, op.Offset, syscall.Errno(-res))
	case (op.Kind == OpRead || op.Kind == OpWrite) && int(res) < len(op.Buf):
		op.Err = fmt.Errorf("io_uring %s at %d: %d of %d bytes: %w", op.Kind, op.Offset, res, len(op.Buf), io.ErrUnexpectedEOF)
	}
	op.Done(op)
}

// failAll completes, with err, the ops in flight of a ring that broke.
func (r *ring) failAll(err error) {
	err = fmt.Errorf("io_uring: %w", err)
	for i, op := range r.slots {
		if op != nil {
			r.slots[i] = nil
			r.free = append(r.free, uint32(i))
			op.Err = err
			op.Done(op)
		}
	}
	r.unsent = 0
}

// close unmaps the rings and closes the ring's descriptor (which drops
// the registered file). The thread's registered index holds a reference
// to the ring, so it goes first, from the thread that registered it.
func (r *ring) close() {
	if r.enterFlag != 0 {
		upd := uringRsrcUpdate{offset: uint32(r.fd)}
		_, _, _ = syscall.Syscall6(sysIOUringRegister, uintptr(r.ringFD), uringUnregisterRingFDs, uintptr(unsafe.Pointer(&upd)), 1, 0, 0)
		r.fd, r.enterFlag = r.ringFD, 0
	}
	if r.sqes != nil {
		_ = syscall.Munmap(r.sqes)
	}
	if r.rings != nil {
		_ = syscall.Munmap(r.rings)
	}
	if r.ringFD >= 0 {
		_ = syscall.Close(r.ringFD)
	}
	r.sqes, r.rings, r.ringFD = nil, nil, -1
}
