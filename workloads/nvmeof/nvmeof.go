// Package nvmeof is the workloads backend over the Go NVMe/TCP host
// (internal/nvmetcp): target URLs of the form
//
//	nvme+tcp://HOST:PORT[,HOST:PORT...]/NQN[?nsid=N&hdgst=1&ddgst=1&kato=5s&io_timeout=30s
//	    &reconnect_delay=10s&ctrl_loss_tmo=600s&fast_io_fail_tmo=5s&policy=failover&discover=1]
//
// With discover=1 the address is a discovery controller and the volume's
// paths are the portals it lists.
//
// Several addresses make a multipath volume (nvmetcp.Multipath): I/O goes
// to the best path by ANA state and moves when a path fails. Importing the
// package registers the nvme+tcp scheme with workloads.Open.
//
// The URL is the form `bench` users write; code that has the settings as
// values (a scenario's host block) builds a Target and calls OpenTarget,
// so no setting goes through text and back.
package nvmeof

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp"
	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

// Scheme is the URL scheme this backend serves.
const Scheme = "nvme+tcp"

func init() { workloads.Register(Scheme, Open) }

// maxQueueSize caps the queue size asked for at Connect; the controller
// may grant less (CAP.MQES).
const maxQueueSize = 1024

// Open connects to the subsystem the URL names and returns it as a Device
// with one I/O queue per worker (as many as the controller grants).
func Open(ctx context.Context, u *url.URL, opts workloads.OpenOptions) (workloads.Device, error) {
	t, err := ParseURL(u)
	if err != nil {
		return nil, err
	}
	return OpenTarget(ctx, t, opts)
}

// OpenTarget connects to t and returns it as a Device with one I/O queue
// per worker (as many as the controller grants).
func OpenTarget(ctx context.Context, t Target, opts workloads.OpenOptions) (workloads.Device, error) {
	cfg, mp, err := t.configs()
	if err != nil {
		return nil, err
	}
	// Unless the target sets them, one queue per worker, each deep enough
	// for its iodepth; with fewer or shallower queues workers share them
	// and the excess waits in the device's backlog.
	if cfg.IOQueues == 0 {
		cfg.IOQueues = max(opts.Queues, 1)
	}
	if cfg.QueueSize == 0 {
		cfg.QueueSize = min(max(opts.QueueDepth+1, 2), maxQueueSize)
	}
	addrs := t.Addrs
	if t.Discover {
		// The address is a discovery controller: use every portal it lists.
		if addrs, err = nvmetcp.DiscoverPaths(ctx, cfg, addrs[0], cfg.SubsysNQN); err != nil {
			return nil, err
		}
		cfg.Addr = strings.Join(addrs, ",")
	}
	if len(addrs) > 1 {
		return openMultipath(ctx, cfg, addrs, t.NSID, mp)
	}
	// The engine polls the queues it waits on (workloads.CallerPolledDevice): no
	// reader goroutine per queue, no hand-off per batch of completions.
	cfg.PolledIO = opts.Poll
	c, err := nvmetcp.Dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	d, err := newDevice(ctx, c, t.NSID)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	return d, nil
}

// boundedInt parses a decimal integer in [lo, hi].
func boundedInt(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, err
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("want %d..%d", lo, hi)
	}
	return n, nil
}

// device adapts a Controller to workloads.Device. Ops beyond a queue's
// depth wait in a per-queue backlog instead of failing, so any iodepth works
// on any controller. An op larger than the controller's transfer limit is
// split into commands of at most that size, as Linux's block layer splits
// a bio at max_hw_sectors: a 1 MiB read at bs=1m works on a target with a
// 128 KiB MDTS. As there, the pieces are not atomic together: a read that
// overlaps a write in flight may see part of each.
type device struct {
	closer interface{ Close() error }
	nsid   uint32
	shift  uint
	bs     int
	blocks int64
	// maxXfer is the largest command in bytes (MDTS); 0 is unlimited.
	maxXfer int
	queues  []*queue
	reqs    sync.Pool
}

// splitOp is an op sent as several commands: it completes when the last
// does, with the first error any of them had.
type splitOp struct {
	op   *workloads.Op
	left atomic.Int32
	mu   sync.Mutex
	err  error
}

type queue struct {
	submit func(*nvmetcp.Request) error
	// hold and flush, when set, queue a command without sending it and
	// send what was held (nvmetcp.Queue.Hold and Flush); nil: hold submits.
	hold  func(*nvmetcp.Request) error
	flush func()
	// poll, when set, is nvmetcp.Queue.Poll of a polled queue.
	poll    func(ready func() bool, deadline time.Time) error
	mu      sync.Mutex
	backlog []*nvmetcp.Request
}

func newDevice(ctx context.Context, c *nvmetcp.Controller, nsid uint32) (*device, error) {
	if nsid == 0 {
		ids, err := c.Namespaces(ctx)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			return nil, errors.New("subsystem has no active namespace")
		}
		nsid = ids[0]
	}
	id, err := c.IdentifyNamespace(ctx, nsid)
	if err != nil {
		return nil, fmt.Errorf("namespace %d: %w", nsid, err)
	}
	bs := id.BlockSize()
	if bs == 0 {
		return nil, fmt.Errorf("namespace %d is not active", nsid)
	}
	d := newDeviceShape(c, nsid, id)
	d.maxXfer = c.Identify().MaxTransfer()
	for i := range c.Queues() {
		q := c.Queue(i)
		dq := &queue{submit: q.Submit, hold: q.Hold, flush: q.Flush}
		if q.Polled() {
			dq.poll = q.Poll
		}
		d.queues = append(d.queues, dq)
	}
	return d, nil
}

func newDeviceShape(closer interface{ Close() error }, nsid uint32, id *nvme.IdentifyNamespace) *device {
	d := &device{closer: closer, nsid: nsid, bs: id.BlockSize(), blocks: int64(id.NSZE)}
	for d.bs>>d.shift > 1 {
		d.shift++
	}
	d.reqs.New = func() any {
		dr := &devReq{}
		dr.r = nvmetcp.Request{NSID: nsid, Done: d.done, User: dr}
		return dr
	}
	return d
}

func (d *device) BlockSize() int { return d.bs }
func (d *device) Blocks() int64  { return d.blocks }
func (d *device) Queues() int    { return len(d.queues) }
func (d *device) Close() error   { return d.closer.Close() }

// devReq is a pooled request with room for the range a trim sends.
type devReq struct {
	r  nvmetcp.Request
	op *workloads.Op
	// split is set when op goes as several commands, this one of them.
	split *splitOp
	dsm   [nvme.DSMRangeSize]byte
}

// build fills the request for op's bytes buf at offset: Read, Write,
// Flush, or a Dataset Management deallocate of the range (a trim).
func (d *device) build(dr *devReq, op *workloads.Op, offset int64, buf []byte) {
	r := &dr.r
	dr.op = op
	r.SLBA = uint64(offset) >> d.shift
	r.NLB = uint32(len(buf) >> d.shift)
	r.Buf = buf
	switch op.Kind {
	case workloads.OpWrite:
		r.Opcode = nvme.IOWrite
	case workloads.OpTrim:
		r.Opcode, r.Buf = nvme.IODatasetMgmt, dr.dsm[:]
		nvme.MarshalDSMRanges(r.Buf, []nvme.DSMRange{{SLBA: r.SLBA, NLB: r.NLB}})
	case workloads.OpFlush, workloads.OpFlushData:
		r.Opcode, r.Buf, r.SLBA, r.NLB = nvme.IOFlush, nil, 0, 0
	default:
		r.Opcode = nvme.IORead
	}
}

var _ workloads.CallerPolledDevice = (*device)(nil)

// Polled reports whether queue completes ops only while polled.
func (d *device) Polled(queue int) bool { return d.queues[queue%len(d.queues)].poll != nil }

// Poll completes what arrived on a polled queue (workloads.CallerPolledDevice).
func (d *device) Poll(queue int, ready func() bool, deadline time.Time) {
	if q := d.queues[queue%len(d.queues)]; q.poll != nil {
		// An error means the queue failed and its commands with it: the
		// ops are completed, and the caller finds them done.
		_ = q.poll(ready, deadline)
	}
}

// Submit sends op on its queue, or parks it until the queue has room.
func (d *device) Submit(op *workloads.Op) { d.start(op, false) }

// Hold queues op's command without sending it before Flush, where the
// queue can (a single path); elsewhere it is Submit.
func (d *device) Hold(op *workloads.Op) { d.start(op, true) }

// Flush sends the commands Hold queued on queue.
func (d *device) Flush(queue int) {
	if q := d.queues[queue%len(d.queues)]; q.flush != nil {
		q.flush()
	}
}

func (d *device) start(op *workloads.Op, hold bool) {
	moves := op.Kind == workloads.OpRead || op.Kind == workloads.OpWrite
	if moves && d.maxXfer > 0 && len(op.Buf) > d.maxXfer {
		d.submitSplit(op, hold)
		return
	}
	dr := d.reqs.Get().(*devReq)
	d.build(dr, op, op.Offset, op.Buf)
	d.send(dr, hold)
}

// submitSplit sends op as commands of at most maxXfer bytes, block
// aligned, all on op's queue.
func (d *device) submitSplit(op *workloads.Op, hold bool) {
	step := max(d.maxXfer/d.bs, 1) * d.bs
	sp := &splitOp{op: op}
	sp.left.Store(int32((len(op.Buf) + step - 1) / step))
	for off := 0; off < len(op.Buf); off += step {
		dr := d.reqs.Get().(*devReq)
		d.build(dr, op, op.Offset+int64(off), op.Buf[off:min(off+step, len(op.Buf))])
		dr.split = sp
		d.send(dr, hold)
	}
}

// send submits (or holds) one command on its op's queue, or parks it in
// the backlog.
func (d *device) send(dr *devReq, hold bool) {
	r := &dr.r
	q := d.queues[dr.op.Queue%len(d.queues)]
	q.mu.Lock()
	if len(q.backlog) > 0 {
		q.backlog = append(q.backlog, r)
		q.mu.Unlock()
		return
	}
	submit := q.submit
	if hold && q.hold != nil {
		submit = q.hold
	}
	err := submit(r)
	if errors.Is(err, nvmetcp.ErrQueueFull) {
		q.backlog = append(q.backlog, r)
		err = nil
	}
	q.mu.Unlock()
	if err != nil {
		d.finish(r, err)
	}
}

// done completes an op and moves the queue's backlog forward.
func (d *device) done(r *nvmetcp.Request) {
	q := d.queues[r.User.(*devReq).op.Queue%len(d.queues)]
	d.finish(r, r.Err)
	q.mu.Lock()
	var failed []*nvmetcp.Request
	var ferr error
	for len(q.backlog) > 0 {
		next := q.backlog[0]
		err := q.submit(next)
		if errors.Is(err, nvmetcp.ErrQueueFull) {
			break
		}
		q.backlog = q.backlog[1:]
		if err != nil {
			failed, ferr = append(failed, next), err
		}
	}
	q.mu.Unlock()
	for _, f := range failed {
		d.finish(f, ferr)
	}
}

func (d *device) finish(r *nvmetcp.Request, err error) {
	dr := r.User.(*devReq)
	op, sp := dr.op, dr.split
	dr.op, dr.split, r.Buf, r.Err = nil, nil, nil, nil
	d.reqs.Put(dr)
	if sp == nil {
		op.Err = err
		op.Done(op)
		return
	}
	if err != nil {
		sp.mu.Lock()
		if sp.err == nil {
			sp.err = err
		}
		sp.mu.Unlock()
	}
	if sp.left.Add(-1) == 0 {
		sp.mu.Lock()
		sp.op.Err = sp.err
		sp.mu.Unlock()
		sp.op.Done(sp.op)
	}
}
