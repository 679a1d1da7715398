package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
)

// envPprof names the address on which any subcommand serves Go's profiles
// (/debug/pprof/), so the data path can be profiled where it runs: a
// `bench` or `target` under load, as `go tool pprof
// http://127.0.0.1:6060/debug/pprof/profile?seconds=10` reads it. Unset,
// nothing listens and nothing is sampled.
const envPprof = "NVMF_CHAOS_PPROF"

// Sampling rates while profiles are served: one blocking event per 10 µs
// blocked, one contended mutex in 100. Both cost a little on the hot path,
// which is why they are on only with envPprof.
const (
	pprofBlockRateNs    = 10_000
	pprofMutexFraction  = 100
	pprofHandlerPattern = "/debug/pprof/"
)

// servePprof listens on addr and serves the profiles in the background
// until the process exits. The listener is opened before it returns, so a
// bad or busy address is an error rather than a silent goroutine's log.
// It returns the address it listens on (addr may name port 0).
func servePprof(addr string) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s=%s: %w", envPprof, addr, err)
	}
	runtime.SetBlockProfileRate(pprofBlockRateNs)
	runtime.SetMutexProfileFraction(pprofMutexFraction)
	mux := http.NewServeMux()
	mux.HandleFunc(pprofHandlerPattern, pprof.Index)
	mux.HandleFunc(pprofHandlerPattern+"cmdline", pprof.Cmdline)
	mux.HandleFunc(pprofHandlerPattern+"profile", pprof.Profile)
	mux.HandleFunc(pprofHandlerPattern+"symbol", pprof.Symbol)
	mux.HandleFunc(pprofHandlerPattern+"trace", pprof.Trace)
	go func() { _ = http.Serve(ln, mux) }()
	return ln.Addr(), nil
}
