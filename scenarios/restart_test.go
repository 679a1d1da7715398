package scenarios

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/testbin"
	"github.com/nvmf-chaos/nvmf-chaos/provision/cluster"
	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

// TestRunRestartPolicy crashes a target behind the harness's back (SIGKILL
// from outside, as an OOM kill would): with cluster.restart: always the
// supervisor restarts it, the runner provisions it again, and the host's
// path to it comes back up, all without an I/O error.
func TestRunRestartPolicy(t *testing.T) {
	doc := `
apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: t-restart-policy}
cluster: {nodes: [tgt-a, tgt-b], restart: always}
volumes: [{name: vol0, size: 16MiB, nodes: [tgt-a, tgt-b], ana: {tgt-b: non-optimized}}]
workloads: [{name: w, volume: vol0, rw: randrw, bs: 4k, iodepth: 4, verify: crc32c}]
host: {kato: 1s, reconnect_delay: 100ms}
timeline: {warmup: 300ms, duration: 4s}
slos:
  - {metric: io_errors, max: "0"}
  - {metric: lost_writes, max: "0"}
`
	s, err := ParseScenario("test.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	r := NewRunner(s, RunOptions{Binary: testbin.Path(t), Dir: t.TempDir(), RunID: "rp" + strconv.Itoa(os.Getpid()%10000)})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	crashed := make(chan int, 1)
	go func() {
		time.Sleep(1500 * time.Millisecond)
		crashed <- crashTarget(t, cluster.DefaultPrefix+"-"+r.RunID(), "tgt-a")
	}()
	res, err := r.Run(ctx)
	t.Cleanup(func() { checkNothingLeft(t, r) })
	if err != nil {
		t.Fatal(err)
	}
	if pid := <-crashed; pid == 0 {
		t.Fatal("found no tgt-a target to crash")
	}
	var downs, upsAfter int
	for _, e := range res.PathEvents {
		switch {
		case e.Kind == reports.PathDown:
			downs++
		case e.Kind == reports.PathUp && downs > 0:
			upsAfter++
		}
	}
	if downs == 0 || upsAfter == 0 {
		t.Errorf("path events %+v: want the crashed path down, then up again once re-provisioned", res.PathEvents)
	}
	if !res.Evaluation.Pass {
		t.Errorf("verdicts %+v: a crash behind a second path and a restart must cost no I/O", res.Evaluation.Verdicts)
	}
}

// crashTarget SIGKILLs the node's target process, found by the run and
// node names in its environment; it returns the pid, 0 if none.
func crashTarget(t *testing.T, run, node string) int {
	tags := [][]byte{[]byte(cluster.RunEnv + "=" + run + "\x00"), []byte("NVMF_CHAOS_NODE=" + node + "\x00")}
	envs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, e := range envs {
		b, err := os.ReadFile(e)
		if err != nil || !bytes.Contains(b, tags[0]) || !bytes.Contains(b, tags[1]) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(e)))
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Errorf("kill %d: %v", pid, err)
		}
		return pid
	}
	return 0
}
