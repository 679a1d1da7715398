package scenarios

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/poll"
)

// TestConnectNamesWhatItWaitedFor: a node whose RPC never answers fails
// the wait with what was awaited and the last reason, not a bare
// "context deadline exceeded".
func TestConnectNamesWhatItWaitedFor(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()                                                                     // nobody answers there now
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond) // shorter than rpcWait
	defer cancel()
	n := &runNode{name: "tgt-a", mgmt: addr}
	err = n.connect(ctx)
	want := "waiting for node tgt-a's target RPC " + addr + " to answer"
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "(last: ") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("connect: %v, want %q with the last reason", err, want)
	}
	if errors.Is(err, poll.ErrTimeout) {
		t.Errorf("the caller's deadline reported as the wait's own timeout: %v", err)
	}
}
