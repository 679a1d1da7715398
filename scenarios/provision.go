package scenarios

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Access says how to reach what Provision made: the nodes' targets and
// each volume's NVMe/TCP address.
type Access struct {
	Scenario string         `json:"scenario"`
	RunID    string         `json:"run_id"`
	Dir      string         `json:"dir"`
	Target   string         `json:"target"`
	Nodes    string         `json:"nodes,omitempty"` // netns or loopback
	Node     []NodeAccess   `json:"node"`
	Volumes  []VolumeAccess `json:"volumes"`
}

// NodeAccess is one node's target.
type NodeAccess struct {
	Name  string `json:"name"`
	Netns string `json:"netns,omitempty"`
	Data  string `json:"data"`
	RPC   string `json:"rpc"`
	PID   int    `json:"pid,omitempty"`
	Log   string `json:"log,omitempty"`
}

// VolumeAccess is one volume: its NQN, every path, and the nvme+tcp URL
// `nvmf-chaos bench --target` takes (with the scenario's host settings).
type VolumeAccess struct {
	Name  string   `json:"name"`
	NQN   string   `json:"nqn"`
	URL   string   `json:"url"`
	Paths []string `json:"paths"`
}

// Provision creates the scenario's cluster and volumes and leaves them
// running, for `nvmf-chaos provision`; Teardown removes them. On failure
// it tears down what it made before returning.
func (r *Runner) Provision(ctx context.Context) (*Access, error) {
	if r.s.Cluster.Backend == backendKubernetes {
		return nil, errors.New("provision: the kubernetes backend is driven by `run` only in this version")
	}
	if err := r.preflight(ctx); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(r.opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("run folder: %w", err)
	}
	r.start = time.Now()
	if err := r.provision(ctx); err != nil {
		r.Teardown()
		return nil, err
	}
	return r.access(), nil
}

// Teardown deletes the volumes and stops the targets; see Run.
func (r *Runner) Teardown() { r.teardown() }

func (r *Runner) access() *Access {
	a := &Access{Scenario: r.s.Metadata.Name, RunID: r.opts.RunID, Dir: r.opts.Dir, Target: r.targetKind()}
	if r.cluster != nil {
		a.Nodes = string(r.cluster.Mode())
	}
	for _, name := range r.s.Cluster.Nodes {
		n := r.nodes[name]
		na := NodeAccess{Name: name, Data: n.dataAddr, RPC: n.mgmt, PID: n.PID()}
		if n.node != nil {
			na.Netns, na.Log = n.node.Netns, n.node.Process.LogPath()
		}
		a.Node = append(a.Node, na)
	}
	for _, v := range r.s.Volumes {
		vol := r.vols[v.Name]
		va := VolumeAccess{Name: v.Name, NQN: vol.NQN, URL: r.targetURL(vol)}
		for _, p := range vol.Paths {
			va.Paths = append(va.Paths, fmt.Sprintf("%s %s (%s)", p.Node, p.Addr, anaOrDefault(p.ANA)))
		}
		a.Volumes = append(a.Volumes, va)
	}
	return a
}

func anaOrDefault(s string) string {
	if s == "" {
		return "optimized"
	}
	return strings.ReplaceAll(s, "_", "-")
}
