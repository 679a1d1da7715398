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

// release unlocks and makes sure what was queued gets flushed: inline
// (blocking the caller in writev) or by the writer goroutine.
func (s *sender) release(inline bool) {
	if s.flushing || s.cur.Buffered() == 0 {
		s.mu.Unlock()
		return
	}
	s.flushing = true
	if !inline {
		s.mu.Unlock()
		s.kick <- struct{}{} // never blocks: one kick per flushing=true
		return
	}
	s.drain()
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
