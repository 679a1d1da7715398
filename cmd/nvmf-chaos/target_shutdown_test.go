package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/targettest"
	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
	"github.com/nvmf-chaos/nvmf-chaos/provision/volume"
)

// TestTargetSIGTERMFailsNoIOWithMediaErrors stops a provisioned target
// process (SIGTERM, a graceful restart's first half) under read load on a
// file volume. Commands may end with the connection, which a multipath
// host retries elsewhere, but never with an NVMe media error, which no
// host retries: the target must not close its bdevs under running I/O.
func TestTargetSIGTERMFailsNoIOWithMediaErrors(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "rpc.sock")
	proc := exec.Command(os.Args[0], "target", "--rpc-socket", sock, "--log-level", "warn")
	proc.Env = append(os.Environ(), beMainEnv+"=1")
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- proc.Wait() }()
	t.Cleanup(func() { _ = proc.Process.Kill() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dialRPC(ctx, t, sock)
	defer c.Close()
	if err := c.NvmfCreateTransport(ctx, rpc.NvmfCreateTransportParams{Trtype: "TCP"}); err != nil {
		t.Fatal(err)
	}
	addr := targettest.FreeAddr(t)
	v, err := volume.Create(ctx, volume.Spec{Name: "v", RunID: "sigterm", Size: 64 << 20, Backing: volume.File,
		FilePath: filepath.Join(dir, "v.img"), Paths: []volume.Path{{Node: "n", RPC: c, Addr: addr}}})
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := nvmetcp.Dial(ctx, nvmetcp.Config{Addr: addr, SubsysNQN: v.NQN, IOQueues: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close()

	var wg sync.WaitGroup
	var mu sync.Mutex
	var media []error
	for w := range 16 {
		wg.Go(func() {
			buf := make([]byte, 4096)
			for i := uint64(0); ; i++ {
				err := ctl.ReadAt(ctx, v.NSID, buf, (uint64(w)*4099+i*8)%16384)
				var se *nvmetcp.StatusError
				if errors.As(err, &se) {
					mu.Lock()
					media = append(media, err)
					mu.Unlock()
				}
				if err != nil {
					return
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-ctx.Done():
		t.Fatal("target did not exit after SIGTERM")
	}
	wg.Wait()
	if len(media) > 0 {
		t.Fatalf("%d reads failed with an NVMe status at shutdown, first: %v", len(media), media[0])
	}
}

func dialRPC(ctx context.Context, t *testing.T, sock string) *rpc.Client {
	t.Helper()
	for {
		c, err := rpc.Dial(ctx, sock)
		if err == nil {
			return c
		}
		select {
		case <-ctx.Done():
			t.Fatalf("target RPC: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
