package nvmftarget

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// maxAERs is how many Asynchronous Event Requests a controller holds
// (Identify AERL+1).
const maxAERs = 4

// Asynchronous event completions (DW0: type, information, log page).
const (
	anaChangeEvent   = nvme.AsyncEventTypeNotice | nvme.AsyncNoticeANAChange<<8 | nvme.LogANA<<16
	nsAttributeEvent = nvme.AsyncEventTypeNotice | nvme.AsyncNoticeNSAttribute<<8 | nvme.LogChangedNSList<<16
)

// controller is a dynamic controller: the association of one host with a
// subsystem through one port, made of an admin queue and I/O queues. It
// lives until its admin queue closes, its keep-alive timer expires, or the
// subsystem, listener or host is removed.
type controller struct {
	id      uint16 // set by Subsystem.addController
	sub     *Subsystem
	port    *port
	hostNQN string
	hostID  [16]byte

	kato    atomic.Int64 // nanoseconds; 0 disables the timer
	lastKA  atomic.Int64 // monoNow of the last Keep Alive
	kaTimer *time.Timer
	fenced  atomic.Int64 // commands refused after the keep-alive deadline
	once    sync.Once    // teardown
	enabled atomic.Bool  // CSTS.RDY, read on every I/O without the lock

	mu       sync.Mutex
	cc, csts uint32
	queues   map[uint16]*conn
	ioQueues uint16 // I/O queues granted by Set Features Number of Queues
	aec      uint32
	aers     []*request // outstanding Asynchronous Event Requests
	pending  []uint32   // events waiting for an AER
	masked   map[uint8]bool
	dead     bool
}

func newController(s *Subsystem, p *port, d *nvme.ConnectData, kato time.Duration) *controller {
	ctl := &controller{sub: s, port: p, hostNQN: d.HostNQN, hostID: d.HostID,
		queues: map[uint16]*conn{}, ioQueues: MaxIOQueues, masked: map[uint8]bool{}}
	ctl.kato.Store(int64(kato))
	return ctl
}

// startKeepAlive arms the keep-alive timer. The timer checks the time since
// the last Keep Alive command and tears the controller down after KATO
// without one, as SPDK and the Linux target do.
func (ctl *controller) startKeepAlive() {
	ctl.lastKA.Store(monoNow())
	ctl.mu.Lock()
	defer ctl.mu.Unlock()
	ctl.kaTimer = time.AfterFunc(ctl.katoOr(time.Hour), ctl.checkKeepAlive)
}

func (ctl *controller) katoOr(def time.Duration) time.Duration {
	if k := time.Duration(ctl.kato.Load()); k > 0 {
		return k
	}
	return def
}

func (ctl *controller) checkKeepAlive() {
	kato := time.Duration(ctl.kato.Load())
	idle := time.Duration(monoNow() - ctl.lastKA.Load())
	if kato > 0 && idle >= kato {
		ctl.sub.t.log.Warn("keep-alive timeout; controller torn down", "subsystem", ctl.sub.cfg.NQN,
			"cntlid", ctl.id, "host", ctl.hostNQN, "kato", kato, "idle", idle)
		ctl.teardown("keep-alive timeout")
		return
	}
	ctl.mu.Lock()
	defer ctl.mu.Unlock()
	if !ctl.dead {
		ctl.kaTimer.Reset(max(ctl.katoOr(time.Hour)-idle, time.Millisecond))
	}
}

// keepAliveExpired reports whether KATO has passed since the last Keep
// Alive, whether or not the timer has run yet. A target resumed after
// SIGSTOP runs its goroutines in any order, so an I/O worker may wake
// before the timer that would tear the controller down: checking the
// deadline itself right before touching the media is what makes the
// controller stop processing commands once KATO expires (TP4129), the
// promise a host relies on when it retries them on another path.
func (ctl *controller) keepAliveExpired() bool {
	kato := ctl.kato.Load()
	return kato > 0 && monoNow()-ctl.lastKA.Load() >= kato
}

// keepAlive records a Keep Alive command.
func (ctl *controller) keepAlive() { ctl.lastKA.Store(monoNow()) }

// epoch anchors monoNow.
var epoch = time.Now()

// monoNow is nanoseconds on the monotonic clock: a wall-clock step (NTP)
// must neither expire a live controller nor keep a dead one.
func monoNow() int64 { return int64(time.Since(epoch)) }

// setKATO changes the keep-alive timeout (Set Features Keep Alive Timer).
func (ctl *controller) setKATO(d time.Duration) {
	ctl.kato.Store(int64(d))
	ctl.keepAlive()
	ctl.mu.Lock()
	defer ctl.mu.Unlock()
	if ctl.kaTimer != nil && !ctl.dead {
		ctl.kaTimer.Reset(ctl.katoOr(time.Hour))
	}
}

// addQueue attaches a connected queue; false if the QID is taken or the
// controller is gone.
func (ctl *controller) addQueue(c *conn) bool {
	ctl.mu.Lock()
	defer ctl.mu.Unlock()
	if ctl.dead || ctl.queues[c.qid] != nil {
		return false
	}
	ctl.queues[c.qid] = c
	return true
}

// hasIOQueues reports whether an I/O queue is connected. The caller holds
// ctl.mu.
func (ctl *controller) hasIOQueues() bool {
	for qid := range ctl.queues {
		if qid != 0 {
			return true
		}
	}
	return false
}

// queueClosed detaches a queue whose connection ended. Losing the admin
// queue ends the association.
func (ctl *controller) queueClosed(c *conn) {
	ctl.mu.Lock()
	if ctl.queues[c.qid] == c {
		delete(ctl.queues, c.qid)
	}
	if c.qid == 0 {
		ctl.aers = nil
	}
	ctl.mu.Unlock()
	if c.qid == 0 {
		ctl.teardown("admin queue closed")
	}
}

// teardown disconnects every queue and forgets the controller. Idempotent.
func (ctl *controller) teardown(why string) {
	ctl.once.Do(func() {
		ctl.mu.Lock()
		ctl.dead = true
		ctl.enabled.Store(false)
		if ctl.kaTimer != nil {
			ctl.kaTimer.Stop()
		}
		queues := make([]*conn, 0, len(ctl.queues))
		for _, q := range ctl.queues {
			queues = append(queues, q)
		}
		ctl.mu.Unlock()
		ctl.sub.removeController(ctl)
		ctl.sub.t.log.Info("controller removed", "subsystem", ctl.sub.cfg.NQN, "cntlid", ctl.id, "why", why)
		shutdownGroup(queues)
	})
}

// ready reports CC.EN=1 and CSTS.RDY=1: the controller accepts commands
// other than fabrics commands.
func (ctl *controller) ready() bool { return ctl.enabled.Load() }

// property answers Property Get / Property Set.
func (ctl *controller) property(r *request, set bool) {
	off := r.cmd.CDW11
	size := 4
	if r.cmd.CDW10&7 == 1 {
		size = 8
	}
	if nvme.PropertySize(off) != size {
		r.fail(nvme.StatusInvalidField.WithDNR())
		return
	}
	ctl.mu.Lock()
	defer ctl.mu.Unlock()
	if set {
		if off != nvme.PropCC {
			r.fail(nvme.StatusInvalidField.WithDNR())
			return
		}
		ctl.setCC(r.cmd.CDW12)
		return
	}
	var v uint64
	switch off {
	case nvme.PropCAP:
		v = nvme.Capabilities{MQES: MaxQueueDepth - 1, Timeout: 10, CSSNVM: true}.Encode()
	case nvme.PropVS:
		v = uint64(nvme.Version(1, 3, 0))
	case nvme.PropCC:
		v = uint64(ctl.cc)
	case nvme.PropCSTS:
		v = uint64(ctl.csts)
	}
	r.dw0, r.dw1 = uint32(v), uint32(v>>32)
}

// setCC applies a write of the CC property. The controller is ready the
// moment it is enabled; disabling it drops the I/O queues (a reset) and a
// shutdown request completes at once. The caller holds ctl.mu.
func (ctl *controller) setCC(v uint32) {
	old := ctl.cc
	ctl.cc = v
	switch {
	case v&nvme.CCEnable != 0 && old&nvme.CCEnable == 0:
		ctl.csts = nvme.CSTSReady
		ctl.enabled.Store(true)
	case v&nvme.CCEnable == 0 && old&nvme.CCEnable != 0:
		ctl.csts &^= nvme.CSTSReady
		ctl.enabled.Store(false)
		for qid, q := range ctl.queues {
			if qid != 0 {
				q.shutdown()
			}
		}
	}
	if v&nvme.CCShnMask != 0 {
		ctl.csts = ctl.csts&^nvme.CSTSShstMask | nvme.CSTSShstComplete
	}
}

// raiseEvent reports an asynchronous event if the host enabled it and no
// event of its log page is waiting to be read (events coalesce until the
// host reads the log page without RAE, as the specification requires).
func (ctl *controller) raiseEvent(event uint32, aecBit uint32) {
	lid := uint8(event >> 16)
	ctl.mu.Lock()
	if ctl.dead || ctl.aec&aecBit == 0 || ctl.masked[lid] {
		ctl.mu.Unlock()
		return
	}
	ctl.masked[lid] = true
	ctl.pending = append(ctl.pending, event)
	r := ctl.popAERLocked()
	ctl.mu.Unlock()
	if r != nil {
		r.c.complete(r)
	}
}

// postAER holds an Asynchronous Event Request until an event is due.
func (ctl *controller) postAER(r *request) {
	ctl.mu.Lock()
	if len(ctl.aers) >= maxAERs {
		ctl.mu.Unlock()
		r.fail(StatusAERLimitExceeded)
		r.c.complete(r)
		return
	}
	ctl.aers = append(ctl.aers, r)
	done := ctl.popAERLocked()
	ctl.mu.Unlock()
	if done != nil {
		done.c.complete(done)
	}
}

// popAERLocked pairs the oldest pending event with the oldest AER.
func (ctl *controller) popAERLocked() *request {
	if len(ctl.pending) == 0 || len(ctl.aers) == 0 {
		return nil
	}
	r := ctl.aers[0]
	ctl.aers = ctl.aers[1:]
	r.dw0 = ctl.pending[0]
	ctl.pending = ctl.pending[1:]
	return r
}

// logRead unmasks events of a log page once the host read it without RAE.
func (ctl *controller) logRead(lid uint8) {
	ctl.mu.Lock()
	delete(ctl.masked, lid)
	ctl.mu.Unlock()
}
