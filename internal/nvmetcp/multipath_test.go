package nvmetcp

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/bdev"
)

// dualController serves one file through two targets, A optimized and B
// non-optimized: a dual-controller array in one process.
func dualController(t *testing.T) (a, b *nvmftarget.Target, addrA, addrB string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shared.img")
	serve := func(state nvme.ANAState) (*nvmftarget.Target, string) {
		f, err := bdev.OpenFile(path, bdev.FileOptions{Size: 16 << 20, BlockSize: 512})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = f.Close() })
		tgt := nvmftarget.New(nvmftarget.Options{})
		t.Cleanup(func() { _ = tgt.Close() })
		s, err := tgt.AddSubsystem(nvmftarget.SubsystemConfig{NQN: embeddedNQN, AllowAnyHost: true, ANAReporting: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddNamespace(nvmftarget.NamespaceConfig{Bdev: f}); err != nil {
			t.Fatal(err)
		}
		addr, err := tgt.AddListener(embeddedNQN, "127.0.0.1:0", state)
		if err != nil {
			t.Fatal(err)
		}
		return tgt, addr
	}
	a, addrA = serve(nvme.ANAOptimized)
	b, addrB = serve(nvme.ANANonOptimized)
	return a, b, addrA, addrB
}

// load keeps qd writes-then-reads of known data in flight through m until
// stop closes, and returns the number of failed I/Os and mismatches.
func load(t *testing.T, m *Multipath, qd int, stop <-chan struct{}) (failed, mismatched *atomic.Int64, done *sync.WaitGroup) {
	failed, mismatched, done = new(atomic.Int64), new(atomic.Int64), new(sync.WaitGroup)
	for w := range qd {
		done.Add(1)
		go func() {
			defer done.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			lba := uint64(w * 8) // each worker owns one 4 KiB block
			want, got := make([]byte, 4096), make([]byte, 4096)
			ch := make(chan *Request, 1)
			for {
				select {
				case <-stop:
					return
				default:
				}
				for i := range want {
					want[i] = byte(rng.Uint32())
				}
				for _, op := range []struct {
					code uint8
					buf  []byte
				}{{nvme.IOWrite, want}, {nvme.IORead, got}} {
					r := &Request{Opcode: op.code, NSID: 1, SLBA: lba, NLB: 8, Buf: op.buf, Done: ChanDone(ch)}
					for m.Submit(w%m.Queues(), r) != nil {
						time.Sleep(time.Millisecond)
					}
					if r = <-ch; r.Err != nil {
						failed.Add(1)
					}
				}
				if !bytes.Equal(want, got) {
					mismatched.Add(1)
				}
			}
		}()
	}
	return failed, mismatched, done
}

func TestMultipathFailover(t *testing.T) {
	tests := []struct {
		name   string
		inject func(a, b *nvmftarget.Target, addrA, addrB string)
	}{
		{"optimized target dies", func(a, _ *nvmftarget.Target, _, _ string) { _ = a.Close() }},
		{"planned ANA failover", func(a, b *nvmftarget.Target, addrA, addrB string) {
			_ = a.SetANAState(embeddedNQN, addrA, 0, nvme.ANAInaccessible)
			_ = b.SetANAState(embeddedNQN, addrB, 0, nvme.ANAOptimized)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b, addrA, addrB := dualController(t)
			var events []PathEvent
			var mu sync.Mutex
			m, err := DialMultipath(context.Background(), MultipathConfig{
				Base:  Config{SubsysNQN: embeddedNQN, IOQueues: 2, KATO: time.Second, IOTimeout: 2 * time.Second},
				Addrs: []string{addrA, addrB}, NSID: 1, ReconnectDelay: 100 * time.Millisecond,
				CtrlLossTmo: 5 * time.Second, FastIOFailTmo: 5 * time.Second,
				OnEvent: func(e PathEvent) { mu.Lock(); events = append(events, e); mu.Unlock() }})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			stop := make(chan struct{})
			failed, mismatched, done := load(t, m, 16, stop)
			time.Sleep(300 * time.Millisecond)
			injected := time.Now()
			tc.inject(a, b, addrA, addrB)
			time.Sleep(700 * time.Millisecond)
			close(stop)
			done.Wait()
			if failed.Load() != 0 || mismatched.Load() != 0 {
				t.Fatalf("%d I/O errors and %d data mismatches across the failover", failed.Load(), mismatched.Load())
			}
			mu.Lock()
			defer mu.Unlock()
			moved := false
			for _, e := range events {
				t.Logf("+%v %s %s %v %s", e.At.Sub(injected).Round(time.Millisecond), e.Kind, e.Path, e.ANAState, e.Detail)
				moved = moved || (e.At.After(injected) && (e.Kind == "down" || e.Kind == "ana-change"))
			}
			if !moved {
				t.Fatal("no path-down or ANA-change event after the fault")
			}
		})
	}
}

func TestMultipathNoPathFails(t *testing.T) {
	a, b, addrA, addrB := dualController(t)
	m, err := DialMultipath(context.Background(), MultipathConfig{
		Base:  Config{SubsysNQN: embeddedNQN, KATO: time.Second, IOTimeout: time.Second},
		Addrs: []string{addrA, addrB}, NSID: 1, ReconnectDelay: 100 * time.Millisecond,
		CtrlLossTmo: 2 * time.Second, FastIOFailTmo: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	_ = a.Close()
	_ = b.Close()
	ch := make(chan *Request, 1)
	r := &Request{Opcode: nvme.IORead, NSID: 1, NLB: 1, Buf: make([]byte, 512), Done: ChanDone(ch)}
	start := time.Now()
	if err := m.Submit(0, r); err != nil {
		t.Fatal(err)
	}
	select {
	case r = <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("I/O with no path never failed")
	}
	if !errors.Is(r.Err, ErrNoPath) || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("err %v after %v, want ErrNoPath after fast_io_fail_tmo", r.Err, time.Since(start))
	}
}

func TestMultipathPolicies(t *testing.T) {
	_, b, addrA, addrB := dualController(t)
	if err := b.SetANAState(embeddedNQN, addrB, 0, nvme.ANAOptimized); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		policy string
		check  func(t *testing.T, m *Multipath)
	}{
		{PolicyFailover, func(t *testing.T, m *Multipath) {
			first, _ := m.pick()
			for range 10 {
				if p, _ := m.pick(); p != first {
					t.Fatal("failover policy switched paths with both healthy")
				}
			}
		}},
		{PolicyRoundRobin, func(t *testing.T, m *Multipath) {
			seen := map[*mpath]int{}
			for range 10 {
				p, _ := m.pick()
				seen[p]++
			}
			if len(seen) != 2 || seen[m.paths[0]] != 5 {
				t.Fatalf("round-robin spread %v, want 5 and 5", seen)
			}
		}},
		{PolicyQueueDepth, func(t *testing.T, m *Multipath) {
			m.paths[0].inflight.Store(7)
			if p, _ := m.pick(); p != m.paths[1] {
				t.Fatal("queue-depth did not pick the idle path")
			}
			m.paths[1].inflight.Store(9)
			if p, _ := m.pick(); p != m.paths[0] {
				t.Fatal("queue-depth did not pick the less loaded path")
			}
		}},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			m, err := DialMultipath(context.Background(), MultipathConfig{Base: Config{SubsysNQN: embeddedNQN},
				Addrs: []string{addrA, addrB}, NSID: 1, Policy: tc.policy})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			tc.check(t, m)
		})
	}
}

func TestDiscoverPaths(t *testing.T) {
	a, _, addrA, _ := dualController(t)
	if _, err := a.AddListener("discovery", addrA, 0); err != nil {
		t.Fatal(err)
	}
	got, err := DiscoverPaths(context.Background(), Config{}, addrA, embeddedNQN)
	if err != nil || len(got) != 1 || got[0] != addrA {
		t.Fatalf("paths %v err %v, want [%s]", got, err, addrA)
	}
	if _, err := DiscoverPaths(context.Background(), Config{}, addrA, "nqn.other"); err == nil {
		t.Fatal("discovery of an unknown subsystem found paths")
	}
}

// TestMultipathRefusesOtherNamespace: a portal exporting the same NQN over
// a different disk (another NGUID) is refused, never written to.
func TestMultipathRefusesOtherNamespace(t *testing.T) {
	_, addrA := startEmbedded(t, 1<<20) // malloc: its own random NGUID
	_, addrB := startEmbedded(t, 1<<20)
	m, err := DialMultipath(context.Background(), MultipathConfig{Base: Config{SubsysNQN: embeddedNQN},
		Addrs: []string{addrA, addrB}, NSID: 1, ReconnectDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, p := range m.paths {
		p.mu.Lock()
		up := p.ctrl != nil
		p.mu.Unlock()
		if p.addr == addrB && up {
			t.Fatal("a path to a different namespace was connected")
		}
	}
	alone, err := DialMultipath(context.Background(), MultipathConfig{Base: Config{SubsysNQN: embeddedNQN},
		Addrs: []string{addrB}, NSID: 1})
	if err != nil {
		t.Fatalf("the second target alone must still connect: %v", err)
	}
	_ = alone.Close()
}
