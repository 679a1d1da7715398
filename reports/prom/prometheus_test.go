package prom

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nvmf-chaos/nvmf-chaos/internal/live"
	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

// The Debian packages and binaries of the real Prometheus and Pushgateway.
var promTools = []struct{ pkg, bin string }{
	{"prometheus", "prometheus"},
	{"prometheus-pushgateway", "prometheus-pushgateway"},
}

var installOnce sync.Once

// promBinaries finds Prometheus and the Pushgateway, installing their
// Debian packages when missing and running as root; it skips the test
// when they cannot be had.
func promBinaries(t *testing.T) (prom, pushgw string) {
	t.Helper()
	missing := func() []string {
		var pkgs []string
		for _, tool := range promTools {
			if _, err := exec.LookPath(tool.bin); err != nil {
				pkgs = append(pkgs, tool.pkg)
			}
		}
		return pkgs
	}
	if pkgs := missing(); len(pkgs) > 0 && os.Geteuid() == 0 {
		installOnce.Do(func() { aptInstall(t, pkgs) })
	}
	if pkgs := missing(); len(pkgs) > 0 {
		t.Skipf("needs the real Prometheus and Pushgateway: install Debian packages %v (apt-get install %v, as root)", pkgs, pkgs)
	}
	prom, _ = exec.LookPath(promTools[0].bin)
	pushgw, _ = exec.LookPath(promTools[1].bin)
	return prom, pushgw
}

func aptInstall(t *testing.T, pkgs []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	apt := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Logf("apt-get %v: %v\n%s", args, err, out)
		}
		return err
	}
	install := append([]string{"install", "-y", "--no-install-recommends"}, pkgs...)
	if apt(install...) != nil && apt("update") == nil {
		_ = apt(install...) // the package lists were stale or missing
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startProcess runs a server until the test ends, and waits until its
// /-/ready answers.
func startProcess(t *testing.T, addr, bin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	logPath := filepath.Join(t.TempDir(), filepath.Base(bin)+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("%s not ready on %s after 15s: %v\n%s", bin, addr, err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// query runs an instant PromQL query and returns its samples' values by
// their labels' rendering.
func query(addr, q string) (map[string]float64, error) {
	resp, err := http.Get("http://" + addr + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("query %s: %w", q, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query %s: %s", q, body.Error)
	}
	out := map[string]float64{}
	for _, r := range body.Data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("query %s: value %v", q, r.Value[1])
		}
		out[fmt.Sprint(r.Metric)] = v
	}
	return out, nil
}

// TestRealPrometheusAndPushgateway runs a short real workload (the engine
// on null://) with the exporter scraped by a real Prometheus, pushes the
// final metrics to a real Pushgateway it also scrapes, and checks through
// Prometheus's query API that both arrive with their labels and sane
// values, and that histogram_quantile works on the latency buckets.
func TestRealPrometheusAndPushgateway(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus and a Pushgateway and runs I/O for seconds")
	}
	promBin, pushBin := promBinaries(t)
	dir := t.TempDir()
	run := live.New(live.Info{Scenario: "it", RunID: "it1", Command: "bench"})
	exp := New(run)
	reg := prometheus.NewRegistry()
	reg.MustRegister(exp.Collector())
	srv, err := Serve("127.0.0.1:0", reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })

	pushAddr, promAddr := freeAddr(t), freeAddr(t)
	startProcess(t, pushAddr, pushBin, "--web.listen-address="+pushAddr)
	cfg := fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: nvmf-chaos-live
    static_configs: [{targets: [%q]}]
  - job_name: pushgateway
    honor_labels: true
    static_configs: [{targets: [%q]}]
`, srv.Addr(), pushAddr)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	startProcess(t, promAddr, promBin, "--config.file="+cfgPath, "--web.listen-address="+promAddr,
		"--storage.tsdb.path="+filepath.Join(dir, "tsdb"))

	runWorkload(t, run, 3*time.Second)
	exp.Finish(verdicts())
	var ios int64
	for _, w := range run.Snapshot().Workloads {
		ios += w.IOs
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := exp.Push(ctx, "http://"+pushAddr); err != nil {
		t.Fatal(err)
	}

	checks := []struct {
		name  string
		query string
		ok    func(map[string]float64) bool
	}{
		{"live scrape counted I/O", `sum(nvmfchaos_io_total{job="nvmf-chaos-live",scenario="it",workload="it-job",volume="null://1g"})`,
			func(m map[string]float64) bool { return len(m) == 1 && first(m) > 0 }},
		{"scraped during the run", `count_over_time(nvmfchaos_io_total{job="nvmf-chaos-live",direction="read"}[1m])`,
			func(m map[string]float64) bool { return len(m) == 1 && first(m) >= 3 }},
		{"pushed totals equal the run's", `sum(nvmfchaos_io_total{job="nvmf-chaos",scenario="it",run_id="it1"})`,
			func(m map[string]float64) bool { return len(m) == 1 && first(m) == float64(ios) }},
		{"pushed verdicts", `nvmfchaos_slo_pass{job="nvmf-chaos",scenario="it",run_id="it1"}`,
			func(m map[string]float64) bool { return len(m) == 2 }},
		{"p99 from the buckets", `histogram_quantile(0.99, sum by (le) (nvmfchaos_io_latency_seconds_bucket{job="nvmf-chaos",run_id="it1"}))`,
			func(m map[string]float64) bool { return len(m) == 1 && first(m) > 0 && first(m) <= 10e-6 }},
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, c := range checks {
		for {
			m, err := query(promAddr, c.query)
			if err == nil && c.ok(m) {
				t.Logf("%s: %v", c.name, m)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s gave %v (err %v) after 30s; the run did %d I/Os", c.name, c.query, m, err, ios)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
}

func first(m map[string]float64) float64 {
	for _, v := range m {
		return v
	}
	return 0
}

// runWorkload runs a rate-limited random read/write job on the null
// backend for d, feeding run.
func runWorkload(t *testing.T, run *live.Run, d time.Duration) {
	t.Helper()
	j := workloads.DefaultJob("it-job")
	for k, v := range map[string]string{"rw": "randrw", "rate_iops": "2000", "runtime": d.String(), "time_based": "1", "ramp_time": "500ms"} {
		if err := workloads.ApplyOption(&j, k, v); err != nil {
			t.Fatal(err)
		}
	}
	jobs := []workloads.Job{j}
	dev, err := workloads.Open(context.Background(), "null://1g", workloads.OpenOptionsFor(jobs))
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	start := time.Now()
	e, err := workloads.NewEngine(dev, jobs, workloads.WithStart(start), workloads.WithObserver(observer{run.Workload("", "null://1g")}))
	if err != nil {
		t.Fatal(err)
	}
	run.Begin(start, d+500*time.Millisecond)
	if _, err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// observer feeds an engine's intervals to a live run, as the commands do.
type observer struct{ o *live.Observer }

func (o observer) ObserveInterval(ci workloads.ClosedInterval) {
	o.o.Observe(live.Interval{Job: ci.Job, Dir: int(ci.Dir), StartNs: ci.StartNs, LengthNs: ci.LengthNs,
		IOs: ci.IOs, Bytes: ci.Bytes, Errors: ci.Errors, Latency: ci.Latency})
}
