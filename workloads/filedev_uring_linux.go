package workloads

import (
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"syscall"
	"time"
)

// File engines a file:// URL may ask for with ?engine=. The default picks
// io_uring when the kernel runs this file's I/O through a ring, else
// psync, and says which in the notes.
const (
	fileEngineAuto  = ""
	fileEngineURing = "io_uring"
	fileEnginePsync = "psync"
)

// maxURingEntries bounds a ring's submission queue.
const maxURingEntries = 4096

var (
	_ PollDevice  = (*fileDevice)(nil)
	_ QueueDriver = (*ringDriver)(nil)
)

// startURing readies io_uring for nq queues of depth ops: rings are made
// by their users (Drive, or the first Submit on a queue), on the thread
// that will use them; here one ring reads the file's first block, which
// shows the kernel can run this file's I/O through a ring.
func (d *fileDevice) startURing(nq, depth int) error {
	entries := min(1<<bits.Len(uint(depth)), maxURingEntries) // > depth
	if depth >= entries {
		return fmt.Errorf("queue depth %d above %d", depth, maxURingEntries-1)
	}
	if err := d.probeURing(entries); err != nil {
		return err
	}
	d.entries = entries
	d.loops = make([]*ringLoop, nq)
	d.driven = make([]bool, nq)
	d.notes = append(d.notes, fmt.Sprintf("file engine: io_uring (%d queue(s), rings of %d entries; engine=psync for pread/pwrite)", nq, entries))
	return nil
}

// probeURing reads the first block through a new ring: kernels before 5.6
// accept a ring but fail IORING_OP_READ with EINVAL; seccomp or sysctl
// kernel.io_uring_disabled refuse io_uring_setup itself.
func (d *fileDevice) probeURing(entries int) error {
	runtime.LockOSThread() // a SINGLE_ISSUER ring serves only the thread that made it
	defer runtime.UnlockOSThread()
	r, err := newRing(d.fd, entries)
	if err != nil {
		return err
	}
	defer r.close()
	var done bool
	op := &Op{Kind: OpRead, Buf: alignedSlab(d.blockSize), Done: func(*Op) { done = true }}
	r.push(op)
	for !done && err == nil {
		if err = r.submit(true, -1); err == nil {
			r.reap()
		}
	}
	if err == nil {
		err = op.Err
	}
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOSYS) {
		return fmt.Errorf("this kernel cannot read through a ring: %w", err)
	}
	return nil // other errors are the file's, and psync would meet them too
}

// Drive gives the calling goroutine, locked to its thread, a ring of its
// own for queue: it submits and reaps on it in the same system calls and
// calls Done itself, with no goroutine between it and the kernel. Without
// io_uring, with the queue already driven, or where waits cannot be
// bounded (before Linux 5.11), the caller uses Submit.
func (d *fileDevice) Drive(queue int) (QueueDriver, bool) {
	if d.loops == nil || uint(queue) >= uint(len(d.driven)) {
		return nil, false
	}
	d.mu.Lock()
	taken := d.driven[queue]
	d.driven[queue] = true
	d.mu.Unlock()
	if taken {
		return nil, false
	}
	r, err := newRing(d.fd, d.entries)
	if err == nil {
		r.discard = d.discarder()
	}
	if err == nil && !r.extArg {
		r.close()
		err = errors.New("no bounded waits")
	}
	if err != nil {
		d.undrive(queue)
		return nil, false
	}
	return &ringDriver{d: d, queue: queue, r: r}, true
}

func (d *fileDevice) undrive(queue int) {
	d.mu.Lock()
	d.driven[queue] = false
	d.mu.Unlock()
}

// ringDriver is a ring driven by the goroutine that submits on it (see
// PollDevice): fio's io_uring loop, one thread submitting each op as it
// comes (Hold) and waiting for completions (Poll).
type ringDriver struct {
	d     *fileDevice
	queue int
	r     *ring
	err   error // the ring broke: every later op fails with it
}

// Hold queues op's SQE and sends it at once, as fio's io_uring engine
// does by default (iodepth_batch_submit=1). Sending the ops a worker
// resubmits in a row in one io_uring_enter, at its next Poll, saves system
// calls but hands the disk bursts: on a virtio disk under mq-deadline that
// read 0.77-0.84x fio's io_uring (4 KiB QD32, the device taking about
// 380 us a request against fio's 275 us), one at a time 0.95-0.98x.
func (v *ringDriver) Hold(op *Op) {
	for v.err == nil && v.r.full() { // not with the engine, which keeps depth < entries
		v.Poll(-1)
	}
	if v.err != nil {
		op.Err = v.err
		op.Done(op)
		return
	}
	v.r.push(op)
	if err := v.r.submit(false, 0); err != nil {
		v.fail(err)
	}
}

// Poll sends the held ops and completes those that finished; with a wait
// other than 0 it first waits up to wait (< 0: until one completes) when
// none has.
func (v *ringDriver) Poll(wait time.Duration) {
	if v.err != nil || v.r.unsent == 0 && v.r.inflight() == 0 {
		return
	}
	if err := v.r.submit(wait != 0, int64(wait)); err != nil {
		v.fail(err)
		return
	}
	v.r.reap()
}

// fail breaks the ring: what is in flight and every later op fail with err.
func (v *ringDriver) fail(err error) {
	v.err = fmt.Errorf("io_uring: %w", err)
	v.r.failAll(err)
}

// Release drains what is still in flight, closes the ring and frees the
// queue for the next driver.
func (v *ringDriver) Release() {
	for v.err == nil && v.r.inflight() > 0 {
		v.Poll(-1)
	}
	v.r.close()
	v.d.undrive(v.queue)
}

// ringLoop serves Submit on one queue when no worker drives it: one
// goroutine, locked to its OS thread, takes ops from sub, submits them and
// waits for completions. The kernel completes I/O with task work queued to
// the thread that submitted it, so the submitter must be the one waiting
// (measured: 4 KiB randwrite at QD32 fell to 0.4-0.6x fio's io_uring with
// a separate reaper).
type ringLoop struct {
	sub  chan *Op      // to the loop; closed by stop
	done chan struct{} // closed when the loop exits
}

// loop returns queue's ringLoop, starting it on first use.
func (d *fileDevice) loop(queue int) (*ringLoop, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if l := d.loops[queue]; l != nil {
		return l, nil
	}
	l := &ringLoop{sub: make(chan *Op, d.entries), done: make(chan struct{})}
	setup := make(chan error, 1)
	go l.run(d.fd, d.entries, d.discarder(), setup)
	if err := <-setup; err != nil {
		return nil, fmt.Errorf("file: %w", err)
	}
	d.loops[queue] = l
	return l, nil
}

// run takes new ops, submits them, waits for completions only while
// nothing new came, and exits once stop closed sub and nothing is in
// flight.
func (l *ringLoop) run(file, entries int, discard func(off, n int64) error, setup chan<- error) {
	runtime.LockOSThread() // never unlocked: the thread exits with the ring
	defer close(l.done)
	r, err := newRing(file, entries)
	setup <- err
	if err != nil {
		return
	}
	r.discard = discard
	defer r.close()
	sub := l.sub
	for sub != nil || r.inflight() > 0 {
		if r.inflight() == 0 {
			op, ok := <-sub // idle: park until there is work
			if !ok {
				return
			}
			r.push(op)
		}
	more: // take what else waits, while slots are free
		for sub != nil && !r.full() {
			select {
			case op, ok := <-sub:
				if !ok {
					sub = nil
					break more
				}
				r.push(op)
			default:
				break more
			}
		}
		// Wait in the kernel only when nothing new is to go.
		if err := r.submit(r.unsent == 0, -1); err != nil {
			r.failAll(err)
			l.failRest(fmt.Errorf("io_uring: %w", err), sub)
			return
		}
		r.reap()
	}
}

// failRest completes, with err, every op submitted until stop, so the
// engine never waits for them.
func (l *ringLoop) failRest(err error, sub <-chan *Op) {
	if sub == nil {
		return
	}
	for op := range sub {
		op.Err = err
		op.Done(op)
	}
}

// stop ends the loop once the ops in flight completed and waits for it.
// Call it once, after the last Submit.
func (l *ringLoop) stop() {
	close(l.sub)
	<-l.done
}

// submitURing sends op to its queue's ringLoop.
func (d *fileDevice) submitURing(op *Op) {
	l, err := d.loop(op.Queue)
	if err != nil {
		op.Err = err
		op.Done(op)
		return
	}
	l.sub <- op
}

func (d *fileDevice) stopURing() {
	for _, l := range d.loops {
		if l != nil {
			l.stop()
		}
	}
}

// discarder is what a ring trims with on a block device (BLKDISCARD, which
// io_uring cannot send); nil on a file, whose holes the ring punches.
func (d *fileDevice) discarder() func(off, n int64) error {
	if !d.blockDev {
		return nil
	}
	return d.punch
}
