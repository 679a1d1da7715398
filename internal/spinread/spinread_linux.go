package spinread

import (
	"io"
	"net"
	"os"
	"runtime"
	"syscall"
	"time"
)

// reader reads a TCP connection like net.Conn.Read, except that when
// no data is waiting it first polls the socket for up to spin, yielding
// the P between polls, and parks in the netpoller only after that.
//
// Why: on a QD1 stream the next command arrives a round trip after the
// completion went out. Parking meanwhile idles the CPU, and a VM's idle
// vCPU wakes slowly; with GOMAXPROCS=1 (one CPU, a pod with a 1-CPU limit)
// every I/O pays that wake. SPDK never parks; this parks only when the
// peer is slower than spin. It spins only while the connection is hot (the
// last wait was shorter than spin), so an idle or slow peer costs one
// spin, not one per I/O.
//
// One goroutine reads at a time (the conn's reader owns it).
type reader struct {
	rc   syscall.RawConn
	spin time.Duration
	hot  bool

	// Per-Read state, fields so that the callback bound once in poll
	// allocates nothing per call.
	buf    []byte
	n      int
	err    error
	waited time.Time // when the current Read first found nothing
	poll   func(fd uintptr) bool
}

// New returns a reader of nc that spins before parking, or nc
// itself when spin is 0 or nc is not a TCP connection.
func New(nc net.Conn, spin time.Duration) io.Reader {
	tc, ok := nc.(*net.TCPConn)
	if !ok || spin <= 0 {
		return nc
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nc
	}
	s := &reader{rc: rc, spin: spin, hot: true}
	s.poll = s.try
	return s
}

func (s *reader) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	s.buf, s.n, s.err, s.waited = b, 0, nil, time.Time{}
	err := s.rc.Read(s.poll)
	s.buf = nil
	if err != nil { // deadline, closed: the netpoller's own errors
		return 0, err
	}
	return s.n, s.err
}

// try is the RawConn callback: true when it has a result for Read, false
// to park until the socket is readable.
func (s *reader) try(fd uintptr) bool {
	for {
		n, err := syscall.Read(int(fd), s.buf)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
		case err != nil:
			s.err = os.NewSyscallError("read", err)
			return true
		case n == 0:
			s.err = io.EOF
			return true
		default:
			s.n = n
			if !s.waited.IsZero() {
				// Hot when the data came within spin of the first miss,
				// whether the spin caught it or the park just missed it.
				s.hot = time.Since(s.waited) <= s.spin
			}
			return true
		}
		if s.waited.IsZero() {
			s.waited = time.Now()
		}
		if !s.hot || time.Since(s.waited) > s.spin {
			return false
		}
		// Let the writer and other connections run: with one P the
		// completion this queue just produced is sent meanwhile.
		runtime.Gosched()
	}
}
