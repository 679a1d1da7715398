package prom

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/push"
)

// PushJob is the job name final metrics are pushed under.
const PushJob = "nvmf-chaos"

// Server serves a registry's metrics on /metrics.
type Server struct {
	srv  *http.Server
	addr string
	done chan error
}

// Serve listens on addr (host:port; ":PORT" listens on every address,
// port 0 picks a free one) and serves g on /metrics until Close.
func Serve(addr string, g prometheus.Gatherer) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	s := &Server{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, addr: ln.Addr().String(), done: make(chan error, 1)}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.addr }

// URL is the metrics endpoint, with a loopback host when the server
// listens on every address.
func (s *Server) URL() string {
	host, port, _ := net.SplitHostPort(s.addr)
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/metrics"
}

// Close stops the server, letting a scrape in progress finish until ctx
// ends. Safe to call twice.
func (s *Server) Close(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if serr := <-s.done; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	s.done <- http.ErrServerClosed // for a second Close
	if err != nil {
		return fmt.Errorf("metrics server: %w", err)
	}
	return nil
}

// Push sends the run's metrics to the Pushgateway at url, replacing the
// group job=nvmf-chaos, scenario, run_id (so nightly runs do not overwrite
// each other and a rerun of one run does). The Pushgateway adds those
// labels to every series it exposes.
func (e *Exporter) Push(ctx context.Context, url string) error {
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	reg := prometheus.NewRegistry()
	if err := reg.Register(newCollector(e, true)); err != nil {
		return fmt.Errorf("push: %w", err)
	}
	info := e.run.Info()
	p := push.New(url, PushJob).Gatherer(reg).Grouping("scenario", info.Scenario).Grouping("run_id", info.RunID)
	if err := p.PushContext(ctx); err != nil {
		return fmt.Errorf("push to %s: %w", url, err)
	}
	return nil
}
