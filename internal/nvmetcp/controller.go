package nvmetcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// Controller is a connected NVMe-oF controller: one admin queue and its I/O
// queues, each its own TCP connection. It is safe for concurrent use. A
// controller that fails (timeout, protocol error, lost connection) stays
// failed: Done is closed, Err says why, and a new one must be dialled.
type Controller struct {
	cfg    Config
	base   time.Time // origin of clock()
	admin  *Queue
	io     []*Queue
	ident  *nvme.IdentifyController
	cntlid uint16
	caps   nvme.Capabilities
	kato   time.Duration // effective, as the controller reports it

	qmu    sync.Mutex // guards queues against fail during Dial
	queues []*Queue   // admin first, then I/O

	done     chan struct{}
	err      error // set before done is closed
	failOnce sync.Once
	stop     sync.Once
	wg       sync.WaitGroup
	events   chan Event
	rr       atomic.Uint32 // round-robin queue pick for the sync wrappers

	nsMu sync.Mutex
	ns   map[uint32]*nvme.IdentifyNamespace
}

// Dial connects to the controller cfg describes: admin queue, controller
// enable, Identify, Set Features Number of Queues, one Async Event Request,
// keep-alive, and cfg.IOQueues I/O queues. The whole sequence is bounded by
// ctx and cfg.ConnectTimeout.
func Dial(ctx context.Context, cfg Config) (*Controller, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := newController(cfg)
	ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	if err := c.bringUp(ctx); err != nil {
		c.fail(err)
		c.wg.Wait()
		return nil, fmt.Errorf("nvme/tcp: dial %s %s: %w", cfg.Addr, cfg.SubsysNQN, err)
	}
	return c, nil
}

func newController(cfg Config) *Controller {
	return &Controller{
		cfg:    cfg,
		base:   time.Now(),
		done:   make(chan struct{}),
		events: make(chan Event, 1),
		ns:     make(map[uint32]*nvme.IdentifyNamespace),
	}
}

func (c *Controller) bringUp(ctx context.Context) error {
	if err := c.connectAdmin(ctx); err != nil {
		return err
	}
	if err := c.enable(ctx); err != nil {
		return err
	}
	ident, err := c.identifyController(ctx)
	if err != nil {
		return err
	}
	c.ident = ident
	if ident.ControllerType == nvme.ControllerTypeDiscovery || c.cfg.SubsysNQN == nvme.DiscoveryNQN {
		c.startKeepAlive()
		return nil
	}
	n, err := c.setNumQueues(ctx, c.cfg.IOQueues)
	if err != nil {
		return err
	}
	c.readKATO(ctx)
	c.startEvents(ctx)
	for i := 1; i <= n; i++ {
		q, err := c.connectIO(ctx, uint16(i))
		if err != nil {
			return fmt.Errorf("connect io queue %d: %w", i, err)
		}
		c.io = append(c.io, q)
	}
	c.startKeepAlive()
	return nil
}

// connectAdmin opens the admin queue and sends its Connect.
func (c *Controller) connectAdmin(ctx context.Context) error {
	q, err := c.openQueue(ctx, 0, adminQueueSize-1, fabricsICD, 0)
	if err != nil {
		return fmt.Errorf("admin queue: %w", err)
	}
	c.admin = q
	c.wg.Add(1)
	go c.watchTimeouts()
	cntlid, err := c.connect(ctx, q, adminQueueSize-1, nvme.DynamicCNTLID, c.cfg.katoMillis())
	if err != nil {
		return fmt.Errorf("connect admin queue: %w", err)
	}
	c.cntlid = cntlid
	return nil
}

// connectIO opens I/O queue qid sized by QueueSize, CAP.MQES and MAXCMD.
func (c *Controller) connectIO(ctx context.Context, qid uint16) (*Queue, error) {
	entries := min(c.cfg.QueueSize, int(c.caps.MQES)+1)
	depth := entries - 1
	if c.ident.MaxCmd > 0 {
		depth = min(depth, int(c.ident.MaxCmd))
	}
	if depth < 1 {
		return nil, fmt.Errorf("queue of %d entries (CAP.MQES %d) holds no command", entries, c.caps.MQES)
	}
	q, err := c.openQueue(ctx, qid, depth, c.ident.InCapsuleDataSize(), c.ident.MaxTransfer())
	if err != nil {
		return nil, err
	}
	if _, err := c.connect(ctx, q, uint16(entries-1), c.cntlid, 0); err != nil {
		return nil, err
	}
	return q, nil
}

// openQueue dials a connection, exchanges ICReq/ICResp and starts the
// queue's reader and writer goroutines.
func (c *Controller) openQueue(ctx context.Context, qid uint16, depth, icd, maxXfer int) (*Queue, error) {
	conn, err := c.cfg.Dialer(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		return nil, err
	}
	spin := c.cfg.ReadSpin
	if qid == 0 {
		spin = 0 // the admin queue is seldom busy
	}
	ic, rd, err := handshake(ctx, conn, c.cfg.HeaderDigest, c.cfg.DataDigest, spin)
	if err != nil {
		conn.Close()
		return nil, err
	}
	q := newQueue(c, qid, conn, rd, ic, depth, icd, maxXfer)
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if err := c.Err(); err != nil {
		conn.Close()
		return nil, err
	}
	c.queues = append(c.queues, q)
	c.wg.Add(1)
	go func() { defer c.wg.Done(); q.snd.run(c.done) }()
	if qid > 0 && c.cfg.PolledIO {
		q.polled = true // its users read it: see Poll
		return q, nil
	}
	c.wg.Add(1)
	go func() { defer c.wg.Done(); q.readLoop() }()
	return q, nil
}

// connect sends a fabrics Connect on q and returns the controller ID.
func (c *Controller) connect(ctx context.Context, q *Queue, sqsize, cntlid uint16, kato uint32) (uint16, error) {
	data := make([]byte, nvme.ConnectDataSize)
	cd := nvme.ConnectData{HostID: c.cfg.HostID, CNTLID: cntlid, SubNQN: c.cfg.SubsysNQN, HostNQN: c.cfg.HostNQN}
	if err := cd.Marshal(data); err != nil {
		return 0, err
	}
	r := &Request{dir: dirH2C, Buf: data}
	cc := nvme.ConnectCommand{QID: q.id, SQSize: sqsize, KATO: kato}
	if c.cfg.DisableSQFlowControl {
		cc.CATTR = nvme.CATTRDisableSQFlowControl
	}
	cc.Apply(&r.cmd)
	r.cmd.Flags = nvme.PSDTSGL
	if err := c.exec(ctx, q, r); err != nil {
		return 0, err
	}
	return uint16(r.DW0), nil
}

// fail records the first failure, closes every connection and wakes
// everyone waiting on Done. The readers then fail outstanding commands.
func (c *Controller) fail(cause error) {
	c.failOnce.Do(func() {
		c.qmu.Lock()
		c.err = &downError{cause: cause}
		close(c.done)
		for _, q := range c.queues {
			if tc, ok := q.conn.(*net.TCPConn); ok && !errors.Is(cause, ErrClosed) {
				// Reset rather than close: a plain close would keep
				// sending what is still in the kernel's buffer, so after
				// a partition heals a write this host has since retried
				// on another path could still reach this controller and
				// land over newer data.
				_ = tc.SetLinger(0)
			}
			q.conn.Close()
		}
		c.qmu.Unlock()
	})
}

// downErr is the error commands fail with once the controller is down.
func (c *Controller) downErr() error {
	if err := c.Err(); err != nil {
		return err
	}
	return &downError{cause: errors.New("queue closed")}
}

// clock is nanoseconds on the controller's monotonic clock.
func (c *Controller) clock() int64 { return int64(time.Since(c.base)) }

// Done is closed when the controller has failed or been closed.
func (c *Controller) Done() <-chan struct{} { return c.done }

// Err is nil while the controller works, then an error wrapping
// ErrControllerDown and the cause.
func (c *Controller) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Close shuts the controller down (CC.SHN normal shutdown, bounded by a
// few seconds), closes every connection, fails whatever is outstanding with
// ErrControllerDown wrapping ErrClosed, and waits for the goroutines. It is
// safe to call more than once and on a failed controller.
func (c *Controller) Close() error {
	var err error
	c.stop.Do(func() {
		if c.Err() == nil {
			ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			err = c.shutdown(ctx)
			cancel()
		}
		c.fail(ErrClosed)
		c.wg.Wait()
		for _, q := range c.io {
			if q.polled {
				q.stopPolled()
			}
		}
	})
	return err
}

const shutdownTimeout = 2 * time.Second

// Identify returns the Identify Controller data read by Dial. Do not modify it.
func (c *Controller) Identify() *nvme.IdentifyController { return c.ident }

// CNTLID is the controller ID the target assigned.
func (c *Controller) CNTLID() uint16 { return c.cntlid }

// KATO is the effective keep-alive timeout (0 when disabled).
func (c *Controller) KATO() time.Duration { return c.kato }

// Queues is the number of I/O queues.
func (c *Controller) Queues() int { return len(c.io) }

// Queue returns I/O queue i, 0 <= i < Queues().
func (c *Controller) Queue(i int) *Queue { return c.io[i] }

// watchTimeouts fails the controller when a command outlives its timeout.
// Scanning every slot a few times per timeout costs less than a timer per
// command and allocates nothing on the I/O path.
func (c *Controller) watchTimeouts() {
	defer c.wg.Done()
	limit := c.cfg.IOTimeout
	if c.cfg.KATO > 0 {
		limit = min(limit, c.cfg.KATO)
	}
	t := time.NewTicker(min(max(limit/8, 2*time.Millisecond), 500*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		now := c.clock()
		c.qmu.Lock()
		queues := c.queues
		c.qmu.Unlock()
		for _, q := range queues {
			if err := q.checkTimeouts(now); err != nil {
				c.fail(err)
				return
			}
		}
	}
}
