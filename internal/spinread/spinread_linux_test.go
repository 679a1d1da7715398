package spinread

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(); _ = s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// TestSpinReaderReadsLikeConn checks that the spinning reader returns what
// net.Conn.Read would: data written before or after the read starts (hot
// and cold), EOF after the peer's close, the deadline error after a read
// deadline, and net.ErrClosed after a local close.
func TestSpinReaderReadsLikeConn(t *testing.T) {
	tests := []struct {
		name    string
		spin    time.Duration
		hot     bool
		act     func(peer, self *net.TCPConn) // runs while the read waits
		want    string
		wantErr error
	}{
		{"data within the spin", time.Second, true, func(p, _ *net.TCPConn) { _, _ = p.Write([]byte("abc")) }, "abc", nil},
		{"data after a park", time.Microsecond, true, func(p, _ *net.TCPConn) {
			time.Sleep(10 * time.Millisecond)
			_, _ = p.Write([]byte("late"))
		}, "late", nil},
		{"cold: no spin", time.Second, false, func(p, _ *net.TCPConn) { _, _ = p.Write([]byte("x")) }, "x", nil},
		{"peer closed", time.Microsecond, true, func(p, _ *net.TCPConn) { _ = p.Close() }, "", io.EOF},
		{"read deadline", time.Microsecond, true, func(_, s *net.TCPConn) {
			_ = s.SetReadDeadline(time.Now().Add(time.Millisecond))
		}, "", os.ErrDeadlineExceeded},
		{"local close", time.Microsecond, true, func(_, s *net.TCPConn) {
			time.Sleep(10 * time.Millisecond)
			_ = s.Close()
		}, "", net.ErrClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			peer, self := tcpPair(t)
			r, ok := New(self, tc.spin).(*reader)
			if !ok {
				t.Fatal("New did not wrap a TCP connection")
			}
			r.hot = tc.hot
			go tc.act(peer, self)
			buf := make([]byte, 16)
			n, err := r.Read(buf)
			if !errors.Is(err, tc.wantErr) || string(buf[:n]) != tc.want {
				t.Fatalf("Read = %q, %v; want %q, %v", buf[:n], err, tc.want, tc.wantErr)
			}
		})
	}
}

// TestSpinReaderCoolsDown checks that a reader stops spinning after a wait
// longer than its spin and spins again after a short one: an idle host
// costs one spin, a busy one keeps the reader from parking.
func TestSpinReaderCoolsDown(t *testing.T) {
	const spin = 200 * time.Millisecond
	peer, self := tcpPair(t)
	r := New(self, spin).(*reader)
	buf := make([]byte, 1)
	for i, s := range []struct {
		delay   time.Duration // before the peer writes
		wantHot bool
	}{
		{spin + 100*time.Millisecond, false},
		{time.Millisecond, true},
		{spin + 100*time.Millisecond, false},
	} {
		go func() { time.Sleep(s.delay); _, _ = peer.Write([]byte{byte(i)}) }()
		if _, err := r.Read(buf); err != nil {
			t.Fatal(err)
		}
		if r.hot != s.wantHot {
			t.Fatalf("step %d: hot = %v after a wait of %v, want %v", i, r.hot, s.delay, s.wantHot)
		}
	}
}
