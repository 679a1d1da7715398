package scenarios

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nvmf-chaos/nvmf-chaos/internal/worker"
	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
	"github.com/nvmf-chaos/nvmf-chaos/provision/volume"
)

// Manifests writes, as YAML `kubectl apply -f -` takes, every object a
// kubernetes run creates before its timeline starts: the namespace, a
// Service and a target pod per node (SPDK's nvmf_tgt and an RPC relay
// with target: spdk), the SPDK CSI driver's objects with driver: spdk-csi,
// a claim per volume with a driver, a worker Job per workload. It reaches no cluster and creates
// nothing. Two things differ from a real run: workers reach targets by
// their Services' DNS names (a run uses the ClusterIPs it was given, which
// work without cluster DNS), and the objects faults create at their time
// are not listed.
func (r *Runner) Manifests(w io.Writer) error {
	if r.s.Cluster.Backend != backendKubernetes {
		return fmt.Errorf("--dry-run prints Kubernetes objects: %s runs on the %s backend", r.s.Metadata.Name, cmp.Or(r.s.Cluster.Backend, "local"))
	}
	cfg := Kubernetes{}
	if r.s.Cluster.Kubernetes != nil {
		cfg = *r.s.Cluster.Kubernetes
	}
	k := &kubeBackend{r: r, cfg: cfg, targets: map[string]*kubeTarget{}, ns: cmp.Or(cfg.Namespace, "nvmf-chaos-"+r.opts.RunID)}
	var err error
	if k.pod, err = podSettings(cfg); err != nil {
		return err
	}
	if r.targetKind() == targetSPDK {
		if k.spdk, err = spdkTarget(cfg.SPDK); err != nil {
			return err
		}
	}
	r.kube = k
	defer func() { r.kube = nil }()
	objs := []client.Object{kube.Namespace(k.ns, r.opts.RunID)}
	if k.servesRPCHTTP() {
		objs = append(objs, k.rpcSecret())
	}
	external := r.targetKind() == targetExternal
	for _, node := range r.s.Cluster.Nodes {
		if external {
			r.nodes[node] = &runNode{name: node, dataAddr: r.s.Cluster.Listen[node]}
			continue
		}
		k.targets[node] = &kubeTarget{spec: k.targetSpec(node)}
		r.nodes[node] = &runNode{name: node}
		objs = append(objs, kube.TargetService(k.ns, r.opts.RunID, node, k.servesRPCHTTP()), kube.TargetPod(k.targets[node].spec))
	}
	driver, err := k.driverObjects()
	if err != nil {
		return err
	}
	objs = append(objs, driver...)
	if k.claimedVolumes() {
		for _, v := range r.s.Volumes {
			objs = append(objs, kube.Claim(k.claimSpec(v)))
		}
	}
	deadline := int64((r.s.Timeline.Warmup.D() + r.s.Timeline.Duration.D() + 5*time.Minute).Seconds())
	for wi, wl := range r.s.Workloads {
		jobs, err := r.jobsOf(wi, wl)
		if err != nil {
			return fmt.Errorf("workload %s: %w", wl.Name, err)
		}
		target := claimTarget(wl.Volume)
		if !k.claimedVolumes() {
			target = r.targetURL(r.plannedVolume(wl.Volume))
		}
		spec, err := json.Marshal(worker.Spec{Workload: wl.Name, Target: target, Jobs: jobs})
		if err != nil {
			return err
		}
		objs = append(objs, kube.WorkerJob(kube.WorkerSpec{Namespace: k.ns, RunID: r.opts.RunID, Workload: wl.Name, Spec: spec, Pod: k.pod,
			Deadline: deadline, Claims: k.workerClaims(wl)}))
	}
	return kube.WriteYAML(w, objs...)
}

// plannedVolume is a volume as it will be provisioned: its NQN and a path
// per exporting node.
func (r *Runner) plannedVolume(name string) *volume.Volume {
	v := &volume.Volume{Spec: volume.Spec{Name: name, RunID: r.opts.RunID}}
	for _, sv := range r.s.Volumes {
		if sv.Name != name {
			continue
		}
		for _, node := range sv.Nodes {
			v.Paths = append(v.Paths, volume.Path{Node: node, Addr: r.s.Cluster.Listen[node]})
		}
	}
	v.NQN = v.Spec.NQN()
	return v
}
