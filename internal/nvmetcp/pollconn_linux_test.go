package nvmetcp

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"time"
)

// pollSpin bounds one busy poll of pollConn before it parks, so that a
// closed or idle connection does not hold a CPU.
const pollSpin = 2 * time.Millisecond

// pollConn is a TCP connection whose reads busy-poll the socket instead of
// parking in the netpoller, as SPDK's spdk_nvme_perf polls its qpairs: a
// host that never sleeps, so a benchmark of the target measures the
// target's wake-ups, not the host's.
type pollConn struct {
	*net.TCPConn
	rc syscall.RawConn
}

// dialPolled is a Config.Dialer returning pollConns.
func dialPolled(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc := c.(*net.TCPConn)
	rc, err := tc.SyscallConn()
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	return &pollConn{TCPConn: tc, rc: rc}, nil
}

func (p *pollConn) Read(b []byte) (int, error) {
	var n int
	var rerr error
	err := p.rc.Read(func(fd uintptr) bool {
		deadline := time.Now().Add(pollSpin)
		for i := 0; ; i++ {
			n, rerr = syscall.Read(int(fd), b)
			if !errors.Is(rerr, syscall.EAGAIN) {
				return true
			}
			if i%256 == 255 && time.Now().After(deadline) {
				return false
			}
		}
	})
	if err != nil {
		return 0, err
	}
	if rerr == nil && n == 0 {
		return 0, io.EOF
	}
	return n, rerr
}
