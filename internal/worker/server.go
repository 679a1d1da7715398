package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/poll"
	"github.com/nvmf-chaos/nvmf-chaos/workloads"
	"github.com/nvmf-chaos/nvmf-chaos/workloads/nvmeof"
)

// Server is a worker: its device is open, and it runs the jobs once the
// harness says when.
type Server struct {
	spec Spec
	dev  workloads.Device
	log  *slog.Logger

	once    sync.Once
	started chan struct{}
	done    chan struct{}
	exit    chan struct{}
	report  Report
	live    liveBuffer
}

// openRetry bounds how long Open keeps trying: a Service's routes reach
// every node a moment after its pods are Ready, and until then
// connections are refused.
const openRetry = 30 * time.Second

// Open connects the worker to its target, retrying for a while.
func Open(ctx context.Context, spec Spec, log *slog.Logger) (*Server, error) {
	var dev workloads.Device
	what := fmt.Sprintf("workload %s's target %s to open", spec.Workload, spec.Target)
	err := poll.Until(ctx, what, func(ctx context.Context) error {
		d, err := workloads.Open(ctx, spec.Target, workloads.OpenOptionsFor(spec.Jobs))
		if err != nil {
			log.Warn("target not reachable yet, retrying", "workload", spec.Workload, "error", err)
			return err
		}
		dev = d
		return nil
	}, poll.Every(500*time.Millisecond), poll.Within(openRetry))
	if err != nil {
		return nil, err
	}
	return &Server{spec: spec, dev: dev, log: log, started: make(chan struct{}), done: make(chan struct{}), exit: make(chan struct{})}, nil
}

// Serve answers the harness on ln until it says exit, ctx ends or idle
// passes without a start (a harness that vanished must not leave workers
// running forever).
func (s *Server) Serve(ctx context.Context, ln net.Listener, idle time.Duration) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /clock", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, clockReply{UnixNs: time.Now().UnixNano()})
	})
	mux.HandleFunc("POST /start", s.handleStart(ctx))
	mux.HandleFunc("GET /intervals", func(w http.ResponseWriter, r *http.Request) {
		since, err := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
		if err != nil && r.URL.Query().Get("since") != "" {
			http.Error(w, "since: want a number", http.StatusBadRequest)
			return
		}
		writeJSON(w, s.live.since(since))
	})
	mux.HandleFunc("GET /result", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-s.done:
			writeJSON(w, s.report)
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("POST /exit", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
		select {
		case <-s.exit:
		default:
			close(s.exit)
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	defer s.dev.Close()
	timer := time.NewTimer(idle)
	defer timer.Stop()
	for {
		select {
		case <-s.exit:
			time.Sleep(100 * time.Millisecond) // let the exit reply leave
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			select {
			case <-s.started:
				timer.Reset(idle) // running: wait for it to be fetched
			default:
				return fmt.Errorf("no start from the harness within %s", idle)
			}
		}
	}
}

func (s *Server) handleStart(ctx context.Context) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req startRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req); err != nil || req.StartUnixNs <= 0 {
			http.Error(w, "want {\"start_unix_ns\": N}", http.StatusBadRequest)
			return
		}
		first := false
		s.once.Do(func() {
			first = true
			close(s.started)
			go s.run(ctx, time.Unix(0, req.StartUnixNs))
		})
		if !first {
			http.Error(w, "already started", http.StatusConflict)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}
}

// run waits for run-clock zero and runs the engine on the run clock.
func (s *Server) run(ctx context.Context, zero time.Time) {
	defer close(s.done)
	opts := []workloads.Option{workloads.WithStart(zero), workloads.WithObserver(&s.live)}
	if s.spec.Interval > 0 {
		opts = append(opts, workloads.WithInterval(s.spec.Interval))
	}
	e, err := workloads.NewEngine(s.dev, s.spec.Jobs, opts...)
	if err != nil {
		s.report.Error = err.Error()
		return
	}
	if wait := time.Until(zero); wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			s.report.Error = ctx.Err().Error()
			return
		}
	}
	s.log.Info("workload starting", "workload", s.spec.Workload, "target", s.spec.Target)
	res, err := e.Run(ctx)
	s.report.Result = res
	switch {
	case ctx.Err() != nil || (res != nil && res.Cancelled):
		// The pod was told to stop (deleted, evicted): the record is cut
		// short, and the run must say so rather than judge it.
		s.report.Error = "worker stopped before its run ended (pod terminated)"
	case err != nil && !errors.Is(err, context.Canceled):
		s.report.Error = err.Error()
	}
	if src, ok := s.dev.(nvmeof.PathEventSource); ok {
		for _, ev := range src.PathEvents() {
			pe := PathEvent{AtNs: int64(ev.At.Sub(zero)), Path: ev.Path, Kind: ev.Kind, Detail: ev.Detail}
			if ev.Kind == "ana-change" || ev.Kind == "up" {
				pe.ANAState = ev.ANAState.String()
			}
			s.report.PathEvents = append(s.report.PathEvents, pe)
		}
	}
	s.log.Info("workload done", "workload", s.spec.Workload, "error", s.report.Error)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
