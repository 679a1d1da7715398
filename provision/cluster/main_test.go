package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
	"github.com/nvmf-chaos/nvmf-chaos/internal/testbin"
)

// TestMain runs the crash harness when this binary is started as one, and
// otherwise the tests, removing the nvmf-chaos build they start.
func TestMain(m *testing.M) {
	if spec := os.Getenv(crashEnv); spec != "" {
		os.Exit(crashingHarness(spec))
	}
	os.Exit(testbin.Main(m))
}

// testRunID is a run ID unique to this test process, so parallel test runs
// (and their sweeps) never touch each other.
func testRunID(n int) string {
	return fmt.Sprintf("t%04x%c", os.Getpid()&0xffff, 'a'+n%26)
}

// shortDir is a run directory short enough for unix socket paths.
func shortDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "nvmfc-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// newCluster makes a cluster whose Destroy runs at cleanup.
func newCluster(t *testing.T, o Options) *Cluster {
	t.Helper()
	if o.RunDir == "" {
		o.RunDir = shortDir(t)
	}
	if o.StateDir == "" {
		o.StateDir = filepath.Join(o.RunDir, "registry")
	}
	if o.Binary == "" {
		o.Binary = testbin.Path(t)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := c.Destroy(ctx); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return c
}

// addListener provisions a subsystem listening on the node's data address.
func addListener(ctx context.Context, t *testing.T, n *Node) {
	t.Helper()
	nqn := "nqn.2016-06.io.nvmf-chaos:" + n.Name
	// nvmf_tgt and the embedded target both start without a transport.
	if err := rpcCall(ctx, n.RPCSocket, "nvmf_create_transport", spdkrpc.NvmfCreateTransportParams{Trtype: "TCP"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := rpcCall(ctx, n.RPCSocket, "nvmf_create_subsystem",
		spdkrpc.NvmfCreateSubsystemParams{NQN: nqn, AllowAnyHost: true}, nil); err != nil {
		t.Fatal(err)
	}
	la := spdkrpc.ListenAddress{Trtype: "TCP", Adrfam: "IPv4", Traddr: n.DataAddr.String(),
		Trsvcid: strconv.Itoa(int(n.DataPort))}
	if err := rpcCall(ctx, n.RPCSocket, "nvmf_subsystem_add_listener",
		spdkrpc.NvmfSubsystemListenerParams{NQN: nqn, ListenAddress: la}, nil); err != nil {
		t.Fatal(err)
	}
	if err := n.WaitListener(ctx); err != nil {
		t.Fatal(err)
	}
}

// alive reports whether pid runs (zombies are dead).
func alive(pid int) bool { return procRef(pid).Alive() }

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: network namespaces need root; run `sudo go test ./provision/cluster` to include this test")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipped: iproute2's ip is not installed (apt-get install -y iproute2)")
	}
}
