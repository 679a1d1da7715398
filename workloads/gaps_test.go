package workloads

import (
	"testing"
	"time"
)

// Gaps past maxGaps raise the worker's floor instead of growing; the long
// stalls failover metrics judge stay, exactly.
func TestGapTrackerStaysBounded(t *testing.T) {
	var g gapTracker
	at := int64(1)
	g.success(at)
	// A gap is 16 bytes: a cap over 64 Ki gaps is no longer a small bound.
	if maxGaps > 1<<16 {
		t.Fatalf("maxGaps %d: over 1 MiB a worker", maxGaps)
	}
	for i := range 100_000 {
		at += GapFloor + int64(i%3)*GapFloor // gaps of 1, 2 and 3 ms
		g.success(at)
		if i == 50_000 {
			at += int64(2 * time.Second) // a stall
			g.success(at)
		}
	}
	if len(g.gaps) > maxGaps {
		t.Errorf("%d gaps kept, cap %d", len(g.gaps), maxGaps)
	}
	if g.minGap() <= GapFloor {
		t.Errorf("floor %d: want it raised", g.minGap())
	}
	var stalls int
	for _, gp := range g.gaps {
		if gp.EndNs-gp.StartNs < g.minGap() {
			t.Fatalf("gap %v under the floor %d", gp, g.minGap())
		}
		if gp.EndNs-gp.StartNs >= int64(2*time.Second) {
			stalls++
		}
	}
	if stalls != 1 {
		t.Errorf("%d 2 s stalls kept, want 1", stalls)
	}
}
