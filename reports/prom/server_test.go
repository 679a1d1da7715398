package prom

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nvmf-chaos/nvmf-chaos/internal/live"
)

func TestServeMetrics(t *testing.T) {
	r := live.New(live.Info{Scenario: "s1", RunID: "r1", Command: "bench"})
	r.Fault("process-kill", "tgt-a", true)
	reg := prometheus.NewRegistry()
	reg.MustRegister(New(r).Collector())
	s, err := Serve("127.0.0.1:0", reg)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`nvmfchaos_run_info{command="bench",run_id="r1",scenario="s1"} 1`,
		`nvmfchaos_fault_active{kind="process-kill",node="tgt-a",scenario="s1"} 1`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s:\n%s", want, body)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestPushGrouping checks what a Pushgateway receives: the group path
// carries job, scenario and run_id, and the series do not repeat them
// (the gateway refuses that).
func TestPushGrouping(t *testing.T) {
	var path, body string
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		path, body = req.Method+" "+req.URL.Path, string(b)
	}))
	defer gw.Close()
	e := New(live.New(live.Info{Scenario: "s1", RunID: "r1", Command: "run"}))
	e.Finish(verdicts())
	if err := e.Push(context.Background(), gw.URL); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(path, "PUT /metrics/job/nvmf-chaos/") || !strings.Contains(path, "/scenario/s1") || !strings.Contains(path, "/run_id/r1") {
		t.Errorf("pushed to %q", path)
	}
	if strings.Contains(body, "scenario") || strings.Contains(body, "run_id") || !strings.Contains(body, MetricSLOPass) {
		t.Errorf("pushed body repeats grouping labels or lacks verdicts:\n%s", body)
	}
	if err := e.Push(context.Background(), "127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "push to http://127.0.0.1:1") {
		t.Errorf("push to a closed port: %v", err)
	}
}
