package local

import (
	"context"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	for in, want := range map[string]uint64{
		"10mbit": 10e6, "1.5gbit": 1.5e9, "500kbps": 4e6, "64000": 64e3, " 2MBit ": 2e6, "100gbit": 100e9,
	} {
		if got, err := ParseRate(in); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "fast", "10 furlongs", "1bit", "1tbit", "-5mbit", "NaNmbit"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
}

func TestTBFLinks(t *testing.T) {
	out := "qdisc noqueue 0: dev lo root refcnt 2\n" +
		"qdisc tbf 4e56: dev veth0 root refcnt 3 rate 2Mbit burst 16Kb lat 100ms\n" +
		"qdisc tbf 1: dev veth1 root refcnt 3 rate 2Mbit burst 16Kb lat 100ms\n"
	if got := tbfLinks(out); len(got) != 1 || got[0] != "veth0" {
		t.Errorf("tbfLinks = %v, want [veth0] (only the harness's handle)", got)
	}
}

func TestNewBandwidthRejects(t *testing.T) {
	for name, err := range map[string]error{
		"no link":  errOf(NewBandwidth("n", "10mbit")),
		"bad dev":  errOf(NewBandwidth("n", "10mbit", Link{Dev: "a b"})),
		"bad rate": errOf(NewBandwidth("n", "lots", Link{Dev: "eth0"})),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestBandwidthSlowsTransfer shapes the node's veth and times a bounded
// transfer from the node. Only wide margins are asserted: the shaped
// transfer cannot beat its rate, and is far slower than the unshaped one.
func TestBandwidthSlowsTransfer(t *testing.T) {
	p := newNSPair(t)
	serve(t, p.node, p.nodeAddr, dataPort)
	const size = 256 << 10
	addr := netip.AddrPortFrom(p.nodeAddr, dataPort)
	timed := func() time.Duration {
		start := time.Now()
		if err := fetch(p.host, addr, size, 30*time.Second); err != nil {
			t.Fatalf("transfer: %v", err)
		}
		return time.Since(start)
	}
	free := timed()
	f, err := NewBandwidth("tgt-a", "2mbit", Link{Netns: p.node, Dev: p.nodeDev})
	if err != nil {
		t.Fatal(err)
	}
	var shaped time.Duration
	injectRecover(t, f, func() {
		if !strings.Contains(qdiscs(t, p.node), "tbf "+tbfHandle) {
			t.Error("no tbf qdisc on the node's link")
		}
		shaped = timed()
	})
	// (256 KiB - 16 KiB burst) at 250 kB/s is about 0.98 s.
	if shaped < 500*time.Millisecond || shaped < 5*free {
		t.Errorf("256 KiB took %s shaped to 2mbit, %s unshaped: want >= 500ms and >= 5x", shaped, free)
	}
	if strings.Contains(qdiscs(t, p.node), "tbf "+tbfHandle) {
		t.Error("tbf qdisc left after recovery")
	}
	t.Logf("256 KiB: %s unshaped, %s at 2mbit", free, shaped)
}

func qdiscs(t *testing.T, ns string) string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", ns, "tc", "qdisc", "show").CombinedOutput()
	if err != nil {
		t.Fatalf("tc qdisc show: %v: %s", err, out)
	}
	return string(out)
}

func TestCleanupNetnsRemovesQdiscs(t *testing.T) {
	p := newNSPair(t)
	f, err := NewBandwidth("tgt-a", "1mbit", Link{Netns: p.node, Dev: p.nodeDev})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Inject(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := CleanupNetns(context.Background(), p.node, TablePrefix(p.runID)); err != nil {
		t.Fatalf("CleanupNetns: %v", err)
	}
	if strings.Contains(qdiscs(t, p.node), "tbf "+tbfHandle) {
		t.Error("tbf qdisc left after cleanup")
	}
}
