package cluster

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/testbin"
)

// crashEnv makes the test binary act as a harness that builds a cluster,
// starts its targets, prints their PIDs and dies without cleaning up.
const crashEnv = "LOCAL_TEST_CRASH"

type crashSpec struct {
	Options Options
	Binary  string
}

func crashingHarness(spec string) int {
	var cs crashSpec
	if err := json.Unmarshal([]byte(spec), &cs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cs.Options.Binary = cs.Binary
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := New(cs.Options)
	if err == nil {
		err = c.Create(ctx)
	}
	if err == nil {
		err = c.StartTargets(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var pids []int
	for _, n := range c.Nodes() {
		pids = append(pids, n.Process.PID())
	}
	_ = json.NewEncoder(os.Stdout).Encode(pids)
	return 1 // a crash: no Destroy
}

// A harness that dies takes its targets with it (parent-death signal), and
// a default Sweep — which spares only live runs — removes the rest.
func TestCrashedHarness(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	mode := ModeLoopback
	if os.Geteuid() == 0 {
		mode = ModeNetns
	}
	dir := shortDir(t)
	o := Options{Nodes: []string{"a", "b"}, RunDir: dir, StateDir: filepath.Join(dir, "registry"), RunID: testRunID(7), Mode: mode}
	spec, _ := json.Marshal(crashSpec{Options: o, Binary: testbin.Path(t)})
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(os.Environ(), crashEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pids []int
	if err := json.NewDecoder(bufio.NewReader(out)).Decode(&pids); err != nil || len(pids) != 2 {
		t.Fatalf("harness pids %v: %v", pids, err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("crashing harness exited 0")
	}
	waitUntil(t, 10*time.Second, "targets to die with their harness", func() bool { return !alive(pids[0]) && !alive(pids[1]) })

	name := DefaultPrefix + "-" + o.RunID
	got, err := Sweep(ctx, name, WithStateDir(o.StateDir))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("swept %v", got)
	k := kinds(got)
	if k[KindState] != 1 || (mode == ModeNetns && (k[KindNamespace] != 2 || k[KindLink] == 0)) {
		t.Fatalf("swept %v", got)
	}
	if mode == ModeNetns {
		if left := leftovers(ctx, t, name); len(left) > 0 {
			t.Fatalf("left after sweep: %v", left)
		}
	}
}
