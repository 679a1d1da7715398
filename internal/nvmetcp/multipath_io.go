package nvmetcp

import (
	"errors"
	"fmt"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// Queues is the number of I/O queues a caller may address: the smallest
// any connected path granted, so a queue index is valid on every path.
func (m *Multipath) Queues() int {
	n := 0
	for _, p := range m.paths {
		p.mu.Lock()
		if p.ctrl != nil && (n == 0 || p.ctrl.Queues() < n) {
			n = p.ctrl.Queues()
		}
		p.mu.Unlock()
	}
	return max(n, 1)
}

// Depth is the outstanding-command limit per queue across paths.
func (m *Multipath) Depth() int {
	d := 0
	for _, p := range m.paths {
		p.mu.Lock()
		if p.ctrl != nil && (d == 0 || p.ctrl.Queue(0).Depth() < d) {
			d = p.ctrl.Queue(0).Depth()
		}
		p.mu.Unlock()
	}
	return max(d, 1)
}

// IdentifyNamespace identifies the namespace through any live path.
func (m *Multipath) IdentifyNamespace() (*nvme.IdentifyNamespace, error) {
	for _, p := range m.paths {
		p.mu.Lock()
		c := p.ctrl
		p.mu.Unlock()
		if c != nil {
			return c.IdentifyNamespace(m.ctx, m.cfg.NSID)
		}
	}
	return nil, ErrNoPath
}

// MaxTransfer is the smallest data transfer limit (MDTS, in bytes) of the
// live paths, 0 when none sets one: a command that size fits whichever
// path it is sent or moved to.
func (m *Multipath) MaxTransfer() int {
	limit := 0
	for _, p := range m.paths {
		p.mu.Lock()
		c := p.ctrl
		p.mu.Unlock()
		if c == nil {
			continue
		}
		if mt := c.Identify().MaxTransfer(); mt > 0 && (limit == 0 || mt < limit) {
			limit = mt
		}
	}
	return limit
}

// pick chooses the path for the next command: optimized paths first, then
// non-optimized, never inaccessible ones.
func (m *Multipath) pick() (*mpath, *Controller) {
	var best []*mpath
	var ctrls []*Controller
	bestRank := 3
	for _, p := range m.paths {
		p.mu.Lock()
		c, ana := p.ctrl, p.ana
		p.mu.Unlock()
		rank := 3
		switch ana {
		case nvme.ANAOptimized:
			rank = 0
		case nvme.ANANonOptimized:
			rank = 1
		}
		if c == nil || rank == 3 {
			continue
		}
		if rank < bestRank {
			best, ctrls, bestRank = best[:0], ctrls[:0], rank
		}
		if rank == bestRank {
			best, ctrls = append(best, p), append(ctrls, c)
		}
	}
	if len(best) == 0 {
		return nil, nil
	}
	i := 0
	switch m.cfg.Policy {
	case PolicyRoundRobin:
		m.mu.Lock()
		m.rr++
		i = m.rr % len(best)
		m.mu.Unlock()
	case PolicyQueueDepth:
		for j := range best {
			if best[j].inflight.Load() < best[i].inflight.Load() {
				i = j
			}
		}
	}
	return best[i], ctrls[i]
}

// send submits mr on path p's controller c, counting it in flight there.
func (m *Multipath) send(p *mpath, c *Controller, mr *mpReq) error {
	mr.path = p
	p.inflight.Add(1)
	err := c.Queue(mr.queue % c.Queues()).Submit(&mr.inner)
	if err != nil {
		p.inflight.Add(-1)
		mr.path = nil
	}
	return err
}

// Submit sends r on queue index q of the best path. ErrQueueFull is
// returned synchronously, like Queue.Submit; otherwise r.Done is called
// exactly once, after any requeueing.
func (m *Multipath) Submit(q int, r *Request) error {
	mr := m.reqs.Get().(*mpReq)
	mr.user, mr.queue, mr.deadline = r, q, time.Time{}
	mr.inner.Opcode, mr.inner.NSID, mr.inner.SLBA, mr.inner.NLB, mr.inner.Buf = r.Opcode, r.NSID, r.SLBA, r.NLB, r.Buf
	p, c := m.pick()
	if c == nil {
		m.park(mr)
		return nil
	}
	if err := m.send(p, c, mr); err != nil {
		if errors.Is(err, ErrQueueFull) {
			m.reqs.Put(mr)
			return err
		}
		m.park(mr)
	}
	return nil
}

// complete receives a path's completion: path failures and path statuses
// go to another path, everything else back to the caller.
func (m *Multipath) complete(in *Request) {
	mr := in.User.(*mpReq)
	if mr.path != nil {
		mr.path.inflight.Add(-1)
		mr.path = nil
	}
	// Transport failures of any kind (the controller going down, a timeout,
	// a termination) and path statuses go to another path; only an NVMe
	// status about the command itself reaches the caller, as in Linux.
	var se *StatusError
	isStatus := errors.As(in.Err, &se)
	pathErr := (in.Err != nil && !isStatus) || (isStatus && se.Status.IsPathError())
	if pathErr {
		if isStatus {
			for _, p := range m.paths {
				go m.refreshANA(p)
			}
		}
		m.park(mr)
		return
	}
	m.finish(mr, in.Status, in.DW0, in.Err)
}

func (m *Multipath) finish(mr *mpReq, st nvme.Status, dw0 uint32, err error) {
	u := mr.user
	u.Status, u.DW0, u.Err = st, dw0, err
	mr.user, mr.inner.Buf, mr.inner.Err = nil, nil, nil
	m.reqs.Put(mr)
	u.Done(u)
}

// park holds a request until a path can take it or FastIOFailTmo passes.
func (m *Multipath) park(mr *mpReq) {
	if mr.deadline.IsZero() {
		mr.deadline = time.Now().Add(m.cfg.FastIOFailTmo)
	}
	m.mu.Lock()
	m.waiting = append(m.waiting, mr)
	m.mu.Unlock()
	m.wake()
}

func (m *Multipath) wake() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// retryLoop resubmits parked requests whenever a path may have become
// usable, and fails the ones past their deadline.
func (m *Multipath) retryLoop() {
	defer m.wg.Done()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-m.ctx.Done():
			m.failWaiting(ErrClosed)
			return
		case <-m.kick:
		case <-tick.C:
		}
		m.retry()
	}
}

func (m *Multipath) retry() {
	m.mu.Lock()
	batch := m.waiting
	m.waiting = nil
	m.mu.Unlock()
	var keep []*mpReq
	for i, mr := range batch {
		p, c := m.pick()
		if c == nil {
			if time.Now().After(mr.deadline) {
				m.finish(mr, 0, 0, fmt.Errorf("after %v: %w", m.cfg.FastIOFailTmo, ErrNoPath))
				continue
			}
			keep = append(keep, mr)
			continue
		}
		if err := m.send(p, c, mr); err != nil {
			keep = append(keep, batch[i:]...)
			break
		}
		if m.cfg.OnEvent != nil && i == 0 {
			m.cfg.OnEvent(PathEvent{At: time.Now(), Kind: "requeue", Path: "any", Detail: fmt.Sprintf("%d I/Os", len(batch))})
		}
	}
	if len(keep) > 0 {
		m.mu.Lock()
		m.waiting = append(keep, m.waiting...)
		m.mu.Unlock()
	}
}

func (m *Multipath) failWaiting(err error) {
	m.mu.Lock()
	batch := m.waiting
	m.waiting = nil
	m.mu.Unlock()
	for _, mr := range batch {
		m.finish(mr, 0, 0, err)
	}
}

// Close disconnects every path and fails what is still waiting.
func (m *Multipath) Close() error {
	m.stop()
	for _, p := range m.paths {
		p.mu.Lock()
		if p.ctrl != nil {
			_ = p.ctrl.Close()
		}
		p.mu.Unlock()
	}
	m.wg.Wait()
	return nil
}
