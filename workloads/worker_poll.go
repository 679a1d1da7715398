package workloads

import "time"

// The two ways a worker waits for its completions by polling instead of
// sleeping: a queue it drives (PollDevice, io_uring) and a queue it reads
// itself (CallerPolledDevice, nvme+tcp).

// poll sends the held ops and reaps completions on the worker's own
// goroutine, waiting in the kernel for one, or for the pacer. It does not
// watch ctx: ops complete, and run drains them before it returns anyway.
func (w *worker) poll() *Op {
	wait := time.Duration(-1)
	if !w.stopping && w.wakeNs > 0 {
		wait = max(time.Duration(w.wakeNs-w.e.now()), 0)
	}
	w.drv.Poll(wait)
	select {
	case op := <-w.comp:
		return op
	default:
		return nil
	}
}

// pollNext is next for a polled queue: the worker reads its completions
// itself. ctx is checked between polls only: while every op is out no new
// one would be issued anyway, and they complete or time out.
func (w *worker) pollNext(done <-chan struct{}) *Op {
	var deadline time.Time
	if !w.stopping && w.wakeNs > 0 {
		deadline = w.e.start.Add(time.Duration(w.wakeNs))
	}
	for {
		w.polled.Poll(w.ops[0].Queue, w.ready, deadline)
		select {
		case op := <-w.comp:
			return op
		default:
		}
		if !w.cancelled {
			select {
			case <-done:
				w.cancelled, w.stopping = true, true
				return nil
			default:
			}
		}
		if !deadline.IsZero() && w.e.now() >= w.wakeNs {
			return nil // the pacer's time
		}
	}
}
