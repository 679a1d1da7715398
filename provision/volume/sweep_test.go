package volume

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
)

// TestSweep leaves volumes of every backing, with delay and error layers,
// behind as a crashed run would, and checks Sweep removes exactly one
// run's objects: another run's volume and foreign objects stay.
func TestSweep(t *testing.T) {
	c := node(t)
	ctx := t.Context()
	dir := t.TempDir()
	mk := func(run, name string, b Backing) *Volume {
		t.Helper()
		spec := Spec{Name: name, RunID: run, Size: 16 << 20, Backing: b, Delay: true, Errors: true,
			Paths: []Path{{Node: "n", RPC: c, Addr: freeAddr(t)}}}
		if b == File {
			spec.FilePath = filepath.Join(dir, run+name+".img")
		}
		v, err := Create(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, b := range []Backing{Malloc, File, Lvol} {
		mk("crash1", "v"+string(b), b)
	}
	other := mk("alive2", "keep", Malloc)
	if _, err := c.BdevMallocCreate(ctx, rpc.BdevMallocCreateParams{Name: "foreign", NumBlocks: 256, BlockSize: 4096}); err != nil {
		t.Fatal(err)
	}
	if err := c.NvmfCreateSubsystem(ctx, rpc.NvmfCreateSubsystemParams{NQN: "nqn.2016-06.io.spdk:foreign", AllowAnyHost: true}); err != nil {
		t.Fatal(err)
	}

	dry, err := Sweep(ctx, c, "crash1", true)
	if err != nil {
		t.Fatalf("dry sweep: %v", err)
	}
	before := leftovers(t, c)
	// 3 subsystems; malloc and file: base, delay, error; lvol: base
	// malloc, lvol, delay, error, and the lvstore.
	if want := 3 + 3 + 3 + 5; len(dry) != want {
		t.Errorf("dry run listed %d objects, want %d (every layer of 3 volumes): %v", len(dry), want, dry)
	}
	if after := leftovers(t, c); after != before {
		t.Fatalf("dry run removed objects:\nbefore %s\nafter  %s", before, after)
	}

	removed, err := Sweep(ctx, c, "crash1", false)
	if err != nil {
		t.Fatalf("sweep: %v (removed %v)", err, removed)
	}
	left := leftovers(t, c)
	if strings.Contains(left, "crash1") {
		t.Errorf("run crash1 objects left: %s", left)
	}
	for _, want := range []string{"foreign", "nqn.2016-06.io.spdk:foreign", other.NQN, other.DelayBdev()} {
		if !strings.Contains(left, want) {
			t.Errorf("%s was swept, but it is not run crash1's: left %s", want, left)
		}
	}
	if !slices.Contains(removed, "subsystem "+NQNPrefix+"crash1:vlvol") {
		t.Errorf("removed %v: no lvol volume subsystem", removed)
	}

	if _, err := Sweep(ctx, c, "", false); err != nil {
		t.Fatalf("sweep all: %v", err)
	}
	if left := leftovers(t, c); strings.Contains(left, Prefix) || strings.Contains(left, NQNPrefix) {
		t.Errorf("sweep of every run left %s", left)
	}
}
