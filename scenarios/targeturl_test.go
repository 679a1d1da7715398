package scenarios

import (
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/provision/volume"
	"github.com/nvmf-chaos/nvmf-chaos/workloads/nvmeof"
)

// TestTargetURLCarriesHostSettings checks that every host setting a
// scenario can set reaches the host through the volume's target URL:
// a setting dropped here would be silently ignored by the run (and make
// every cell of a sweep over it identical).
func TestTargetURLCarriesHostSettings(t *testing.T) {
	v := &volume.Volume{NQN: "nqn.2016-06.io.nvmf-chaos:r:vol0", NSID: 1,
		Spec: volume.Spec{Paths: []volume.Path{{Node: "a", Addr: "198.18.0.2:4420"}, {Node: "b", Addr: "198.18.0.3:4420"}}}}
	single := &volume.Volume{NQN: v.NQN, NSID: 1, Spec: volume.Spec{Paths: v.Paths[:1]}}
	full := Host{KATO: Duration(time.Second), IOTimeout: Duration(5 * time.Second), ReconnectDelay: Duration(100 * time.Millisecond),
		CtrlLossTmo: Duration(30 * time.Second), FastIOFailTmo: Duration(10 * time.Second), Policy: "round-robin",
		NrIOQueues: 4, QueueSize: 64, HeaderDigest: true, DataDigest: true}
	tests := []struct {
		name string
		host Host
		vol  *volume.Volume
		want url.Values
	}{
		{"defaults", Host{}, v, url.Values{"nsid": {"1"}}},
		{"multipath", full, v, url.Values{"nsid": {"1"}, "kato": {"1s"}, "io_timeout": {"5s"}, "reconnect_delay": {"100ms"},
			"ctrl_loss_tmo": {"30s"}, "fast_io_fail_tmo": {"10s"}, "policy": {"round-robin"},
			"nr_io_queues": {"4"}, "queue_size": {"64"}, "hdgst": {"1"}, "ddgst": {"1"}}},
		{"single path has no multipath options", full, single, url.Values{"nsid": {"1"}, "kato": {"1s"}, "io_timeout": {"5s"},
			"nr_io_queues": {"4"}, "queue_size": {"64"}, "hdgst": {"1"}, "ddgst": {"1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Runner{s: &Scenario{Host: tt.host}}
			u, err := url.Parse(r.targetURL(tt.vol))
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Query(); got.Encode() != tt.want.Encode() {
				t.Errorf("query\n got %s\nwant %s", got.Encode(), tt.want.Encode())
			}
		})
	}
}

// TestTargetCarriesHostSettings: the run hands the host its settings as
// a typed Target, each field from the scenario's host block, with no
// text in between to lose or misread one.
func TestTargetCarriesHostSettings(t *testing.T) {
	v := &volume.Volume{NQN: "nqn.2016-06.io.nvmf-chaos:r:vol0", NSID: 1,
		Spec: volume.Spec{Paths: []volume.Path{{Node: "a", Addr: "198.18.0.2:4420"}, {Node: "b", Addr: "198.18.0.3:4420"}}}}
	single := &volume.Volume{NQN: v.NQN, NSID: 1, Spec: volume.Spec{Paths: v.Paths[:1]}}
	s := time.Second
	full := Host{KATO: Duration(s), IOTimeout: Duration(5 * s), ReconnectDelay: Duration(100 * time.Millisecond),
		CtrlLossTmo: Duration(30 * s), FastIOFailTmo: Duration(10 * s), Policy: "round-robin",
		NrIOQueues: 4, QueueSize: 64, HeaderDigest: true, DataDigest: true}
	both := nvmeof.Host{KATO: s, IOTimeout: 5 * s, IOQueues: 4, QueueSize: 64, HeaderDigest: true, DataDigest: true}
	multi := both
	multi.ReconnectDelay, multi.CtrlLossTmo, multi.FastIOFailTmo, multi.Policy = 100*time.Millisecond, 30*s, 10*s, "round-robin"
	tests := []struct {
		name string
		host Host
		vol  *volume.Volume
		want nvmeof.Target
	}{
		{"defaults", Host{}, v, nvmeof.Target{Addrs: []string{"198.18.0.2:4420", "198.18.0.3:4420"}, NQN: v.NQN, NSID: 1}},
		{"multipath", full, v, nvmeof.Target{Addrs: []string{"198.18.0.2:4420", "198.18.0.3:4420"}, NQN: v.NQN, NSID: 1, Host: multi}},
		{"single path has no multipath settings", full, single, nvmeof.Target{Addrs: []string{"198.18.0.2:4420"}, NQN: v.NQN, NSID: 1, Host: both}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Runner{s: &Scenario{Host: tt.host}}
			if got := r.target(tt.vol); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("target\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestEffectiveHost checks that results record what the host used: the
// defaults for what the scenario left out, multipath settings only when
// a volume has several paths.
func TestEffectiveHost(t *testing.T) {
	s := time.Second
	one := []Volume{{Name: "v", Nodes: []string{"a"}}}
	two := []Volume{{Name: "v", Nodes: []string{"a", "b"}}}
	tests := []struct {
		name    string
		host    Host
		volumes []Volume
		want    Host
	}{
		{"single path defaults", Host{}, one, Host{KATO: Duration(10 * s), IOTimeout: Duration(30 * s)}},
		{"multipath defaults", Host{}, two, Host{KATO: Duration(10 * s), IOTimeout: Duration(30 * s),
			ReconnectDelay: Duration(10 * s), CtrlLossTmo: Duration(600 * s), FastIOFailTmo: Duration(600 * s), Policy: "failover"}},
		{"set values kept", Host{KATO: Duration(s), CtrlLossTmo: Duration(30 * s), Policy: "queue-depth", QueueSize: 8}, two,
			Host{KATO: Duration(s), IOTimeout: Duration(30 * s), ReconnectDelay: Duration(10 * s), CtrlLossTmo: Duration(30 * s),
				FastIOFailTmo: Duration(30 * s), Policy: "queue-depth", QueueSize: 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Runner{s: &Scenario{Host: tt.host, Volumes: tt.volumes}}
			if got := r.effectiveHost(); got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestJobSeedsDifferAcrossWorkloads(t *testing.T) {
	seen := map[uint64]string{}
	for wi := range 4 {
		for i := range 4 {
			s := jobSeed(42, wi, i)
			if prev, ok := seen[s]; ok {
				t.Fatalf("workload %d job %d has the seed of %s", wi, i, prev)
			}
			seen[s] = fmt.Sprintf("workload %d job %d", wi, i)
		}
	}
	if jobSeed(42, 0, 3) != 45 {
		t.Error("workload 0 no longer gets seed+i, the seeds earlier runs recorded")
	}
}

func TestJitterDelays(t *testing.T) {
	ev := FaultEvent{Jitter: Duration(500 * time.Millisecond), Repeat: &FaultRepeat{Count: 50, Every: Duration(2 * time.Second)}}
	a := jitterDelays(7, 0, ev)
	if len(a) != 50 {
		t.Fatalf("%d delays for 50 firings", len(a))
	}
	distinct := map[time.Duration]bool{}
	for _, d := range a {
		if d < 0 || d > 500*time.Millisecond || d%time.Millisecond != 0 {
			t.Errorf("delay %s: want whole milliseconds in [0, 500ms]", d)
		}
		distinct[d] = true
	}
	if len(distinct) < 25 {
		t.Errorf("%d distinct delays in 50 firings: not random", len(distinct))
	}
	if b := jitterDelays(7, 0, ev); !slices.Equal(a, b) {
		t.Error("the same seed gave other delays")
	}
	if b := jitterDelays(8, 0, ev); slices.Equal(a, b) {
		t.Error("another seed gave the same delays")
	}
	if b := jitterDelays(7, 1, ev); slices.Equal(a, b) {
		t.Error("another fault of the same seed got the same delays")
	}
	if d := jitterDelays(7, 0, FaultEvent{}); d != nil {
		t.Errorf("no jitter gave delays %v", d)
	}
}
