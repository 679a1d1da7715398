package nvmetcp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// Polled I/O queues (Config.PolledIO) have no reader goroutine: whoever
// waits for their commands reads the socket itself, in Poll, and the
// commands' Done run on that goroutine. An I/O engine that keeps a queue
// busy then receives, parses, completes, resubmits and sends in one loop
// on one goroutine, as SPDK's pollers do, instead of handing every batch
// of completions from the reader goroutine to the submitter over a
// channel and a goroutine switch (on one CPU, several per batch).

// Polled reports whether q is a polled queue: its commands complete only
// while someone calls Poll.
func (q *Queue) Polled() bool { return q.polled }

// Poll reads what the controller sent on a polled queue and completes the
// commands it answers, calling their Done on the calling goroutine. It
// waits for the socket (spinning for up to Config.ReadSpin, then parking)
// until ready reports true, at least one command completed, deadline
// passed (zero: no deadline) or the queue failed; it then returns after
// handling every PDU already received, having sent what Done callbacks
// submitted. ready (nil: never) lets a caller sharing the queue stop
// waiting once another caller's Poll completed its command; callers take
// turns.
//
// Poll returns an error wrapping ErrControllerDown once the queue has
// failed: every command outstanding on it has then been completed with
// that error, and polling it again is pointless. On a queue that is not
// polled it returns an error wrapping ErrInvalidRequest.
func (q *Queue) Poll(ready func() bool, deadline time.Time) error {
	if !q.polled {
		return errNotPolled
	}
	q.pollMu.Lock()
	defer q.pollMu.Unlock()
	if q.stopped {
		return q.ctrl.downErr()
	}
	start := q.completed
	for {
		if q.rd.Buffered() == 0 {
			// Send what Done callbacks resubmitted before waiting: the
			// controller answers nothing it has not received.
			q.snd.flushIdle(idleFlushLimit)
			if q.completed != start || ready != nil && ready() {
				return nil
			}
			if !deadline.IsZero() {
				timedOut, err := q.fillBy(deadline)
				if err != nil {
					q.stop(err)
					return q.ctrl.downErr()
				}
				if timedOut {
					return nil
				}
			}
		}
		h, err := q.rd.Next()
		if err == nil {
			err = q.handle(h)
		}
		if err != nil {
			q.stop(err)
			return q.ctrl.downErr()
		}
	}
}

var errNotPolled = fmt.Errorf("%w: Poll on a queue with a reader goroutine", ErrInvalidRequest)

// fillBy waits for the socket until deadline. A deadline that passes
// consumes nothing (pdu.Reader.Fill), so the stream stays in step.
func (q *Queue) fillBy(deadline time.Time) (timedOut bool, err error) {
	if err := q.conn.SetReadDeadline(deadline); err != nil {
		return false, err
	}
	err = q.rd.Fill()
	if cerr := q.conn.SetReadDeadline(time.Time{}); err == nil {
		err = cerr
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true, nil
	}
	return false, err
}

// stopPolled fails a polled queue's outstanding commands after the
// controller failed, unless a Poll did so already: nobody may be polling
// to notice that the connection is gone.
func (q *Queue) stopPolled() {
	q.pollMu.Lock()
	defer q.pollMu.Unlock()
	if !q.stopped {
		q.stop(ErrClosed)
	}
}

// pollSlice bounds each Poll of await, so that it notices ctx.
const pollSlice = 10 * time.Millisecond

// await waits for and takes the signal a command's Done sends on ch
// (buffered), or returns ctx's error first. On a polled queue it polls.
func (q *Queue) await(ctx context.Context, ch chan struct{}) error {
	if !q.polled {
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ready := func() bool { return len(ch) > 0 }
	for !ready() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := q.Poll(ready, time.Now().Add(pollSlice)); err != nil && !ready() {
			return err
		}
	}
	<-ch
	return nil
}
