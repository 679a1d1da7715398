package local

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
)

// dud is a process whose signals reach nothing: a fault driving it
// "succeeds" without effect, the bug the took-effect checks catch.
type dud struct{ Process }

func (dud) Kill() error                   { return nil }
func (dud) Signal(os.Signal) error        { return nil }
func (dud) Wait(context.Context) error    { return nil }
func (d dud) Start(context.Context) error { return nil }

// deaf is a proxy that ignores the delay it is given.
type deaf struct{ *Proxy }

func (deaf) SetDelay(time.Duration) {}

type checked interface {
	faults.Fault
	faults.EffectChecker
}

// TestLocalFaultsCheckTheirEffect: every local kind confirms its effect
// after a real inject, and names what is missing when the inject changed
// nothing (a dud process, a deaf proxy) or never ran.
func TestLocalFaultsCheckTheirEffect(t *testing.T) {
	// One namespace pair serves every network case: each fault's table is
	// its own and Recover removes it, and a pair per case made the kernel
	// tear down a dozen namespaces under the next tests.
	var pair *nsPair
	shared := func() *nsPair {
		if pair == nil {
			pair = newNSPair(t)
		}
		return pair
	}
	tests := []struct {
		name    string
		root    bool // needs namespaces
		build   func(t *testing.T) checked
		inject  bool
		wantErr string // empty: took effect
	}{
		{"process-kill", false, func(t *testing.T) checked { return NewKill("tgt-a", startSleep(t), false) }, true, ""},
		{"process-kill of a dud", false, func(t *testing.T) checked { return NewKill("tgt-a", dud{startSleep(t)}, false) }, true, "is still running"},
		{"process-pause", false, func(t *testing.T) checked { return NewPause("tgt-a", startSleep(t)) }, true, ""},
		{"process-pause of a dud", false, func(t *testing.T) checked { return NewPause("tgt-a", dud{startSleep(t)}) }, true, "not stopped (T)"},
		{"process-restart", false, func(t *testing.T) checked { return NewRestart("tgt-a", startSleep(t), time.Second) }, true, ""},
		{"process-restart of a dud", false, func(t *testing.T) checked { return NewRestart("tgt-a", dud{startSleep(t)}, time.Second) }, true, "is still running"},
		{"latency", false, func(t *testing.T) checked { return must(t)(NewLatency("tgt-a", newTestProxy(t), 5*time.Millisecond)) }, true, ""},
		{"latency through a deaf proxy", false, func(t *testing.T) checked {
			return must(t)(NewLatency("tgt-a", deaf{newTestProxy(t)}, 5*time.Millisecond))
		}, true, "the proxy delays by 0s, not 5ms"},
		{"cpu-stress", false, func(t *testing.T) checked { return must(t)(NewCPUStress("tgt-a", 1, time.Minute, startSleep(t))) }, true, ""},
		{"cpu-stress never injected", false, func(t *testing.T) checked { return must(t)(NewCPUStress("tgt-a", 1, time.Minute, startSleep(t))) }, false, "no busy loop running"},
		{"network-partition", true, func(t *testing.T) checked {
			p := shared()
			return must(t)(NewPartition(PartitionConfig{NodeNet: p.nodeNet(), Host: p.hostAddr, Ports: []uint16{dataPort}}))
		}, true, ""},
		{"network-partition never injected", true, func(t *testing.T) checked {
			p := shared()
			return must(t)(NewPartition(PartitionConfig{NodeNet: p.nodeNet(), Host: p.hostAddr, Ports: []uint16{dataPort}}))
		}, false, "is not in netns"},
		{"packet-loss", true, func(t *testing.T) checked { return must(t)(NewPacketLoss(shared().nodeNet(), 50)) }, true, ""},
		{"node-down", true, func(t *testing.T) checked {
			p := shared()
			return must(t)(NewNodeDown(p.nodeNet(), startProcess(t, "ip", "netns", "exec", p.node, "sleep", "300")))
		}, true, ""},
		{"node-down of a dud", true, func(t *testing.T) checked {
			p := shared()
			return must(t)(NewNodeDown(p.nodeNet(), dud{startProcess(t, "ip", "netns", "exec", p.node, "sleep", "300")}))
		}, true, "is still running"},
		{"bandwidth", true, func(t *testing.T) checked {
			p := shared()
			return must(t)(NewBandwidth("tgt-a", "10mbit", Link{Netns: p.node, Dev: p.nodeDev}))
		}, true, ""},
		{"bandwidth never injected", true, func(t *testing.T) checked {
			p := shared()
			return must(t)(NewBandwidth("tgt-a", "10mbit", Link{Netns: p.node, Dev: p.nodeDev}))
		}, false, "has no tbf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root {
				needRootNetns(t)
			}
			f := tc.build(t)
			ctx := context.Background()
			if tc.inject {
				if err := f.Inject(ctx); err != nil {
					t.Fatalf("Inject: %v", err)
				}
			}
			t.Cleanup(func() { _ = f.Recover(context.Background()) })
			// A check that must fail gives up after a second; one that must
			// pass gets the schedule's time, since under load a command in
			// a namespace can take longer than the effect itself.
			limit := faults.DefaultEffectTimeout
			if tc.wantErr != "" {
				limit = time.Second
			}
			cctx, cancel := context.WithTimeout(ctx, limit)
			defer cancel()
			err := f.TookEffect(cctx)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("TookEffect: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("TookEffect: %v, want %q", err, tc.wantErr)
			case err != nil && !strings.Contains(err.Error(), f.Describe()):
				t.Errorf("TookEffect: %v does not name the fault %q", err, f.Describe())
			}
		})
	}
}

// must returns the fault a constructor built, failing the test on its
// error.
func must(t *testing.T) func(checked, error) checked {
	return func(v checked, err error) checked {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
