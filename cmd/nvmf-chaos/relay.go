package main

import (
	"fmt"
	"net"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/nvmf-chaos/nvmf-chaos/internal/rpcrelay"
)

func newRelayCmd() *cobra.Command {
	var r rpcrelay.Relay
	cmd := &cobra.Command{
		Use:    "rpc-relay --unix SOCKET --listen HOST:PORT",
		Short:  "Carry TCP connections to an SPDK target's unix-socket JSON-RPC (the sidecar of an SPDK target pod)",
		Hidden: true,
		Long: `rpc-relay waits until SOCKET accepts connections, then listens on HOST:PORT and
joins every connection there to a new connection to SOCKET. SPDK's nvmf_tgt serves
JSON-RPC on a unix socket only; the harness reaches a pod through a port-forward,
which carries TCP only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			r.Ready = func(a net.Addr) { fmt.Fprintf(cmd.OutOrStdout(), "rpc-relay: %s -> %s\n", a, r.Unix) }
			return r.Serve(ctx)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&r.Unix, "unix", "/var/tmp/spdk.sock", "the target's JSON-RPC unix `socket`")
	fl.StringVar(&r.Listen, "listen", "0.0.0.0:5260", "TCP `address` to listen on")
	return cmd
}
