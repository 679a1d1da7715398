package cluster

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/nvmf-chaos/nvmf-chaos/provision/supervisor"
)

// spdkArgs start nvmf_tgt the way this harness can run it anywhere: no
// hugepages (1 GiB of ordinary memory), no PCI scan, one core. Several
// nodes' targets share this machine, so the per-core lock files SPDK uses
// to keep two apps off one core are disabled (each node still gets its own
// core where there are enough, see spdkCore).
var spdkArgs = []string{"--no-huge", "-s", "1024", "--no-pci", "--disable-cpumask-locks"}

// spdkCore spreads nodes' reactors over the machine's cores: a reactor
// polls at 100 % of its core, so two on one core halve each other.
func spdkCore(i int) string {
	return fmt.Sprintf("0x%x", uint64(1)<<(i%min(runtime.NumCPU(), 64)))
}

// targetSpec is the command line of a node's target: started empty with its
// RPC socket in the run directory, inside the node's namespace if any.
func (c *Cluster) targetSpec(n *Node) supervisor.Spec {
	var args []string
	switch c.opts.Target {
	case TargetSPDK:
		args = append(append(args, spdkArgs...), "-m", spdkCore(n.index), "-r", n.RPCSocket)
	default:
		args = []string{"target", "--rpc-socket", n.RPCSocket}
		if n.RPCAddr.IsValid() {
			args = append(args, "--rpc-socket", n.RPCAddr.String())
		}
	}
	node := n.Name
	return supervisor.Spec{
		Name:    "node " + node,
		Path:    c.opts.Binary,
		Args:    append(args, c.opts.TargetArgs...),
		Env:     []string{RunEnv + "=" + c.name, nodeEnv + "=" + node},
		Netns:   n.Netns,
		LogPath: filepath.Join(c.LogDir(), node+"-target.log"),
		Dir:     c.opts.RunDir,
		OnStart: func(pid int) { c.recordStart(node, pid) },
		Restart: c.opts.Restart,
	}
}

// nodeEnv is set in a target's environment to its node's name.
const nodeEnv = "NVMF_CHAOS_NODE"

// dpdkRunDir is where DPDK leaves one directory per SPDK process
// (spdk_pid<PID>), even after a clean exit.
const dpdkRunDir = "/var/run/dpdk"

// removeDPDKDirs removes the runtime directories of SPDK processes this run
// started, once they are dead, so a run leaves no files behind.
func removeDPDKDirs(pids []int) error {
	var errs []error
	for _, pid := range pids {
		if procRef(pid).Alive() {
			continue
		}
		dir := filepath.Join(dpdkRunDir, fmt.Sprintf("spdk_pid%d", pid))
		if err := os.RemoveAll(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
