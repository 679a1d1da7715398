package cluster

import (
	"log/slog"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nvmf-chaos/nvmf-chaos/internal/testbin"
	"github.com/nvmf-chaos/nvmf-chaos/provision/netns"
)

func TestOptionsValidation(t *testing.T) {
	dir := t.TempDir()
	long := "/" + strings.Repeat("d", 100)
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want string // substring of the error; "" means valid
	}{
		{"valid", func(*Options) {}, ""},
		{"no nodes", func(o *Options) { o.Nodes = nil }, "0 nodes"},
		{"bad node name", func(o *Options) { o.Nodes = []string{"Tgt_A"} }, `node name "Tgt_A"`},
		{"duplicate node", func(o *Options) { o.Nodes = []string{"a", "a"} }, "listed twice"},
		{"no run dir", func(o *Options) { o.RunDir = "" }, "RunDir is required"},
		{"long socket path", func(o *Options) { o.RunDir = long }, "longer than 107"},
		{"run id too long", func(o *Options) { o.RunID = "abcdefg" }, "run ID"},
		{"prefix too long", func(o *Options) { o.Prefix = "nvmfchaos" }, "prefix"},
		{"subnet outside benchmark range", func(o *Options) { o.Subnet = netip.MustParsePrefix("10.0.0.0/24") }, "inside 198.18.0.0/15"},
		{"subnet too small", func(o *Options) { o.Subnet = netip.MustParsePrefix("198.19.0.0/29"); o.Nodes = []string{"a", "b"} }, "room for 0 nodes"},
		{"unknown mode", func(o *Options) { o.Mode = "vm" }, `mode "vm"`},
		{"unknown restart policy", func(o *Options) { o.Restart = "sometimes" }, `restart policy "sometimes"`},
		{"unknown target", func(o *Options) { o.Target = "kernel" }, `target "kernel"`},
		{"spdk without binary", func(o *Options) { o.Target = TargetSPDK; o.Binary = "" }, "path of nvmf_tgt"},
		{"missing binary", func(o *Options) { o.Binary = filepath.Join(dir, "none") }, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{Nodes: []string{"tgt-a", "tgt-b"}, RunDir: dir, Binary: testbin.Path(t), Mode: ModeLoopback}
			tc.edit(&o)
			_, err := New(o)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestLayout(t *testing.T) {
	c, err := New(Options{Nodes: []string{"a", "b"}, RunDir: t.TempDir(), RunID: "abc123", Binary: testbin.Path(t),
		Mode: ModeLoopback, Subnet: netip.MustParsePrefix("198.19.7.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "nvmfc-abc123" || c.Bridge() != "" || c.HostAddr().String() != "127.0.0.1" {
		t.Fatalf("name %s bridge %q host %v", c.Name(), c.Bridge(), c.HostAddr())
	}
	if _, err := c.Node("c"); err == nil {
		t.Fatal("unknown node found")
	}
	// Namespace names and addresses as ModeNetns lays them out.
	c.mode = ModeNetns
	n := c.layoutNode(1, "b")
	if n.Netns != "nvmfc-abc123-b" || n.hostIf != "nvmfc-abc123-1" || n.DataAddr.String() != "198.19.7.12" ||
		n.DataPort != DefaultDataPort || c.HostAddr().String() != "198.19.7.1" || c.Bridge() != "nvmfc-abc123-br" {
		t.Fatalf("netns layout: %+v host %v bridge %s", n, c.HostAddr(), c.Bridge())
	}
	if len(n.hostIf) > 15 || len(c.Bridge()) > 15 {
		t.Fatal("interface name longer than 15 characters")
	}
	if last := c.layoutNode(MaxNodes-1, "z"); len(last.hostIf) > 15 {
		t.Fatalf("interface name %q longer than 15 characters", last.hostIf)
	}
}

func TestSubnetFor(t *testing.T) {
	seen := map[netip.Prefix]bool{}
	testCluster := netip.MustParsePrefix("198.19.128.0/17")
	for i := range 2000 {
		if p := subnetFor(strconv.Itoa(i)); testCluster.Overlaps(p) {
			t.Fatalf("subnetFor(%d) = %v, inside the test cluster's %v", i, p, testCluster)
		}
	}
	for _, id := range []string{"a", "b", "abc123", "zzzzzz", "000000"} {
		p := subnetFor(id)
		if p.Bits() != 24 || !benchNet.Contains(p.Addr()) || p != p.Masked() {
			t.Errorf("subnetFor(%q) = %v", id, p)
		}
		if subnetFor(id) != p {
			t.Errorf("subnetFor(%q) not stable", id)
		}
		seen[p] = true
	}
	if len(seen) < 4 {
		t.Errorf("run IDs share subnets too often: %v", seen)
	}
	if got := hostAddr(netip.MustParsePrefix("198.18.255.0/24"), 300); got.String() != "198.19.0.44" {
		t.Errorf("hostAddr carries into the next octet wrong: %v", got)
	}
}

// ModeAuto uses namespaces when it can and otherwise falls back to
// loopback, saying so once per process.
func TestModeAuto(t *testing.T) {
	defer func(f func() error) { netnsAvailable = f }(netnsAvailable)
	var logged strings.Builder
	logger := slog.New(slog.NewTextHandler(&logged, nil))
	for i, avail := range []error{nil, netns.ErrNotRoot, netns.ErrNoIP} {
		netnsAvailable = func() error { return avail }
		c, err := New(Options{Nodes: []string{"a"}, RunDir: t.TempDir(), Binary: testbin.Path(t), Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		want := ModeNetns
		if avail != nil {
			want = ModeLoopback
		}
		if c.Mode() != want {
			t.Errorf("#%d available %v: mode %s, want %s", i, avail, c.Mode(), want)
		}
		if _, err := New(Options{Nodes: []string{"a"}, RunDir: t.TempDir(), Binary: testbin.Path(t), Mode: ModeNetns}); (err == nil) != (avail == nil) {
			t.Errorf("#%d available %v: explicit ModeNetns: %v", i, avail, err)
		}
	}
	if n := strings.Count(logged.String(), "nodes run on loopback"); n > 1 {
		t.Errorf("fallback notice logged %d times:\n%s", n, logged.String())
	}
}
