package scenarios

import (
	"context"
	"errors"
	"testing"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/targettest"
	"github.com/nvmf-chaos/nvmf-chaos/provision/cluster"
	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
)

// TestPrepareCreatesTransport: the runner creates the TCP transport on
// every target, since the embedded one in RPC mode starts without, like
// nvmf_tgt. On an external target an existing transport is the operator's
// and is used; on a target the harness just started, it is a surprise.
func TestPrepareCreatesTransport(t *testing.T) {
	for _, tc := range []struct {
		name              string
		started, existing bool
		wantErr           error
	}{
		{name: "started target", started: true},
		{name: "started target with a transport", started: true, existing: true, wantErr: rpc.ErrExists},
		{name: "external target"},
		{name: "external target with a transport", existing: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := targettest.Bare(t)
			ctx := context.Background()
			if tc.existing {
				if err := c.NvmfCreateTransport(ctx, rpc.NvmfCreateTransportParams{Trtype: "TCP"}); err != nil {
					t.Fatal(err)
				}
			}
			n := &runNode{name: "n1"}
			if tc.started {
				n.node = &cluster.Node{Name: "n1"}
			}
			err := n.prepare(ctx, c)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("prepare: %v, want %v", err, tc.wantErr)
			}
			ts, err := c.NvmfGetTransports(ctx, rpc.NvmfGetTransportsParams{})
			if err != nil {
				t.Fatal(err)
			}
			if len(ts) != 1 || ts[0].Trtype != "TCP" {
				t.Errorf("transports after prepare %+v, want TCP", ts)
			}
		})
	}
}
