package workloads

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncChecker wraps a Device and records the ops it is given, checking
// that a flush is the only op in flight: issued once the I/O before it
// completed, and nothing issued until it completed.
type syncChecker struct {
	Device
	mu       sync.Mutex
	kinds    []OpKind
	inFlight atomic.Int64
	flushing atomic.Bool
	overlaps atomic.Int64 // ops in flight together with a flush
}

func (c *syncChecker) Submit(op *Op) {
	c.mu.Lock()
	c.kinds = append(c.kinds, op.Kind)
	c.mu.Unlock()
	if c.flushing.Load() || op.Kind.flush() && c.inFlight.Load() > 0 {
		c.overlaps.Add(1)
	}
	if op.Kind.flush() {
		c.flushing.Store(true)
	}
	c.inFlight.Add(1)
	done := op.Done
	op.Done = func(op *Op) {
		op.Done = done
		if op.Kind.flush() {
			c.flushing.Store(false)
		}
		c.inFlight.Add(-1)
		done(op)
	}
	c.Device.Submit(op)
}

// syncTargets are the backends flushes are exercised on.
func syncTargets(t *testing.T) []string {
	dir := t.TempDir()
	return []string{"null://64m", "file://" + filepath.Join(dir, "psync"), "file://" + filepath.Join(dir, "uring") + "?engine=io_uring"}
}

// TestSyncOptions runs fsync=, fdatasync=, end_fsync and fsync_on_close
// against each backend: the flushes issued (after every N writes, at the
// end), their kind, that each is alone in flight, and fio's count of them.
func TestSyncOptions(t *testing.T) {
	base := []string{"rw", "write", "bs", "4k", "size", "72k", "iodepth", "4"} // 18 writes
	tests := []struct {
		name    string
		kv      []string
		flushes string // the device's ops reduced to F (fsync), D (fdatasync) and the writes before each
		counted int64  // fio's sync total_ios
	}{
		{"fsync=4", []string{"fsync", "4"}, "4F4F4F4F2", 4},
		{"fdatasync=8", []string{"fdatasync", "8"}, "8D8D2", 2},
		{"end_fsync", []string{"end_fsync", "1"}, "18F", 1},
		{"fsync=6 then end_fsync has nothing to add", []string{"fsync", "6", "end_fsync", "1"}, "6F6F6F", 3},
		{"fsync=4 and end_fsync", []string{"fsync", "4", "end_fsync", "1"}, "4F4F4F4F2F", 5},
		{"fsync_on_close syncs at the end and at close", []string{"fsync_on_close", "1"}, "18FF", 1},
		{"a reading job never syncs", []string{"rw", "read", "fsync", "2", "end_fsync", "1"}, "18", 0},
		{"randrw counts writes", []string{"rw", "randrw", "rwmixread", "0", "fsync", "9"}, "9F9F", 2},
	}
	for _, target := range syncTargets(t) {
		for _, tc := range tests {
			t.Run(strings.SplitN(target, ":", 2)[0]+"/"+tc.name, func(t *testing.T) {
				j := job(t, "s", append(append([]string{}, base...), tc.kv...)...)
				c := &syncChecker{Device: openT(t, target, j)}
				r := runT(t, c, []Job{j})
				if got := flushString(c.kinds); got != tc.flushes {
					t.Errorf("ops %s, want %s", got, tc.flushes)
				}
				if n := c.overlaps.Load(); n != 0 {
					t.Errorf("%d ops in flight together with a flush", n)
				}
				jr := r.Jobs[0]
				var got int64
				if jr.Sync != nil {
					got = jr.Sync.IOs
					if jr.Sync.Errors != 0 || jr.Sync.Latency.N != got {
						t.Errorf("sync errors %d, latencies %d of %d", jr.Sync.Errors, jr.Sync.Latency.N, got)
					}
				}
				if got != tc.counted || (jr.Sync != nil) != (tc.counted > 0 || j.syncs()) {
					t.Errorf("sync total %d (block %v), want %d", got, jr.Sync != nil, tc.counted)
				}
				if jr.Write.IOs+jr.Read.IOs != 18 {
					t.Errorf("%d I/Os, want the 18 of size", jr.Write.IOs+jr.Read.IOs)
				}
			})
		}
	}
}

// flushString renders ops as the number of data ops between flushes, F
// for a flush and D for a data-only flush.
func flushString(kinds []OpKind) string {
	var b strings.Builder
	n := 0
	for _, k := range kinds {
		if !k.flush() {
			n++
			continue
		}
		if n > 0 {
			b.WriteString(strconv.Itoa(n))
		}
		n = 0
		b.WriteByte("FD"[k-OpFlush])
	}
	if n > 0 {
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// TestSyncTrimReport: trims are fio's third direction and flushes its sync
// block, in the JSON layout and the normal summary, per unified_rw_reporting.
func TestSyncTrimReport(t *testing.T) {
	tests := []struct {
		unified        string
		json           []string
		summary, never []string
	}{
		{"none", []string{`"trim": {`, `"sync": {`},
			[]string{"  trim: IOPS=", "  write: IOPS=", "   TRIM: bw=", "fsync/fdatasync/sync_file_range/syncfs: syncs=4, errors=0", "sync percentiles (usec):"}, []string{"mixed:"}},
		{"mixed", []string{`"mixed": {`}, []string{"  mixed: IOPS="}, []string{`"trim": {`, `"sync": {`, "  trim: IOPS="}},
	}
	for _, tc := range tests {
		t.Run(tc.unified, func(t *testing.T) {
			j := job(t, "tw", "rw", "trimwrite", "bs", "4k", "size", "64k", "fsync", "4", "unified_rw_reporting", tc.unified)
			r := runT(t, openT(t, "null://1m", j), []Job{j})
			var js, sum strings.Builder
			if err := WriteJSON(&js, r, time.Now()); err != nil {
				t.Fatal(err)
			}
			if err := WriteSummary(&sum, r); err != nil {
				t.Fatal(err)
			}
			var out FioOutput
			if err := json.Unmarshal([]byte(js.String()), &out); err != nil {
				t.Fatal(err)
			}
			fj := out.Jobs[0]
			switch {
			case tc.unified == "none" && (fj.Trim.TotalIOs != 16 || fj.Trim.IOBytes != 64<<10 || fj.Write.TotalIOs != 16 || fj.Sync.TotalIOs != 4 || fj.Sync.LatNs.N != 4):
				t.Errorf("trim %+v write %d sync %+v", fj.Trim, fj.Write.TotalIOs, fj.Sync)
			case tc.unified == "mixed" && fj.Mixed.TotalIOs != 32:
				t.Errorf("mixed total_ios %d, want 32 (trims and writes)", fj.Mixed.TotalIOs)
			}
			for _, s := range tc.json {
				if !strings.Contains(js.String(), s) {
					t.Errorf("JSON lacks %q", s)
				}
			}
			for _, s := range tc.summary {
				if !strings.Contains(sum.String(), s) {
					t.Errorf("summary lacks %q:\n%s", s, sum.String())
				}
			}
			for _, s := range tc.never {
				if strings.Contains(js.String()+sum.String(), s) {
					t.Errorf("output has %q", s)
				}
			}
		})
	}
}
