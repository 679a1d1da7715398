package scenarios

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nvmf-chaos/nvmf-chaos/provision/cluster"
)

// checkNothingLeft fails the test if a run left a target process, a
// network namespace or a link behind: teardown must remove them whatever
// happened.
func checkNothingLeft(t *testing.T, r *Runner) {
	t.Helper()
	name := cluster.DefaultPrefix + "-" + r.RunID()
	tag := []byte(cluster.RunEnv + "=" + name + "\x00")
	envs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, e := range envs {
		b, err := os.ReadFile(e)
		if err == nil && bytes.Contains(b, tag) {
			t.Errorf("process %s of run %s still running after the run", filepath.Base(filepath.Dir(e)), name)
		}
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return
	}
	for _, args := range [][]string{{"netns", "list"}, {"-o", "link", "show"}} {
		out, err := exec.Command("ip", args...).Output()
		if err == nil && strings.Contains(string(out), name) {
			t.Errorf("`ip %s` still shows %s after the run:\n%s", strings.Join(args, " "), name, out)
		}
	}
}
