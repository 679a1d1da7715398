package volume

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/targettest"
	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
)

// node is an embedded target with its RPC API on a unix socket, as
// `nvmf-chaos target --rpc-socket` runs it.
func node(t *testing.T) *rpc.Client {
	t.Helper()
	c, _ := targettest.RPC(t)
	return c
}

func freeAddr(t *testing.T) string { return targettest.FreeAddr(t) }

// leftovers lists the harness objects still on a node.
func leftovers(t *testing.T, c *rpc.Client) string {
	t.Helper()
	var out []string
	bdevs, err := c.BdevGetBdevs(t.Context(), rpc.BdevGetBdevsParams{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bdevs {
		out = append(out, "bdev "+b.Name)
	}
	subs, err := c.NvmfGetSubsystems(t.Context(), rpc.NvmfGetSubsystemsParams{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		if s.Subtype != "Discovery" {
			out = append(out, "subsystem "+s.NQN)
		}
	}
	return strings.Join(out, ", ")
}

func TestCreateDelete(t *testing.T) {
	for _, b := range []Backing{Malloc, Lvol} {
		t.Run(string(b), func(t *testing.T) {
			c := node(t)
			spec := Spec{Name: "vol0", RunID: "r1", Size: 16 << 20, Backing: b,
				Paths: []Path{{Node: "tgt-a", RPC: c, Addr: freeAddr(t)}}}
			v, err := Create(t.Context(), spec)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Create(t.Context(), spec)
			if err != nil {
				t.Fatalf("second Create must reuse what exists: %v", err)
			}
			if again.NQN != v.NQN || again.NSID != v.NSID || again.NGUID != v.NGUID {
				t.Fatalf("re-created volume differs: %+v vs %+v", again, v)
			}
			roundTrip(t, v, "tgt-a", "tgt-a")
			if err := v.Delete(t.Context()); err != nil {
				t.Fatal(err)
			}
			if left := leftovers(t, c); left != "" {
				t.Fatalf("left behind after Delete: %s", left)
			}
			if err := v.Delete(t.Context()); err != nil {
				t.Fatalf("Delete twice: %v", err)
			}
		})
	}
}

// TestSharedFileTwoNodes: a file volume on two targets is one namespace
// behind two controllers: same NGUID, data written through one path is
// read through the other, ANA states as asked.
func TestSharedFileTwoNodes(t *testing.T) {
	a, b := node(t), node(t)
	spec := Spec{Name: "vol0", RunID: "r2", Size: 8 << 20, Backing: File,
		FilePath: filepath.Join(t.TempDir(), "vol0.img"),
		Paths: []Path{{Node: "tgt-a", RPC: a, Addr: freeAddr(t)},
			{Node: "tgt-b", RPC: b, Addr: freeAddr(t), ANA: "non_optimized"}}}
	v, err := Create(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Delete(context.Background())
	roundTrip(t, v, "tgt-a", "tgt-b")
	addr, _ := v.Addr("tgt-b")
	c := dial(t, addr, v.NQN)
	log, err := c.ANALog(t.Context())
	if err != nil || log.Groups[0].State != nvme.ANANonOptimized {
		t.Fatalf("ANA on tgt-b: %+v %v", log, err)
	}
}

// TestPartialFailureCleansUp: when the second node fails, what the first
// got is removed and the error names the node.
func TestPartialFailureCleansUp(t *testing.T) {
	a, b := node(t), node(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	spec := Spec{Name: "vol0", RunID: "r3", Size: 8 << 20, Backing: File,
		FilePath: filepath.Join(t.TempDir(), "vol0.img"),
		Paths:    []Path{{Node: "tgt-a", RPC: a, Addr: freeAddr(t)}, {Node: "tgt-b", RPC: b, Addr: busy.Addr().String()}}}
	_, err = Create(t.Context(), spec)
	if err == nil || !strings.Contains(err.Error(), "tgt-b") {
		t.Fatalf("Create with a taken port: %v, want an error naming tgt-b", err)
	}
	for _, c := range []*rpc.Client{a, b} {
		if left := leftovers(t, c); left != "" {
			t.Fatalf("left behind after failed Create: %s", left)
		}
	}
}

func TestSpecErrors(t *testing.T) {
	c := node(t)
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"malloc on two nodes", Spec{Name: "v", RunID: "r", Size: 1 << 20, Backing: Malloc,
			Paths: []Path{{Node: "a", RPC: c}, {Node: "b", RPC: c}}}, "cannot be shared"},
		{"file without path", Spec{Name: "v", RunID: "r", Size: 1 << 20, Backing: File, Paths: []Path{{Node: "a", RPC: c}}}, "file path"},
		{"odd size", Spec{Name: "v", RunID: "r", Size: 1000, Backing: Malloc, Paths: []Path{{Node: "a", RPC: c}}}, "multiple of the block size"},
		{"no nodes", Spec{Name: "v", RunID: "r", Size: 1 << 20, Backing: Malloc}, "no node"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Create(t.Context(), tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func dial(t *testing.T, addr, nqn string) *nvmetcp.Controller {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := nvmetcp.Dial(ctx, nvmetcp.Config{Addr: addr, SubsysNQN: nqn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// roundTrip writes through one node's path and reads through another's.
func roundTrip(t *testing.T, v *Volume, from, to string) {
	t.Helper()
	aAddr, _ := v.Addr(from)
	bAddr, _ := v.Addr(to)
	w, r := dial(t, aAddr, v.NQN), dial(t, bAddr, v.NQN)
	data := bytes.Repeat([]byte("0123456789abcdef"), 256)
	if err := w.WriteAt(t.Context(), v.NSID, data, 3); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(data))
	if err := r.ReadAt(t.Context(), v.NSID, got, 3); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("data written via %s not read back via %s", from, to)
	}
}
