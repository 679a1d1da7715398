package testcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/provision/cluster"
	"github.com/nvmf-chaos/nvmf-chaos/provision/netns"
)

// Down stops the cluster and removes everything it made: pods, processes
// (by state, by executable and by cgroup, so a kill -9 of Up leaves
// nothing unreachable), mounts, network namespaces and links, cgroup
// folders, files and fixed host paths it created; it restores the host
// sysctls. Then it compares the machine with the snapshot Up took and
// fails listing whatever differs. Down with no cluster is a no-op apart
// from sweeping leftovers by name.
func Down(ctx context.Context, l Layout, out io.Writer) error {
	st, err := loadState(l)
	if err != nil && !errors.Is(err, ErrNoCluster) {
		fmt.Fprintf(out, "cluster state unreadable (%v); sweeping by name\n", err)
	}
	if st == nil {
		st = &State{}
	}
	t0 := time.Now()
	var errs []error
	if st.Ready && len(deadProcs(st)) == 0 {
		deleteAllPods(ctx, l, 15*time.Second)
	}
	errs = append(errs, stopProcesses(l, st)...)
	errs = append(errs, unmountUnder(mountDirs(l, st))...)
	errs = append(errs, removeCNINetns(st)...)
	errs = append(errs, deleteNetwork(ctx)...)
	errs = append(errs, removeCgroups(st)...)
	errs = append(errs, restoreSysctls(st.Sysctls)...)
	for _, p := range append(slices.Clone(st.CreatedPaths), l.Dir) {
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, fmt.Errorf("removing %s: %w", p, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("tearing down the test cluster: %w", err)
	}
	if st.Before != nil {
		after, err := TakeSnapshot(ctx, l)
		if err != nil {
			return fmt.Errorf("checking the teardown: %w", err)
		}
		diff, others := splitOthers(st.Before.Diff(after))
		if len(others) > 0 {
			fmt.Fprintf(out, "changes made meanwhile by local nvmf-chaos runs, not the cluster (ignored):\n  %s\n", strings.Join(others, "\n  "))
		}
		if len(diff) > 0 {
			return fmt.Errorf("the test cluster left the machine changed:\n  %s", strings.Join(diff, "\n  "))
		}
		fmt.Fprintf(out, "test cluster down in %.1f s; machine state matches the one before k8s-up\n", time.Since(t0).Seconds())
		return nil
	}
	fmt.Fprintf(out, "test cluster down in %.1f s (no record of the machine before it, nothing to compare)\n", time.Since(t0).Seconds())
	return nil
}

// splitOthers sets apart the differences that carry the local backend's
// name prefix: a local run (a test, a scenario) working while the cluster
// was up made them, and its own teardown removes them.
func splitOthers(diff []string) (ours, others []string) {
	for _, d := range diff {
		if strings.Contains(d, cluster.DefaultPrefix+"-") {
			others = append(others, d)
		} else {
			ours = append(ours, d)
		}
	}
	return ours, others
}

// stopProcesses stops the kubelets and kube-proxies first (so nothing
// restarts containers), kills every container by cgroup, then stops the
// runtimes and the control plane in reverse start order, and finally
// kills anything still running a cache binary (shims, orphans of a
// crashed Up) or living in a node's namespace.
func stopProcesses(l Layout, st *State) []error {
	var errs []error
	var rest []*Proc
	for _, p := range st.Procs {
		if strings.HasPrefix(p.Component, "kubelet-") || strings.HasPrefix(p.Component, "kube-proxy-") {
			p.stop(5 * time.Second)
		} else {
			rest = append(rest, p)
		}
	}
	for _, n := range nodesToSweep(st) {
		if err := killCgroup(n.CgroupRoot(), 15*time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	for i := len(rest) - 1; i >= 0; i-- {
		grace := 5 * time.Second
		if rest[i].Component == chaosMeshComponent {
			// It stops its controllers on SIGTERM but does not exit:
			// upstream's fx app then waits for a second signal. Nothing
			// it holds outlives the cluster, so a short wait will do.
			grace = time.Second
		}
		rest[i].stop(grace)
	}
	for range 50 {
		pids := append(processesOf(filepath.Join(l.Cache, "bin")), netnsPIDs()...)
		if len(pids) == 0 {
			return errs
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return append(errs, fmt.Errorf("processes of the cluster survive SIGKILL: %v", processesOf(filepath.Join(l.Cache, "bin"))))
}

// nodesToSweep is the recorded nodes, or every possible node when the
// state is lost, so cgroups of a crashed cluster are found by name.
func nodesToSweep(st *State) []Node {
	if len(st.Nodes) > 0 {
		return st.Nodes
	}
	nodes := make([]Node, MaxNodes)
	for i := range nodes {
		nodes[i] = nodeAt(i)
	}
	return nodes
}

// netnsPIDs lists processes inside the cluster's node namespaces.
func netnsPIDs() []int {
	var pids []int
	names, _ := netns.Namespaces(context.Background())
	for _, ns := range names {
		if !strings.HasPrefix(ns, namePrefix+"-") {
			continue
		}
		out, err := netns.IP(context.Background(), "netns", "pids", ns)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(out)) {
			var pid int
			if _, err := fmt.Sscan(f, &pid); err == nil && pid != os.Getpid() {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// mountDirs are the places the cluster mounts under: its folder, the
// kubelet's and containerd's fixed paths if the cluster created them, and
// pod network namespaces created after Up's snapshot.
func mountDirs(l Layout, st *State) []string {
	dirs := append([]string{l.Dir}, st.CreatedPaths...)
	return append(dirs, newCNINetns(st)...)
}

// newCNINetns lists /run/netns/cni-* entries (the pod namespaces
// containerd makes) that Up's snapshot did not have.
func newCNINetns(st *State) []string {
	var before []string
	if st.Before != nil {
		before = st.Before.Netns
	}
	m, _ := filepath.Glob("/run/netns/cni-*")
	var out []string
	for _, p := range m {
		if !slices.Contains(before, filepath.Base(p)) {
			out = append(out, p)
		}
	}
	return out
}

func removeCNINetns(st *State) []error {
	var errs []error
	for _, p := range newCNINetns(st) {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing pod namespace %s: %w", p, err))
		}
	}
	return errs
}

func removeCgroups(st *State) []error {
	var errs []error
	for _, n := range nodesToSweep(st) {
		if err := killCgroup(n.CgroupRoot(), 10*time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
