package nvmetcp

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// startKeepAlive sends Keep Alive every KATO/2. Each must complete within
// KATO: past that the target has expired us anyway, and the timeout watcher
// fails the controller with ErrTimeout.
func (c *Controller) startKeepAlive() {
	if c.cfg.KATO <= 0 {
		return
	}
	if c.kato == 0 {
		c.kato = c.cfg.KATO
	}
	interval := min(c.cfg.KATO, c.kato) / 2
	var busy atomic.Bool
	ka := adminRequest(nvme.AdminKeepAlive, dirNone, nil)
	ka.timeout = c.cfg.KATO
	ka.Done = func(r *Request) {
		if r.Err != nil && !errors.Is(r.Err, ErrControllerDown) {
			c.fail(fmt.Errorf("keep alive: %w", r.Err))
		}
		busy.Store(false)
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-c.done:
				return
			case <-t.C:
			}
			if busy.Swap(true) {
				continue // the previous one is late; the timeout watcher judges it
			}
			if err := c.admin.submit(ka); err != nil {
				busy.Store(false)
			}
		}
	}()
}

// startEvents enables the notices the controller offers that a multipath
// host cares about and posts one Async Event Request. Each event is handed
// to OnEvent on the event goroutine, which then posts the AER again: at
// most one event is ever pending, so the reader never blocks on it.
func (c *Controller) startEvents(ctx context.Context) {
	if cfg := c.ident.OAES & (nvme.OAESNSAttribute | nvme.OAESANAChange); cfg != 0 {
		// Failure is tolerated: events are an optimisation, not a requirement.
		_, _ = c.features(ctx, true, nvme.FeatureAsyncEventConfig, cfg)
	}
	aer := adminRequest(nvme.AdminAsyncEventReq, dirNone, nil)
	aer.timeout = -1 // held by the controller until something happens
	aer.Done = func(r *Request) {
		if r.Err == nil {
			c.events <- Event{AsyncEvent: nvme.ParseAsyncEvent(r.DW0), DW0: r.DW0}
		}
	}
	if err := c.admin.submit(aer); err != nil {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			select {
			case <-c.done:
				return
			case ev := <-c.events:
				if c.cfg.OnEvent != nil {
					c.cfg.OnEvent(ev)
				}
				if c.admin.submit(aer) != nil {
					return
				}
			}
		}
	}()
}
