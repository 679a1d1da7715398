package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/api"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/bdev"
	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
	"github.com/nvmf-chaos/nvmf-chaos/scenarios"
)

// defaultTargetNQN is the subsystem `nvmf-chaos target` serves without --nqn.
const defaultTargetNQN = "nqn.2016-06.io.nvmf-chaos:target"

type targetFlags struct {
	listen    []string
	nqn       string
	serial    string
	malloc    string
	file      string
	fileSize  string
	blockSize int
	anaState  string
	minKATO   time.Duration
	logLevel  string
	rpcSocket []string
	rpcHTTP   []string
	httpAuth  rpcHTTPAuth
}

func newTargetCmd() *cobra.Command {
	var f targetFlags
	cmd := &cobra.Command{
		Use:   "target",
		Short: "Run the embedded NVMe/TCP target in the foreground",
		Long: `target serves one NVM subsystem with one namespace over NVMe/TCP until SIGINT or
SIGTERM, then disconnects every host and exits. The namespace lives in memory
(--malloc SIZE) or in a file (--file PATH): two target processes given the same
file export one namespace through two controllers, like a dual-controller array.
Every listener also serves the discovery subsystem.`,
		Example: `  nvmf-chaos target --listen 127.0.0.1:4420 --malloc 256MiB
  nvmf-chaos target --listen 127.0.0.1:4420 --listen 127.0.0.1:4421 --file /tmp/vol.img --file-size 1GiB
  nvmf-chaos target --rpc-socket /var/tmp/spdk.sock --rpc-http 198.18.0.5:9009 --rpc-http-credentials /etc/nvmf-chaos/rpc-user`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTarget(cmd.Context(), cmd, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.listen, "listen", []string{"127.0.0.1:4420"}, "TCP `address` to listen on (repeatable)")
	fl.StringVar(&f.nqn, "nqn", defaultTargetNQN, "subsystem NQN")
	fl.StringVar(&f.serial, "serial", "NVMFCHAOS0001", "subsystem serial number (20 characters at most)")
	fl.StringVar(&f.malloc, "malloc", "", "namespace in memory of this `size` (e.g. 256MiB)")
	fl.StringVar(&f.file, "file", "", "namespace backed by this file or block device")
	fl.StringVar(&f.fileSize, "file-size", "", "create or extend --file to this `size`")
	fl.IntVar(&f.blockSize, "block-size", 512, "logical block size in bytes")
	fl.StringVar(&f.anaState, "ana-state", "optimized", "ANA state of every listener: optimized, non-optimized, inaccessible")
	fl.DurationVar(&f.minKATO, "min-kato", 0, "raise smaller keep-alive timeouts hosts ask for to this `duration`")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fl.StringArrayVar(&f.rpcSocket, "rpc-socket", nil, "serve SPDK's JSON-RPC API on this unix socket `path` or host:port "+
		"(repeatable: a local socket for the harness plus a management address on the node's network); "+
		"without --nqn/--malloc/--file the target starts empty, with no transport like nvmf_tgt, and is provisioned over RPC")
	fl.StringArrayVar(&f.rpcHTTP, "rpc-http", nil, "also serve the JSON-RPC API over HTTP with basic auth on this host:port `address`, "+
		"as SPDK's scripts/rpc_http_proxy.py does for the SPDK CSI driver (repeatable; with or without --rpc-socket); "+
		"credentials from --rpc-http-credentials or "+envRPCUser+"/"+envRPCPassword)
	fl.StringVar(&f.httpAuth.file, "rpc-http-credentials", "", "`file` holding one line user:password for --rpc-http")
	fl.BoolVar(&f.httpAuth.insecure, "rpc-http-insecure", false, "serve --rpc-http without authentication (anyone who reaches it controls the target)")
	return cmd
}

func runTarget(ctx context.Context, cmd *cobra.Command, f *targetFlags) error {
	logger, err := newLogger(cmd.ErrOrStderr(), f.logLevel)
	if err != nil {
		return err
	}
	state, err := nvme.ParseANAState(f.anaState)
	if err != nil {
		return fmt.Errorf("--ana-state: %w", err)
	}
	ep := rpcEndpoints{sockets: f.rpcSocket, http: f.rpcHTTP}
	if ep.httpOpts, err = targetHTTPOptions(f); err != nil {
		return err
	}
	tgt := nvmftarget.New(nvmftarget.Options{Logger: logger, MinKATO: f.minKATO})
	defer tgt.Close()
	fl := cmd.Flags()
	cmdline := fl.Changed("nqn") || fl.Changed("malloc") || fl.Changed("file")
	if len(f.rpcSocket) > 0 || len(f.rpcHTTP) > 0 {
		stop, httpAddrs, err := serveRPC(ctx, tgt, logger, ep, cmdline)
		if err != nil {
			return err
		}
		defer stop()
		if len(f.rpcSocket) > 0 {
			fmt.Fprintf(cmd.OutOrStdout(), "rpc listening on %s\n", strings.Join(f.rpcSocket, ", "))
		}
		for _, a := range httpAddrs {
			fmt.Fprintf(cmd.OutOrStdout(), "rpc-http listening on http://%s/\n", a)
		}
		if !cmdline {
			<-ctx.Done()
			fmt.Fprintln(cmd.OutOrStdout(), "shutting down")
			return nil
		}
	}
	dev, closeDev, err := openTargetBdev(f)
	if err != nil {
		return err
	}
	defer closeDev()
	sub, err := tgt.AddSubsystem(nvmftarget.SubsystemConfig{NQN: f.nqn, Serial: f.serial, AllowAnyHost: true, ANAReporting: true})
	if err != nil {
		return fmt.Errorf("--nqn %s: %w", f.nqn, err)
	}
	if _, err := sub.AddNamespace(nvmftarget.NamespaceConfig{Bdev: dev}); err != nil {
		return fmt.Errorf("namespace: %w", err)
	}
	for _, addr := range f.listen {
		bound, err := tgt.AddListener(f.nqn, addr, state)
		if err != nil {
			return fmt.Errorf("--listen %s: %w", addr, err)
		}
		if _, err := tgt.AddListener("discovery", bound, 0); err != nil {
			return fmt.Errorf("--listen %s: discovery: %w", addr, err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "serving %s on %s (%s, %d MiB, %d-byte blocks, ANA %v)\n",
			f.nqn, bound, dev.Name(), bdev.Size(dev)>>20, dev.BlockSize(), state)
	}
	<-ctx.Done()
	fmt.Fprintln(cmd.OutOrStdout(), "shutting down")
	return nil
}

// rpcEndpoints are where serveRPC serves the API.
type rpcEndpoints struct {
	sockets  []string // --rpc-socket: unix socket paths or host:port
	http     []string // --rpc-http: host:port
	httpOpts spdkrpc.HTTPOptions
}

// targetHTTPOptions checks the --rpc-http flags before anything starts, so
// a missing password fails the command instead of a later request.
func targetHTTPOptions(f *targetFlags) (spdkrpc.HTTPOptions, error) {
	if len(f.rpcHTTP) == 0 {
		if f.httpAuth.file != "" || f.httpAuth.insecure {
			return spdkrpc.HTTPOptions{}, errors.New("--rpc-http-credentials and --rpc-http-insecure need --rpc-http")
		}
		return spdkrpc.HTTPOptions{}, nil
	}
	return rpcHTTPOptions(f.httpAuth)
}

// serveRPC serves the SPDK-compatible API on every address, one API state
// and one method table behind them all; spdk_kill_instance signals this
// process, as it does nvmf_tgt. The API starts with no transport, as
// nvmf_tgt does, so a bring-up written for SPDK (nvmf_create_transport
// first) works unchanged; withTransport records the TCP transport the
// command's own --listen subsystem uses. It returns a func that stops the
// server and the bound --rpc-http addresses.
func serveRPC(ctx context.Context, tgt *nvmftarget.Target, logger *slog.Logger, ep rpcEndpoints, withTransport bool) (func(), []string, error) {
	socks, https, err := listenRPC(ctx, ep)
	if err != nil {
		return nil, nil, err
	}
	kill := func(sig string) error {
		s, ok := map[string]syscall.Signal{spdkrpc.SIGINT: syscall.SIGINT, spdkrpc.SIGTERM: syscall.SIGTERM,
			spdkrpc.SIGQUIT: syscall.SIGQUIT, spdkrpc.SIGHUP: syscall.SIGHUP, spdkrpc.SIGKILL: syscall.SIGKILL,
			spdkrpc.SIGUSR1: syscall.SIGUSR1}[sig]
		if !ok {
			return fmt.Errorf("signal %s not supported", sig)
		}
		return syscall.Kill(os.Getpid(), s)
	}
	a := api.New(tgt, logger.With("component", "rpc"), kill)
	if withTransport {
		a.MarkTransportCreated()
	}
	srv := spdkrpc.NewServer()
	a.Register(srv)
	for _, l := range socks {
		go func() { _ = srv.Serve(l) }()
	}
	var bound []string
	for _, l := range https {
		bound = append(bound, l.Addr().String())
		go func() { _ = srv.ServeHTTPProxy(l, ep.httpOpts) }()
	}
	if len(https) > 0 && ep.httpOpts.Credentials == nil {
		logger.Warn("--rpc-http-insecure: the JSON-RPC API is served without authentication", "addrs", bound)
	}
	// The target goes before the API's bdevs: closing a bdev under
	// commands still running would fail them with media errors, which no
	// host retries on another path.
	return func() { _ = srv.Close(); _ = tgt.Close(); _ = a.Close() }, bound, nil
}

// listenRPC opens every RPC listener, or none: on an error the ones
// already open are closed.
func listenRPC(ctx context.Context, ep rpcEndpoints) (socks, https []net.Listener, err error) {
	fail := func(e error) ([]net.Listener, []net.Listener, error) {
		for _, l := range append(socks, https...) {
			_ = l.Close()
		}
		return nil, nil, e
	}
	for _, addr := range ep.sockets {
		var l net.Listener
		if strings.Contains(addr, "/") || !strings.Contains(addr, ":") {
			l, err = spdkrpc.ListenUnix(ctx, addr)
		} else {
			l, err = spdkrpc.ListenTCP(ctx, addr)
		}
		if err != nil {
			return fail(fmt.Errorf("--rpc-socket %s: %w", addr, err))
		}
		socks = append(socks, l)
	}
	for _, addr := range ep.http {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return fail(fmt.Errorf("--rpc-http %s: want host:port: %w", addr, err))
		}
		l, err := spdkrpc.ListenTCP(ctx, addr)
		if err != nil {
			return fail(fmt.Errorf("--rpc-http %s: %w", addr, err))
		}
		https = append(https, l)
	}
	return socks, https, nil
}

// openTargetBdev opens the namespace's backing device from the flags.
func openTargetBdev(f *targetFlags) (bdev.Bdev, func(), error) {
	switch {
	case f.malloc != "" && f.file != "":
		return nil, nil, errors.New("--malloc and --file are mutually exclusive")
	case f.file != "":
		var size int64
		if f.fileSize != "" {
			s, err := scenarios.ParseSize(f.fileSize)
			if err != nil {
				return nil, nil, fmt.Errorf("--file-size %q: %w", f.fileSize, err)
			}
			size = int64(s)
		}
		b, err := bdev.OpenFile(f.file, bdev.FileOptions{Size: size, BlockSize: f.blockSize})
		if err != nil {
			return nil, nil, fmt.Errorf("--file %s: %w", f.file, err)
		}
		return b, func() { _ = b.Close() }, nil
	default:
		if f.malloc == "" {
			f.malloc = "256MiB"
		}
		s, err := scenarios.ParseSize(f.malloc)
		if err != nil {
			return nil, nil, fmt.Errorf("--malloc %q: %w", f.malloc, err)
		}
		b, err := bdev.NewMalloc("malloc0", int64(s), f.blockSize, [16]byte{})
		if err != nil {
			return nil, nil, fmt.Errorf("--malloc %s: %w", f.malloc, err)
		}
		return b, func() {}, nil
	}
}

// newLogger is the structured logger long-running subcommands write to stderr.
func newLogger(w interface{ Write([]byte) (int, error) }, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	if w == nil {
		w = os.Stderr
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
