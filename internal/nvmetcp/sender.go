package nvmetcp

import (
	"sync"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp/pdu"
)

// sender coalesces PDUs queued by concurrent goroutines into few writev
// calls. Two pdu.Writers alternate: while one is being flushed (without the
// lock), new PDUs go into the other. Whoever finds no flush in progress
// becomes the flusher: either inline, when the caller may block on the
// socket, or the writer goroutine (run), when it must not (the reader
// goroutine answering an R2T or submitting from a completion callback:
// blocking it on a full socket could deadlock with a target that waits for
// us to read).
type sender struct {
	mu       sync.Mutex
	cur      *pdu.Writer // accepts PDUs
	spare    *pdu.Writer // being flushed, or idle
	flushing bool
	err      error // first write error; later PDUs are dropped
	kick     chan struct{}
	onErr    func(error)
}

func newSender(w, spare *pdu.Writer, onErr func(error)) *sender {
	return &sender{cur: w, spare: spare, kick: make(chan struct{}, 1), onErr: onErr}
}

// lock returns the writer to queue PDUs into; release must follow.
func (s *sender) lock() *pdu.Writer {
	s.mu.Lock()
	return s.cur
}

// flushMode says who sends what a caller queued.
type flushMode uint8

const (
	flushInline flushMode = iota // the caller, blocking in writev if need be
	flushKick                    // the writer goroutine
	flushDefer                   // a later flushIdle (the queue's reader)
)

// release unlocks and makes sure what was queued gets flushed.
func (s *sender) release(mode flushMode) {
	if mode == flushDefer || s.flushing || s.cur.Buffered() == 0 {
		s.mu.Unlock()
		return
	}
	s.flushing = true
	if mode == flushKick {
		s.mu.Unlock()
		s.kick <- struct{}{} // never blocks: one kick per flushing=true
		return
	}
	s.drain()
}

// flushIdle is called by a reader about to block on its socket: it sends
// what was deferred itself when that is at most limit bytes (command
// capsules resubmitted from callbacks: saves a goroutine hand-off per I/O),
// and leaves more to the writer goroutine. Should the socket be full
// because the peer stopped reading, the timeout watcher closes it, which
// ends the write.
func (s *sender) flushIdle(limit int) {
	s.mu.Lock()
	n := s.cur.Buffered()
	if s.flushing || n == 0 {
		s.mu.Unlock()
		return
	}
	mode := flushInline
	if n > limit {
		mode = flushKick
	}
	s.release(mode)
}

// drain flushes until nothing is queued. Called with mu held and flushing
// set; returns with mu released.
func (s *sender) drain() {
	var err error
	for s.cur.Buffered() > 0 && s.err == nil {
		w := s.cur
		s.cur, s.spare = s.spare, w
		s.mu.Unlock()
		err = w.Flush()
		s.mu.Lock()
		if err != nil && s.err == nil {
			s.err = err
		} else {
			err = nil
		}
	}
	if s.err != nil {
		s.cur.Reset() // the connection is dead: never send half a stream
	}
	s.flushing = false
	s.mu.Unlock()
	if err != nil && s.onErr != nil {
		s.onErr(err)
	}
}

// run is the writer goroutine: it flushes on behalf of callers that passed
// inline=false, until done is closed.
func (s *sender) run(done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case <-s.kick:
			s.mu.Lock()
			s.drain()
		}
	}
}
