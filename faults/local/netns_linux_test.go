package local

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nsPair is two network namespaces joined by a veth pair: "host" plays the
// harness, "node" a target node. Addresses are in 198.18.0.0/15.
type nsPair struct {
	host, node         string // namespace names
	hostDev, nodeDev   string
	hostAddr, nodeAddr netip.Addr
	runID              string
}

func needRootNetns(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces")
	}
	for _, b := range []string{"ip", "nft", "tc"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("needs %s (apt-get install -y nftables iproute2)", b)
		}
	}
}

// newNSPair creates the namespaces, deleted at cleanup.
func newNSPair(t *testing.T) *nsPair {
	t.Helper()
	needRootNetns(t)
	var b [3]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	p := &nsPair{
		host: "nvc" + id + "h", node: "nvc" + id + "n",
		hostDev: "nvc" + id + "h", nodeDev: "nvc" + id + "n",
		hostAddr: netip.MustParseAddr("198.18.0.1"), nodeAddr: netip.MustParseAddr("198.18.0.2"),
		runID: "t" + id,
	}
	t.Cleanup(func() {
		for _, ns := range []string{p.host, p.node} {
			_ = exec.Command("ip", "netns", "del", ns).Run()
		}
	})
	for _, argv := range [][]string{
		{"ip", "netns", "add", p.host},
		{"ip", "netns", "add", p.node},
		{"ip", "link", "add", p.hostDev, "netns", p.host, "type", "veth", "peer", "name", p.nodeDev, "netns", p.node},
		{"ip", "-n", p.host, "addr", "add", p.hostAddr.String() + "/24", "dev", p.hostDev},
		{"ip", "-n", p.node, "addr", "add", p.nodeAddr.String() + "/24", "dev", p.nodeDev},
		{"ip", "-n", p.host, "link", "set", p.hostDev, "up"},
		{"ip", "-n", p.node, "link", "set", p.nodeDev, "up"},
		{"ip", "-n", p.host, "link", "set", "lo", "up"},
		{"ip", "-n", p.node, "link", "set", "lo", "up"},
	} {
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v: %s", argv, err, out)
		}
	}
	return p
}

func (p *nsPair) nodeNet() NodeNet { return NodeNet{RunID: p.runID, Node: "tgt-a", Netns: p.node} }

// inNetns runs fn on an OS thread switched into namespace ns. Sockets
// created by fn stay in ns for their whole life.
func inNetns(ns string, fn func() error) error {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer orig.Close()
	target, err := os.Open("/run/netns/" + ns)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer target.Close()
	if err := setns(target); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("setns %s: %w", ns, err)
	}
	fnErr := fn()
	if err := setns(orig); err != nil {
		// Leave the thread locked: the runtime discards it when the
		// goroutine ends, instead of reusing a thread in the wrong namespace.
		return errors.Join(fnErr, fmt.Errorf("setns back: %w", err))
	}
	runtime.UnlockOSThread()
	return fnErr
}

// sysSetns is setns(2)'s number on amd64; the syscall package lacks it.
const sysSetns = 308

func setns(f *os.File) error {
	if runtime.GOARCH != "amd64" {
		return fmt.Errorf("setns: syscall number unknown on %s", runtime.GOARCH)
	}
	_, _, errno := syscall.RawSyscall(sysSetns, f.Fd(), syscall.CLONE_NEWNET, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// serve listens on port in namespace ns and answers each connection's
// 8-byte big-endian count with that many bytes, until cleanup.
func serve(t *testing.T, ns string, addr netip.Addr, port uint16) {
	t.Helper()
	var ln net.Listener
	err := inNetns(ns, func() (err error) {
		ln, err = net.Listen("tcp", netip.AddrPortFrom(addr, port).String())
		return err
	})
	if err != nil {
		t.Fatalf("listen in %s: %v", ns, err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go answer(c)
		}
	}()
}

func answer(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	var req [8]byte
	if _, err := io.ReadFull(c, req[:]); err != nil {
		return
	}
	n := min(binary.BigEndian.Uint64(req[:]), 64<<20)
	_, _ = io.CopyN(c, zeroReader{}, int64(n))
}

type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) { clear(b); return len(b), nil }

// fetch connects from namespace ns to addr, asks for n bytes and reads them,
// all within limit.
func fetch(ns string, addr netip.AddrPort, n int64, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var c net.Conn
	err := inNetns(ns, func() (err error) {
		c, err = (&net.Dialer{}).DialContext(ctx, "tcp", addr.String())
		return err
	})
	if err != nil {
		return err
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	_ = c.SetDeadline(deadline)
	var req [8]byte
	binary.BigEndian.PutUint64(req[:], uint64(n))
	if _, err := c.Write(req[:]); err != nil {
		return err
	}
	got, err := io.Copy(io.Discard, c)
	if err == nil && got != n {
		err = fmt.Errorf("got %d bytes, want %d", got, n)
	}
	return err
}

// reachable reports whether a small fetch from host to node port succeeds
// within a second.
func (p *nsPair) reachable(port uint16) error {
	return fetch(p.host, netip.AddrPortFrom(p.nodeAddr, port), 1, time.Second)
}

// nodeTables lists the harness's tables in the node's namespace.
func (p *nsPair) nodeTables(t *testing.T) []string {
	t.Helper()
	tables, err := nftTables(context.Background(), p.node)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tb := range tables {
		if strings.HasPrefix(tb[1], tableRoot) {
			out = append(out, tb[1])
		}
	}
	return out
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}
