package scenarios

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nvmf-chaos/nvmf-chaos/provision/cluster"
)

// refusedByRun are scenarios run used to refuse only once it had started
// (or after provisioning): each is now refused by validate, at the line
// of the field.
var refusedByRun = []struct {
	name, from, to string
	line           int
	want           string
}{
	{"malloc volume on two nodes", "nodes: [tgt-a, tgt-b], ana:", "nodes: [tgt-a, tgt-b], backing: malloc, ana:", 6,
		"volumes[0].backing: malloc backing lives in one process and cannot be shared by 2 nodes"},
	{"lvol volume on two nodes", "nodes: [tgt-a, tgt-b], ana:", "nodes: [tgt-a, tgt-b], backing: lvol, shared: true, ana:", 6,
		"volumes[0].backing: lvol backing lives in one process and cannot be shared by 2 nodes"},
	{"process fault on an external target", "cluster: {nodes: [tgt-a, tgt-b]}",
		"cluster: {target: external, nodes: [tgt-a, tgt-b], rpc: {tgt-a: /a, tgt-b: /b}, listen: {tgt-a: 127.0.0.1:4420, tgt-b: 127.0.0.1:4421}}",
		13, "timeline.faults[0].kind: process-kill: the harness neither runs nor networks an external target"},
	{"network fault on an external target", "cluster: {nodes: [tgt-a, tgt-b]}",
		"cluster: {target: external, nodes: [tgt-a, tgt-b], rpc: {tgt-a: /a, tgt-b: /b}, listen: {tgt-a: 127.0.0.1:4420, tgt-b: 127.0.0.1:4421}}\n# network",
		14, "timeline.faults[0].kind: packet-loss: the harness neither runs nor networks an external target"},
	{"rpc partition of nvmf_tgt", "cluster: {nodes: [tgt-a, tgt-b]}", "cluster: {target: spdk, spdk_bin: /opt/nvmf_tgt, nodes: [tgt-a, tgt-b]}\n# rpc",
		14, "timeline.faults[0].params.port: nvmf_tgt serves RPC only on a unix socket"},
	{"latency longer than the local proxy delays", "kind: process-kill, node: tgt-a, duration: 5s}", "kind: latency, node: tgt-a, duration: 5s, params: {delay: 30s}}",
		13, `timeline.faults[0].params.delay: delay "30s": the local proxy delays at most 10s`},
	{"more busy loops than the local engine runs", "kind: process-kill, node: tgt-a, duration: 5s}", "kind: cpu-stress, node: tgt-a, duration: 5s, params: {workers: 32}}",
		13, "timeline.faults[0].params.workers: workers 32: the local engine runs at most 16 busy loops per CPU"},
}

// prepareRefused applies a case to the minimal scenario; the "# network" and
// "# rpc" markers also swap its fault for one of that family.
func prepareRefused(t *testing.T, from, to string) string {
	t.Helper()
	if !strings.Contains(minimal, from) {
		t.Fatalf("fixture lacks %q", from)
	}
	doc := strings.Replace(minimal, from, to, 1)
	switch {
	case strings.Contains(to, "# network"):
		doc = strings.Replace(doc, "kind: process-kill, node: tgt-a, duration: 5s}", "kind: packet-loss, node: tgt-a, duration: 5s}", 1)
	case strings.Contains(to, "# rpc"):
		doc = strings.Replace(doc, "kind: process-kill, node: tgt-a, duration: 5s}", "kind: network-partition, node: tgt-a, duration: 5s, params: {port: rpc}}", 1)
	}
	return doc
}

// TestValidateRefusesWhatRunRefuses: validate refuses, with file:line,
// what run could only find out by starting.
func TestValidateRefusesWhatRunRefuses(t *testing.T) {
	for _, tc := range refusedByRun {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseScenario("t.yaml", []byte(prepareRefused(t, tc.from, tc.to)))
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("err = %v, want Errors", err)
			}
			for _, e := range errs {
				if strings.Contains(e.Error(), tc.want) {
					if e.Line != tc.line {
						t.Errorf("%q reported at line %d, want %d", e.Error(), e.Line, tc.line)
					}
					return
				}
			}
			t.Errorf("errors\n%v\nlack %q", err, tc.want)
		})
	}
}

// TestRunRefusesWhatValidateRefuses: a Runner given a scenario that did
// not go through Load refuses it with the validator's words, before it
// creates anything (not even the run folder).
func TestRunRefusesWhatValidateRefuses(t *testing.T) {
	for _, tc := range refusedByRun {
		t.Run(tc.name, func(t *testing.T) {
			s := new(Scenario) // decoded, never validated
			if _, err := decodeStrict("t.yaml", []byte(prepareRefused(t, tc.from, tc.to)), s); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "run")
			_, err := NewRunner(s, RunOptions{Binary: "/nonexistent/nvmf-chaos", Dir: dir, Mode: "loopback"}).Run(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if _, serr := os.Stat(dir); serr == nil {
				t.Errorf("the run made %s before refusing", dir)
			}
		})
	}
}

// TestValidateRefusesMoreNodesThanALocalCluster: the local cluster takes
// at most cluster.MaxNodes nodes; validate says so at cluster.nodes.
func TestValidateRefusesMoreNodesThanALocalCluster(t *testing.T) {
	nodes := make([]string, cluster.MaxNodes+1)
	for i := range nodes {
		nodes[i] = fmt.Sprintf("n%d", i)
	}
	list := strings.Join(nodes, ", ")
	doc := strings.NewReplacer("cluster: {nodes: [tgt-a, tgt-b]}", "cluster: {nodes: ["+list+"]}",
		"nodes: [tgt-a, tgt-b], ana: {tgt-a: optimized, tgt-b: non-optimized}}", "nodes: ["+list+"]}",
		"node: tgt-a", "node: n0").Replace(minimal)
	_, err := ParseScenario("t.yaml", []byte(doc))
	want := fmt.Sprintf("t.yaml:4:18: cluster.nodes: %d nodes: a local cluster runs at most %d", cluster.MaxNodes+1, cluster.MaxNodes)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
}
