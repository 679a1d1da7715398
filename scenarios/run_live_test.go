package scenarios

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/testbin"
	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

// liveLog is a Live that records what the runner tells it.
type liveLog struct {
	mu       sync.Mutex
	begins   int
	total    time.Duration
	measured int64 // IOs of non-warmup intervals
	warmup   int64
	faults   []string
	paths    []string
}

func (l *liveLog) Begin(_ time.Time, total time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.begins++
	l.total = total
}

func (l *liveLog) Workload(name, volume string) workloads.IntervalObserver {
	return observerFunc(func(ci workloads.ClosedInterval) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if ci.Warmup {
			l.warmup += ci.IOs
		} else {
			l.measured += ci.IOs
		}
	})
}

func (l *liveLog) Fault(kind, node string, active bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.faults = append(l.faults, kind+"@"+node+map[bool]string{true: " on", false: " off"}[active])
}

func (l *liveLog) Path(volume, addr, state string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.paths = append(l.paths, volume+" "+state)
}

type observerFunc func(workloads.ClosedInterval)

func (f observerFunc) ObserveInterval(ci workloads.ClosedInterval) { f(ci) }

// TestRunFeedsLive runs a two-path failover with a Live attached: it must
// hear the start, every measured I/O the record holds, the fault's inject
// and recover, and the killed path going down and coming back.
func TestRunFeedsLive(t *testing.T) {
	doc := `
apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: t-live}
cluster: {nodes: [tgt-a, tgt-b]}
volumes: [{name: vol0, size: 32MiB, nodes: [tgt-a, tgt-b], ana: {tgt-a: optimized, tgt-b: non-optimized}}]
workloads: [{name: w, volume: vol0, rw: randrw, bs: 4k, iodepth: 8}]
host: {kato: 1s, reconnect_delay: 100ms, ctrl_loss_tmo: 30s, fast_io_fail_tmo: 10s, io_timeout: 5s, policy: failover}
timeline:
  warmup: 300ms
  duration: 2s
  faults: [{at: 500ms, kind: process-kill, node: tgt-a, duration: 300ms}]
slos:
  - {metric: io_errors, max: "0"}
`
	s, err := ParseScenario("test.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	log := &liveLog{}
	r := NewRunner(s, RunOptions{Binary: testbin.Path(t), Dir: t.TempDir(), Live: log})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var recorded int64
	for _, w := range res.Workloads {
		for _, n := range append(w.Series.Read.IOs, w.Series.Write.IOs...) {
			recorded += n
		}
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if log.begins != 1 || log.total != 2300*time.Millisecond {
		t.Errorf("Begin called %d times with total %v; want once, 2.3s", log.begins, log.total)
	}
	if log.measured != recorded || log.warmup == 0 {
		t.Errorf("observed %d measured I/Os (record: %d), %d warmup I/Os (want some)", log.measured, recorded, log.warmup)
	}
	if want := []string{"process-kill@tgt-a on", "process-kill@tgt-a off"}; !slices.Equal(log.faults, want) {
		t.Errorf("faults %v; want %v", log.faults, want)
	}
	if !slices.Contains(log.paths, "vol0 down") || !slices.Contains(log.paths, "vol0 optimized") {
		t.Errorf("path states %v; want the killed path down and an optimized path", log.paths)
	}
}
