package worker

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

func fileSpec(t *testing.T) Spec {
	t.Helper()
	j := workloads.DefaultJob("w")
	j.RW, j.BS, j.IODepth, j.Size = workloads.RWRandRW, 4096, 4, 1<<20
	j.Runtime, j.TimeBased, j.Verify = 300*time.Millisecond, true, "crc32c"
	j.Direct = false
	return Spec{Workload: "w", Target: "file://" + filepath.Join(t.TempDir(), "vol.img"), Jobs: []workloads.Job{j}}
}

func serve(t *testing.T, spec Spec, idle time.Duration) (*Client, chan error) {
	t.Helper()
	s, err := Open(context.Background(), spec, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(context.Background(), ln, idle) }()
	return &Client{Base: "http://" + ln.Addr().String()}, errc
}

// The harness measures the clock, starts the worker at a run-clock zero in
// the future, and gets a record whose times are on that clock.
func TestWorkerRunsOnTheHarnessClock(t *testing.T) {
	spec := fileSpec(t)
	c, errc := serve(t, spec, 10*time.Second)
	ctx := context.Background()
	clock, err := c.Clock(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	if clock.Offset < -clock.Bound-time.Millisecond || clock.Offset > clock.Bound+time.Millisecond {
		t.Errorf("same machine, offset %v outside its bound %v", clock.Offset, clock.Bound)
	}
	zero := time.Now().Add(200 * time.Millisecond)
	if err := c.Start(ctx, zero.Add(clock.Offset)); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx, zero); err == nil || !strings.Contains(err.Error(), "already started") {
		t.Errorf("a second start = %v, want a refusal", err)
	}
	rep, err := c.Result(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Error != "" || rep.Result == nil {
		t.Fatalf("report: %+v", rep)
	}
	r := rep.Result
	if r.StartNs < 0 || r.StartNs > int64(50*time.Millisecond) {
		t.Errorf("StartNs = %v: the engine should start at run-clock zero", time.Duration(r.StartNs))
	}
	j := r.Jobs[0]
	if j.Write.IOs == 0 || j.Verify == nil || j.Verify.LostWrites != 0 {
		t.Errorf("job record: %+v", j)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatal(err)
	}
	checkLiveIntervals(t, c, j.Read.IOs+j.Write.IOs)
	if err := c.Exit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Errorf("Serve after exit: %v", err)
	}
}

// A worker whose harness never starts it gives up instead of running
// forever, and a malformed start is refused.
func TestWorkerRefusesBadStartAndGivesUp(t *testing.T) {
	c, errc := serve(t, fileSpec(t), 300*time.Millisecond)
	resp, err := http.Post(c.Base+"/start", "application/json", strings.NewReader(`{"start_unix_ns": -1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad start: %s", resp.Status)
	}
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "no start") {
			t.Errorf("Serve = %v, want the idle error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("worker did not give up")
	}
}

func TestDecodeSpec(t *testing.T) {
	good, _ := json.Marshal(Spec{Target: "null://1m", Jobs: []workloads.Job{workloads.DefaultJob("a")}})
	for name, tc := range map[string]struct {
		in      string
		wantErr string
	}{
		"good":      {string(good), ""},
		"not json":  {"{", "worker spec"},
		"no target": {`{"jobs":[{"name":"a"}]}`, "no target"},
		"no jobs":   {`{"target":"null://1m"}`, "no jobs"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeSpec([]byte(tc.in))
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("DecodeSpec = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// checkLiveIntervals: the intervals the live views get add up to the
// record's I/Os, their latencies decode with one sample per I/O, and
// asking from past the last returns nothing.
func checkLiveIntervals(t *testing.T, c *Client, wantIOs int64) {
	t.Helper()
	ivs, err := c.Intervals(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var ios, samples int64
	for i, li := range ivs {
		if li.Seq != int64(i) {
			t.Fatalf("interval %d numbered %d", i, li.Seq)
		}
		ci, err := li.Closed()
		if err != nil {
			t.Fatal(err)
		}
		ios += ci.IOs - ci.Errors
		if ci.Latency != nil {
			samples += ci.Latency.TotalCount()
		}
	}
	if ios != wantIOs || samples != wantIOs {
		t.Errorf("live intervals hold %d I/Os and %d latency samples, the record %d", ios, samples, wantIOs)
	}
	if more, err := c.Intervals(context.Background(), int64(len(ivs))); err != nil || len(more) != 0 {
		t.Errorf("intervals past the last: %d, %v", len(more), err)
	}
}
