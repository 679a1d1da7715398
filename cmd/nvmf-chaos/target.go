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
	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
	"github.com/nvmf-chaos/nvmf-chaos/internal/target"
	"github.com/nvmf-chaos/nvmf-chaos/internal/target/api"
	"github.com/nvmf-chaos/nvmf-chaos/internal/target/bdev"
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
  nvmf-chaos target --listen 127.0.0.1:4420 --listen 127.0.0.1:4421 --file /tmp/vol.img --file-size 1GiB`,
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
	tgt := target.New(target.Options{Logger: logger, MinKATO: f.minKATO})
	defer tgt.Close()
	fl := cmd.Flags()
	cmdline := fl.Changed("nqn") || fl.Changed("malloc") || fl.Changed("file")
	if len(f.rpcSocket) > 0 {
		stop, err := serveRPC(ctx, tgt, logger, f.rpcSocket, cmdline)
		if err != nil {
			return err
		}
		defer stop()
		fmt.Fprintf(cmd.OutOrStdout(), "rpc listening on %s\n", strings.Join(f.rpcSocket, ", "))
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
	sub, err := tgt.AddSubsystem(target.SubsystemConfig{NQN: f.nqn, Serial: f.serial, AllowAnyHost: true, ANAReporting: true})
	if err != nil {
		return fmt.Errorf("--nqn %s: %w", f.nqn, err)
	}
	if _, err := sub.AddNamespace(target.NamespaceConfig{Bdev: dev}); err != nil {
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

// serveRPC serves the SPDK-compatible API on every address, one API state
// behind them all; spdk_kill_instance signals this process, as it does
// nvmf_tgt. The API starts with no transport, as nvmf_tgt does, so a
// bring-up written for SPDK (nvmf_create_transport first) works unchanged;
// withTransport records the TCP transport the command's own --listen
// subsystem uses. The returned func stops the server.
func serveRPC(ctx context.Context, tgt *target.Target, logger *slog.Logger, addrs []string, withTransport bool) (func(), error) {
	var ls []net.Listener
	for _, addr := range addrs {
		var l net.Listener
		var err error
		if strings.Contains(addr, "/") || !strings.Contains(addr, ":") {
			l, err = spdkrpc.ListenUnix(ctx, addr)
		} else {
			l, err = spdkrpc.ListenTCP(ctx, addr)
		}
		if err != nil {
			for _, l := range ls {
				_ = l.Close()
			}
			return nil, fmt.Errorf("--rpc-socket %s: %w", addr, err)
		}
		ls = append(ls, l)
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
	for _, l := range ls {
		go func() { _ = srv.Serve(l) }()
	}
	// The target goes before the API's bdevs: closing a bdev under
	// commands still running would fail them with media errors, which no
	// host retries on another path.
	return func() { _ = srv.Close(); _ = tgt.Close(); _ = a.Close() }, nil
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
