package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/nvmf-chaos/nvmf-chaos/internal/poll"
	"github.com/nvmf-chaos/nvmf-chaos/provision/cluster"
	"github.com/nvmf-chaos/nvmf-chaos/scenarios"
)

type provisionFlags struct {
	scenario string
	out      string
	nodes    string
	spdkBin  string
	detach   bool
	jsonOut  bool
	runID    string // set by --detach for the child it starts
	serve    bool   // the detached child: write access.json when ready
}

// accessFile is where a provisioned cluster's Access is written.
const accessFile = "access.json"

// detachWait bounds how long --detach waits for the cluster to come up.
const detachWait = 2 * time.Minute

func newProvisionCmd() *cobra.Command {
	var f provisionFlags
	cmd := &cobra.Command{
		Use:   "provision --scenario SCENARIO",
		Short: "Bring up a scenario's nodes and volumes and leave them running",
		Long: `provision creates the scenario's local cluster (network namespaces when root,
loopback otherwise) and its volumes through SPDK JSON-RPC, then prints how to
reach them: each node's data and RPC address, each volume's NQN and the
nvme+tcp URL that bench takes. No workload or fault runs.

In the foreground it keeps the cluster until Ctrl-C, then tears it down. With
--detach it returns once the cluster is up and leaves it to a background
process; ` + "`nvmf-chaos cleanup`" + ` tears it down and removes its folder, logs
included (run in the foreground to keep them). Either way ` + accessFile + ` in the
run folder repeats the access details.`,
		Example: `  sudo nvmf-chaos provision --scenario target-kill --detach
  nvmf-chaos bench --target 'nvme+tcp://198.18.7.11:4420,198.18.7.12:4420/nqn...' --runtime 10s
  sudo nvmf-chaos cleanup`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runProvision(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.scenario, "scenario", "", "scenario file or built-in name (required)")
	fl.StringVar(&f.out, "out", "nvmf-chaos-provision", "folder that receives the cluster's run folder (sockets, logs, backing files)")
	fl.StringVar(&f.nodes, "nodes", "auto", "how nodes run: netns (needs root), loopback, or auto")
	fl.StringVar(&f.spdkBin, "spdk-bin", "", "run SPDK's nvmf_tgt at this `path` instead of the embedded target")
	fl.BoolVar(&f.detach, "detach", false, "return once the cluster is up; `nvmf-chaos cleanup` tears it down")
	fl.BoolVar(&f.jsonOut, "json", false, "print the access details as JSON")
	fl.StringVar(&f.runID, "run-id", "", "run ID (default: random)")
	fl.BoolVar(&f.serve, "serve", false, "internal: the background half of --detach")
	_ = fl.MarkHidden("serve")
	_ = cmd.MarkFlagRequired("scenario")
	return cmd
}

func runProvision(cmd *cobra.Command, f *provisionFlags) error {
	loaded, err := scenarios.Load(f.scenario)
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	s := loaded.Scenario
	if f.spdkBin != "" {
		s.Cluster.Target, s.Cluster.SPDKBin = "spdk", f.spdkBin
	}
	mode, err := nodeMode(f.nodes)
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	if f.runID == "" {
		f.runID = cluster.NewRunID()
	}
	dir, err := filepath.Abs(filepath.Join(f.out, s.Metadata.Name+"-"+f.runID))
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	if f.detach {
		return detachProvision(cmd, f, dir)
	}
	bin, err := os.Executable()
	if err != nil {
		return &exitError{code: exitCannotRun, err: fmt.Errorf("find own binary: %w", err)}
	}
	r := scenarios.NewRunner(s, scenarios.RunOptions{Binary: bin, Dir: dir, RunID: f.runID, Mode: mode, Source: loaded.Source,
		Progress: cmd.ErrOrStderr(), Detached: f.serve})
	acc, err := r.Provision(cmd.Context())
	if err != nil {
		return &exitError{code: exitCannotRun, err: fmt.Errorf("provision %s: %w", s.Metadata.Name, err)}
	}
	defer func() {
		r.Teardown()
		if f.serve {
			// Torn down on request (cleanup): nothing of the cluster
			// stays, its folder included.
			_ = os.RemoveAll(dir)
		}
	}()
	if err := writeAccess(dir, acc); err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	if !f.serve {
		printAccess(cmd.OutOrStdout(), acc, f.jsonOut)
		fmt.Fprintln(cmd.OutOrStdout(), "\nCtrl-C tears the cluster down.")
	}
	<-cmd.Context().Done()
	return nil
}

// writeAccess saves the access details atomically: --detach polls for the
// file and must never read half of it.
func writeAccess(dir string, acc *scenarios.Access) error {
	b, err := json.MarshalIndent(acc, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, accessFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", accessFile, err)
	}
	return os.Rename(tmp, filepath.Join(dir, accessFile))
}

// detachProvision starts this command again in its own session with
// --serve, waits until it has written access.json (or died, whose log it
// then quotes), prints the access details and leaves it running.
func detachProvision(cmd *cobra.Command, f *provisionFlags, dir string) error {
	bin, err := os.Executable()
	if err != nil {
		return &exitError{code: exitCannotRun, err: fmt.Errorf("find own binary: %w", err)}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	logPath := filepath.Join(dir, "provision.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	defer logf.Close()
	args := []string{"provision", "--serve", "--scenario", f.scenario, "--out", f.out, "--nodes", f.nodes, "--run-id", f.runID}
	if f.spdkBin != "" {
		args = append(args, "--spdk-bin", f.spdkBin)
	}
	child := exec.Command(bin, args...)
	child.Stdout, child.Stderr = logf, logf
	child.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	// The run's tag lets cleanup find the background process even if its
	// state file is gone.
	child.Env = append(os.Environ(), cluster.RunEnv+"="+cluster.DefaultPrefix+"-"+f.runID)
	if err := child.Start(); err != nil {
		return &exitError{code: exitCannotRun, err: fmt.Errorf("start background provision: %w", err)}
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	acc, err := waitAccess(cmd.Context(), dir, exited)
	if err != nil {
		_ = child.Process.Signal(syscall.SIGTERM)
		tail, _ := os.ReadFile(logPath)
		return &exitError{code: exitCannotRun, err: fmt.Errorf("%w\n%s", err, lastLines(tail, 15))}
	}
	printAccess(cmd.OutOrStdout(), acc, f.jsonOut)
	fmt.Fprintf(cmd.OutOrStdout(), "\nrunning in the background (pid %d, log %s); tear down with: nvmf-chaos cleanup --prefix %s-%s\n",
		child.Process.Pid, logPath, cluster.DefaultPrefix, f.runID)
	return nil
}

// waitAccess waits for the background provision to write its access
// file, failing at once when it exits first.
func waitAccess(ctx context.Context, dir string, exited <-chan error) (*scenarios.Access, error) {
	var acc scenarios.Access
	err := poll.Until(ctx, "the background provision's cluster to come up", func(context.Context) error {
		b, err := os.ReadFile(filepath.Join(dir, accessFile))
		if err != nil {
			select {
			case werr := <-exited:
				return poll.Stop(fmt.Errorf("background provision exited first: %v", werr))
			default:
				return err
			}
		}
		if err := json.Unmarshal(b, &acc); err != nil {
			return poll.Stop(fmt.Errorf("%s: %w", accessFile, err))
		}
		return nil
	}, poll.Every(50*time.Millisecond), poll.Within(detachWait))
	if err != nil {
		return nil, err
	}
	return &acc, nil
}

func printAccess(w io.Writer, acc *scenarios.Access, asJSON bool) {
	if asJSON {
		b, _ := json.MarshalIndent(acc, "", "  ")
		fmt.Fprintln(w, string(b))
		return
	}
	where := ""
	if acc.Nodes != "" {
		where = " on " + acc.Nodes + " nodes"
	}
	fmt.Fprintf(w, "cluster %s-%s: %s targets%s, folder %s\n", cluster.DefaultPrefix, acc.RunID, acc.Target, where, acc.Dir)
	for _, n := range acc.Node {
		where := ""
		if n.Netns != "" {
			where = " netns " + n.Netns
		}
		fmt.Fprintf(w, "  node %s:%s data %s rpc %s pid %d\n", n.Name, where, n.Data, n.RPC, n.PID)
	}
	for _, v := range acc.Volumes {
		fmt.Fprintf(w, "  volume %s: %s\n", v.Name, v.NQN)
		for _, p := range v.Paths {
			fmt.Fprintf(w, "    path %s\n", p)
		}
		fmt.Fprintf(w, "    nvmf-chaos bench --target '%s' --rw randrw --runtime 10s --time_based\n", v.URL)
	}
}

// lastLines is the end of a log, for an error message.
func lastLines(b []byte, n int) string {
	lines := 0
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			if lines++; lines > n {
				return string(b[i+1:])
			}
		}
	}
	return string(b)
}
