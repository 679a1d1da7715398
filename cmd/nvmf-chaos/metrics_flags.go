package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/nvmf-chaos/nvmf-chaos/internal/live"
	"github.com/nvmf-chaos/nvmf-chaos/reports"
	"github.com/nvmf-chaos/nvmf-chaos/reports/prom"
	"github.com/nvmf-chaos/nvmf-chaos/scenarios"
	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

// liveRun is a live.Run as the runner feeds it. live sits below the
// engines, so their intervals are converted here, where both meet.
type liveRun struct{ *live.Run }

var _ scenarios.Live = liveRun{}

// Workload returns the observer of one workload's engine.
func (l liveRun) Workload(name, volume string) workloads.IntervalObserver {
	return liveObserver{l.Run.Workload(name, volume)}
}

// liveObserver hands an engine's intervals to a live.Run.
type liveObserver struct{ o *live.Observer }

func (o liveObserver) ObserveInterval(ci workloads.ClosedInterval) {
	o.o.Observe(live.Interval{Job: ci.Job, Dir: int(ci.Dir), StartNs: ci.StartNs, LengthNs: ci.LengthNs,
		IOs: ci.IOs, Bytes: ci.Bytes, Errors: ci.Errors, Latency: ci.Latency})
}

// metricsOptions are the Prometheus flags shared by run, bench and suite.
type metricsOptions struct {
	addr        string
	pushgateway string
}

// addMetricsFlags adds --metrics-addr and --pushgateway to cmd.
func addMetricsFlags(cmd *cobra.Command, o *metricsOptions) {
	f := cmd.Flags()
	f.StringVar(&o.addr, "metrics-addr", "", "serve Prometheus metrics on http://ADDR/metrics during the run (127.0.0.1:9464; :PORT listens on every address)")
	f.StringVar(&o.pushgateway, "pushgateway", "", "push the final metrics to this Pushgateway URL (job nvmf-chaos, grouped by scenario and run_id)")
}

// metricsPushTimeout bounds the final push and the server's shutdown.
const metricsPushTimeout = 10 * time.Second

// startMetrics serves exp's metrics when --metrics-addr is set, telling
// log where. The returned finish pushes the final state when --pushgateway
// is set and stops the server; call it once, after exp.Finish.
func startMetrics(o *metricsOptions, exp *prom.Exporter, log io.Writer) (finish func(context.Context) error, err error) {
	var srv *prom.Server
	if o.addr != "" {
		reg := prometheus.NewRegistry()
		if err := reg.Register(exp.Collector()); err != nil {
			return nil, fmt.Errorf("--metrics-addr: %w", err)
		}
		if srv, err = prom.Serve(o.addr, reg); err != nil {
			return nil, fmt.Errorf("--metrics-addr %s: %w", o.addr, err)
		}
		fmt.Fprintf(log, "metrics: %s\n", srv.URL())
	}
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), metricsPushTimeout)
		defer cancel()
		var perr, serr error
		if o.pushgateway != "" {
			perr = exp.Push(ctx, o.pushgateway)
		}
		if srv != nil {
			serr = srv.Close(ctx)
		}
		if perr != nil {
			return fmt.Errorf("--pushgateway: %w", perr)
		}
		return serr
	}, nil
}

// startProgress shows run's progress on w unless quiet: a line rewritten
// in place when w is a terminal, periodic lines otherwise. It returns the
// writer for the runner's own log lines (they appear above the live line)
// and the function that ends the display.
func startProgress(w io.Writer, run *live.Run, quiet bool) (io.Writer, func()) {
	if quiet {
		return io.Discard, func() {}
	}
	tty, width := false, 0
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		tty = true
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil {
			width = cols
		}
	}
	p := live.NewProgress(w, run, tty, width)
	p.Start()
	return p, p.Stop
}

// batchMetrics serves and pushes the metrics of a suite's or repeat's runs,
// one after another: /metrics shows the run in progress, and each run's
// final state is pushed to the Pushgateway (grouped by its run ID) when it
// ends.
type batchMetrics struct {
	o       *metricsOptions
	log     io.Writer
	command string
	reg     *prometheus.Registry
	srv     *prom.Server
	cur     prometheus.Collector
}

// startBatchMetrics serves /metrics when --metrics-addr is set.
func startBatchMetrics(o *metricsOptions, log io.Writer, command string) (*batchMetrics, error) {
	m := &batchMetrics{o: o, log: log, command: command}
	if o.addr == "" {
		return m, nil
	}
	m.reg = prometheus.NewRegistry()
	srv, err := prom.Serve(o.addr, m.reg)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr %s: %w", o.addr, err)
	}
	m.srv = srv
	fmt.Fprintf(log, "metrics: %s\n", srv.URL())
	return m, nil
}

// observe is scenarios.ExecOptions.Observe.
func (m *batchMetrics) observe(scenario, runID string) (scenarios.Live, func(*reports.Result)) {
	lr := live.New(live.Info{Scenario: scenario, RunID: runID, Command: m.command})
	exp := prom.New(lr)
	if m.reg != nil {
		if m.cur != nil {
			m.reg.Unregister(m.cur)
		}
		m.cur = exp.Collector()
		if err := m.reg.Register(m.cur); err != nil {
			fmt.Fprintf(m.log, "nvmf-chaos: metrics: %v\n", err)
		}
	}
	return liveRun{lr}, func(res *reports.Result) {
		exp.Finish(res)
		if m.o.pushgateway == "" {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), metricsPushTimeout)
		defer cancel()
		if err := exp.Push(ctx, m.o.pushgateway); err != nil {
			fmt.Fprintf(m.log, "nvmf-chaos: --pushgateway: %v\n", err)
		}
	}
}

// close stops the server.
func (m *batchMetrics) close() {
	if m.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), metricsPushTimeout)
	defer cancel()
	_ = m.srv.Close(ctx)
}
