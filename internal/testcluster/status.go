package testcluster

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

// Status prints each component with its PID and whether it runs, then each
// node's readiness as the API reports it. It returns an error naming the
// components that died, so `make k8s-status` fails when one did.
func Status(ctx context.Context, l Layout, out io.Writer) error {
	st, err := loadState(l)
	if err != nil {
		return err
	}
	var dead []string
	var total int64
	for _, p := range st.Procs {
		state := "running"
		if !p.Alive() {
			state = "NOT RUNNING (log: " + l.Log(p.Component) + ")"
			dead = append(dead, p.Component)
		} else if rss := rssKiB(p.PID); rss > 0 {
			state += fmt.Sprintf(", %d MiB resident", rss/1024)
			total += rss
		}
		fmt.Fprintf(out, "%-36s pid %-8d %s\n", p.Component, p.PID, state)
	}
	fmt.Fprintf(out, "%-36s %d MiB resident in all (pods not counted)\n", "components", total/1024)
	if cs, err := Client(l); err == nil {
		for _, n := range st.Nodes {
			ready := "Ready"
			if err := nodeReady(ctx, cs, n.Name); err != nil {
				ready = err.Error()
			}
			fmt.Fprintf(out, "node %-31s %s  %s\n", n.Name, n.IP, ready)
		}
		if st.ChaosMesh {
			leader, err := ChaosMeshLeader(ctx, cs)
			if err != nil {
				leader = "NO LEADER: " + err.Error()
			}
			fmt.Fprintf(out, "chaos mesh lease %-25s %s\n", ChaosMeshNamespace+"/"+ChaosMeshLease, leader)
		}
	}
	fmt.Fprintf(out, "kubeconfig: %s\nlogs: %s\n", l.Kubeconfig(), l.LogDir())
	if len(dead) > 0 {
		return fmt.Errorf("components not running: %s", strings.Join(dead, ", "))
	}
	if !st.Ready {
		return fmt.Errorf("the cluster never finished starting (make k8s-down, then make k8s-up)")
	}
	return nil
}

// rssKiB reads a process's resident set size from /proc/PID/status.
func rssKiB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kib int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kib)
			return kib
		}
	}
	return 0
}
