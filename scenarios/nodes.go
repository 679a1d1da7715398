package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults/local"
	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
)

// targetNode is one storage node of a local run: an embedded target
// process on loopback, provisioned over its RPC socket. It implements
// local.Process so process faults act on it, and its Start re-provisions
// what the node exported, as a real array's configuration would on reboot.
type targetNode struct {
	name    string
	sock    string
	logPath string
	proc    *local.ExecProcess
	logFile *os.File

	mu          sync.Mutex
	rpc         *rpc.Client
	reprovision func(ctx context.Context) error // set once volumes exist
}

var _ local.Process = (*targetNode)(nil)

// startNode launches `<binary> target --rpc-socket` for node in dir and
// waits until its RPC answers.
func startNode(ctx context.Context, binary, dir, name string) (*targetNode, error) {
	n := &targetNode{name: name, sock: filepath.Join(dir, name+".sock"), logPath: filepath.Join(dir, "logs", name+"-target.log")}
	if err := os.MkdirAll(filepath.Dir(n.logPath), 0o755); err != nil {
		return nil, fmt.Errorf("node %s: %w", name, err)
	}
	f, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("node %s: log: %w", name, err)
	}
	n.logFile = f
	n.proc = local.NewExecProcess(binary, "target", "--rpc-socket", n.sock, "--log-level", "info")
	n.proc.Stdout, n.proc.Stderr = f, f
	if err := n.startTarget(ctx); err != nil {
		n.stop()
		return nil, err
	}
	return n, nil
}

// startTarget starts the process and connects to its RPC socket.
func (n *targetNode) startTarget(ctx context.Context) error {
	if err := n.proc.Start(ctx); err != nil {
		return fmt.Errorf("node %s: start target: %w", n.name, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := rpc.Dial(ctx, n.sock, rpc.WithTimeout(10*time.Second))
		if err == nil {
			if _, err = c.SpdkGetVersion(ctx); err == nil {
				n.mu.Lock()
				if n.rpc != nil {
					_ = n.rpc.Close()
				}
				n.rpc = c
				n.mu.Unlock()
				return nil
			}
			_ = c.Close()
		}
		if time.Now().After(deadline) || n.proc.PID() == 0 {
			return fmt.Errorf("node %s: target not answering on %s (log %s): %w", n.name, n.sock, n.logPath, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// RPC is the node's current RPC client (a new one after each restart).
func (n *targetNode) RPC() *rpc.Client {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.rpc
}

func (n *targetNode) PID() int                   { return n.proc.PID() }
func (n *targetNode) Signal(sig os.Signal) error { return n.proc.Signal(sig) }
func (n *targetNode) Kill() error                { return n.proc.Kill() }
func (n *targetNode) Wait(ctx context.Context) error {
	return n.proc.Wait(ctx)
}

// Start restarts the target after a fault stopped it and restores the
// node's volumes on it.
func (n *targetNode) Start(ctx context.Context) error {
	if err := n.startTarget(ctx); err != nil {
		return err
	}
	n.mu.Lock()
	re := n.reprovision
	n.mu.Unlock()
	if re == nil {
		return nil
	}
	if err := re(ctx); err != nil {
		return fmt.Errorf("node %s: re-provision after restart: %w", n.name, err)
	}
	return nil
}

// stop kills the target and releases the node's files. Idempotent.
func (n *targetNode) stop() {
	n.mu.Lock()
	if n.rpc != nil {
		_ = n.rpc.Close()
		n.rpc = nil
	}
	n.mu.Unlock()
	if n.proc.PID() != 0 {
		_ = n.proc.Signal(os.Interrupt)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := n.proc.Wait(ctx); err != nil {
			_ = n.proc.Kill()
			_ = n.proc.Wait(context.Background())
		}
		cancel()
	}
	if n.logFile != nil {
		_ = n.logFile.Close()
		n.logFile = nil
	}
	_ = os.Remove(n.sock)
}

// freePort returns a loopback address with a port nothing listens on.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// nodeRPC is a node's API for faults, resolved at each call: a target
// restart replaces the client.
type nodeRPC struct{ n *targetNode }

func (r nodeRPC) client() (*rpc.Client, error) {
	if c := r.n.RPC(); c != nil {
		return c, nil
	}
	return nil, fmt.Errorf("node %s: %w", r.n.name, errors.New("target RPC unavailable"))
}

func (r nodeRPC) NvmfSubsystemListenerSetAnaState(ctx context.Context, p rpc.NvmfSubsystemListenerSetAnaStateParams) error {
	c, err := r.client()
	if err != nil {
		return err
	}
	return c.NvmfSubsystemListenerSetAnaState(ctx, p)
}

func (r nodeRPC) NvmfSubsystemAddListener(ctx context.Context, p rpc.NvmfSubsystemListenerParams) error {
	c, err := r.client()
	if err != nil {
		return err
	}
	return c.NvmfSubsystemAddListener(ctx, p)
}

func (r nodeRPC) NvmfSubsystemRemoveListener(ctx context.Context, p rpc.NvmfSubsystemListenerParams) error {
	c, err := r.client()
	if err != nil {
		return err
	}
	return c.NvmfSubsystemRemoveListener(ctx, p)
}

func (r nodeRPC) BdevDelayUpdateLatency(ctx context.Context, p rpc.BdevDelayUpdateLatencyParams) error {
	c, err := r.client()
	if err != nil {
		return err
	}
	return c.BdevDelayUpdateLatency(ctx, p)
}

func (r nodeRPC) BdevErrorInjectError(ctx context.Context, p rpc.BdevErrorInjectErrorParams) error {
	c, err := r.client()
	if err != nil {
		return err
	}
	return c.BdevErrorInjectError(ctx, p)
}
