package rpcrelay

import (
	"bufio"
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"
)

// A relay listens only once its socket accepts connections, and then
// carries each TCP connection's bytes to the socket and the answers back,
// one socket connection per TCP connection.
func TestRelayCarriesBytesBothWays(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "spdk.sock")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan net.Addr, 1)
	r := &Relay{Unix: sock, Listen: "127.0.0.1:0", Ready: func(a net.Addr) { ready <- a }}
	served := make(chan error, 1)
	go func() { served <- r.Serve(ctx) }()
	select {
	case a := <-ready:
		t.Fatalf("listening on %s before the socket exists", a)
	case <-time.After(300 * time.Millisecond):
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // an echo server that answers each line with "ok <line>"
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					if _, err := c.Write([]byte("ok " + sc.Text() + "\n")); err != nil {
						return
					}
				}
			}()
		}
	}()
	var addr net.Addr
	select {
	case addr = <-ready:
	case <-time.After(5 * time.Second):
		t.Fatal("the relay never listened once the socket existed")
	}
	for _, msg := range []string{`{"method":"spdk_get_version"}`, "second connection"} {
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte(msg + "\n")); err != nil {
			t.Fatal(err)
		}
		_ = c.(*net.TCPConn).CloseWrite() // the answer must still come back
		got, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil || got != "ok "+msg+"\n" {
			t.Errorf("answer %q (%v), want %q", got, err, "ok "+msg+"\n")
		}
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve after cancel: %v", err)
	}
}
