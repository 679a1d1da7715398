package local

import (
	"net/netip"
	"os"
	"strings"
	"testing"
)

// TestAvailableNamesWhatIsMissing empties PATH: each network fault's
// Available names the missing binaries and the package to install.
func TestAvailableNamesWhatIsMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	n := NodeNet{RunID: "r", Node: "tgt-a", Netns: "ns"}
	part, err := NewPartition(PartitionConfig{NodeNet: n, Host: netip.MustParseAddr("198.18.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	bw, err := NewBandwidth("tgt-a", "10mbit", Link{Netns: "ns", Dev: "veth0"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		err  error
		want []string
	}{
		{"partition", part.Available(), []string{"nft not found in PATH (apt-get install -y nftables)", "ip not found"}},
		{"bandwidth", bw.Available(), []string{"tc not found in PATH (apt-get install -y iproute2)"}},
		{"cpu-stress", (&CPUStress{}).Available(), []string{"sh not found"}},
	} {
		for _, w := range tc.want {
			if tc.err == nil || !strings.Contains(tc.err.Error(), w) {
				t.Errorf("%s: Available() = %v, want it to say %q", tc.name, tc.err, w)
			}
		}
	}
}

func TestNeedRoot(t *testing.T) {
	err := needRoot("nftables rules")
	if os.Geteuid() == 0 {
		if err != nil {
			t.Errorf("as root: %v", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), "needs root") || !strings.Contains(err.Error(), "nftables rules") {
		t.Errorf("as uid %d: %v, want a needs-root error saying why", os.Geteuid(), err)
	}
}

// TestRequires: with no tool anywhere, each missing binary is named with
// its package; nothing asked for, nothing is missing.
func TestRequires(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := Requires("", "ip", "nft")
	for _, want := range []string{"ip not found in PATH (apt-get install -y iproute2)", "nft not found in PATH (apt-get install -y nftables)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Requires(ip, nft) = %v, want it to say %q", err, want)
		}
	}
	if err := Requires(""); err != nil {
		t.Errorf("Requires() = %v, want nothing missing", err)
	}
	err = Requires("tc qdiscs")
	if (os.Geteuid() == 0) != (err == nil) {
		t.Errorf("Requires(root) as uid %d: %v", os.Geteuid(), err)
	}
}
