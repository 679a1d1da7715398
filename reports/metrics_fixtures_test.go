package reports

// The synthetic runs the metric, SLO and writer tests share. Warmup is 5 s,
// so a fault "20 s in" is injected at 25 s on the run clock; the baseline
// p99.9 is 500 µs and the stall threshold 10 ms.
const inj = int64(25e9)

var fixtures = map[string]fixture{
	// A 1 s stall starting 3 ms after inject: failover_time 1.003 s.
	"pause-1s": {name: "pause-1s",
		faults: []fixtureFault{{inject: inj, recover: inj + 1e9}},
		gaps:   []Gap{{StartNs: inj + 3e6, EndNs: inj + 1003e6}}},
	// The stall's last completion came 300 µs before inject, inside the
	// baseline p99.9 (500 µs): it counts.
	"gap-before-inject": {name: "gap-before-inject",
		faults: []fixtureFault{{inject: inj, recover: inj + 2e9}},
		gaps:   []Gap{{StartNs: inj - 300e3, EndNs: inj + 2e9}}},
	// A gap starting 2 ms before inject is outside the search range.
	"gap-too-early": {name: "gap-too-early",
		faults: []fixtureFault{{inject: inj, recover: inj + 1e9}},
		gaps:   []Gap{{StartNs: inj - 2e6, EndNs: inj + 1e9}}},
	"no-fault": {name: "no-fault"},
	// An 8 ms hiccup is under the 10 ms stall threshold: failover 0.
	"small-gap": {name: "small-gap",
		faults: []fixtureFault{{inject: inj, recover: inj + 1e9}},
		gaps:   []Gap{{StartNs: inj + 1e6, EndNs: inj + 9e6}}},
	// A 2 s stall then a 5 s linear ramp: the first second averaging 90 %
	// starts 4 s into the ramp, so recovery_time is 6 s.
	"slow-ramp": {name: "slow-ramp",
		faults: []fixtureFault{{inject: inj, recover: inj + 2e9}},
		gaps:   []Gap{{StartNs: inj, EndNs: inj + 2e9}},
		ramp:   &ramp{fromNs: inj + 2e9, steps: 50}},
	// I/O never came back.
	"never-resumed": {name: "never-resumed",
		faults: []fixtureFault{{inject: inj, open: true}},
		gaps:   []Gap{{StartNs: inj + 1e3, EndNs: 45e9, Open: true}}},
	// Only w1 stalls: overall takes the worst workload.
	"two-workloads": {name: "two-workloads", workloads: []string{"w0", "w1"}, gapsOf: "w1",
		faults: []fixtureFault{{inject: inj, recover: inj + 1e9}},
		gaps:   []Gap{{StartNs: inj + 1e6, EndNs: inj + 1500e6}}},
	// Both targets killed "at once" (storage-down): the timeline plans
	// both for inj, the second starts 50 µs after the first, the stall
	// 1 ms after that. The gap is both faults' failover.
	"simultaneous": {name: "simultaneous",
		faults: []fixtureFault{{inject: inj, recover: inj + 2e9, planned: inj}, {inject: inj + 50e3, recover: inj + 2e9, planned: inj}},
		gaps:   []Gap{{StartNs: inj + 1e6, EndNs: inj + 2001e6}}},
	// The same injections planned 50 µs apart: the gap is the second's.
	"staggered": {name: "staggered",
		faults: []fixtureFault{{inject: inj, recover: inj + 2e9, planned: inj}, {inject: inj + 50e3, recover: inj + 2e9, planned: inj + 50e3}},
		gaps:   []Gap{{StartNs: inj + 1e6, EndNs: inj + 2001e6}}},
	// A kill the host failed over from within 4 ms, then a 44 ms machine
	// hiccup 4.3 s later while the target stays down: an immediate fault's
	// stall starts at inject, so the hiccup is not its failover.
	"late-hiccup": {name: "late-hiccup",
		faults: []fixtureFault{{inject: inj, recover: inj + 10e9, immediate: true}},
		gaps:   []Gap{{StartNs: inj + 1e6, EndNs: inj + 5e6}, {StartNs: inj + 4300e6, EndNs: inj + 4344e6}}},
	// The same gaps under a degrading fault (packet loss, CPU stress): it
	// may stall I/O at any point while it lasts, so the late stall counts.
	"late-stall": {name: "late-stall",
		faults: []fixtureFault{{inject: inj, recover: inj + 10e9}},
		gaps:   []Gap{{StartNs: inj + 1e6, EndNs: inj + 5e6}, {StartNs: inj + 4300e6, EndNs: inj + 4344e6}}},
	// One fault repeated three times: failovers 0.501 s, 1.001 s, 2.001 s.
	"repeated": {name: "repeated",
		faults: []fixtureFault{{inject: 15e9, recover: 16e9}, {inject: 25e9, recover: 26e9}, {inject: 35e9, recover: 37e9}},
		gaps: []Gap{{StartNs: 15e9 + 1e6, EndNs: 15e9 + 501e6}, {StartNs: 25e9 + 1e6, EndNs: 25e9 + 1001e6},
			{StartNs: 35e9 + 1e6, EndNs: 35e9 + 2001e6}},
		errors: 3, verify: &Verification{Blocks: 1000, LostWrites: 2, FirstBad: []BadBlock{{LBA: 77, Kind: "lost-write"}}}},
}
