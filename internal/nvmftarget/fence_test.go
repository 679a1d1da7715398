package nvmftarget

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/bdev"
)

// gatedBdev holds its first write until released. With one I/O worker per
// queue that stalls the queue the way a stopped target process does:
// commands it already read wait behind the held one.
type gatedBdev struct {
	*bdev.Malloc
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (g *gatedBdev) NonBlocking() bool { return false }

func (g *gatedBdev) WriteAt(p []byte, off int64) (int, error) {
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.entered)
		<-g.release
	}
	return g.Malloc.WriteAt(p, off)
}

// TestExpiredControllerRunsNoQueuedWrite is the ghost write of a paused
// target: a write read before the pause must not reach the media once the
// keep-alive deadline has passed, because the host has by then retried it
// elsewhere and may have written newer data over it.
func TestExpiredControllerRunsNoQueuedWrite(t *testing.T) {
	const kato = 300 * time.Millisecond
	tests := []struct {
		name       string
		keepAlives bool // the host keeps the controller alive while it is held
		stopTimer  bool // the keep-alive timer has not run yet when the queue resumes
		wantB      bool // the queued write reaches the media
	}{
		{"timer fired first", false, false, false},
		{"worker wakes before the timer", false, true, false},
		{"controller kept alive", true, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := bdev.NewMalloc("malloc0", 1<<20, 512, [16]byte{})
			if err != nil {
				t.Fatal(err)
			}
			gate := &gatedBdev{Malloc: m, entered: make(chan struct{}), release: make(chan struct{})}
			_, s, addr := serveBdev(t, gate, false, Options{IOWorkers: 1})
			admin := dialRaw(t, addr, false)
			admin.connectAdmin(testNQN, kato)
			if tt.stopTimer {
				ctl := s.controller(admin.cntlid)
				ctl.mu.Lock()
				ctl.kaTimer.Stop()
				ctl.mu.Unlock()
			}
			q := dialRaw(t, addr, false)
			q.connectIO(testNQN, admin.cntlid, 1)

			a, b := bytes.Repeat([]byte{0xAA}, 512), bytes.Repeat([]byte{0xBB}, 512)
			cidA, err := q.send(rwCmd(nvme.IOWrite, 1, 0, 1), a, 0)
			if err != nil {
				t.Fatal(err)
			}
			<-gate.entered
			cidB, err := q.send(rwCmd(nvme.IOWrite, 1, 8, 1), b, 0)
			if err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(2 * kato); time.Now().Before(deadline); time.Sleep(kato / 4) {
				if tt.keepAlives {
					admin.must(nvme.Command{Opcode: nvme.AdminKeepAlive}, nil, 0)
				}
			}
			close(gate.release)

			// Completions, or the connection closing, come only after the
			// queue's worker has handled both writes.
			_, _, errA := q.await(cidA, a, 0)
			cplB, _, errB := q.await(cidB, b, 0)
			if tt.wantB && (errA != nil || errB != nil || !cplB.Status.Success()) {
				t.Fatalf("live controller: write A err %v, write B err %v status %v", errA, errB, cplB.Status)
			}
			if !tt.wantB && errB == nil && cplB.Status.Success() {
				t.Fatal("expired controller reported the queued write successful")
			}
			got := make([]byte, 512)
			if _, err := m.ReadAt(got, 8*512); err != nil {
				t.Fatal(err)
			}
			if written := bytes.Equal(got, b); written != tt.wantB {
				t.Fatalf("queued write on the media: %v, want %v", written, tt.wantB)
			}
		})
	}
}
