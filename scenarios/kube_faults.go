package scenarios

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	authv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/catalog"
	"github.com/nvmf-chaos/nvmf-chaos/faults/kubeapi"
	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
)

// dataAddr is where hosts reach a node's listener: its Service, which
// follows the target pod through every restart.
func (k *kubeBackend) dataAddr(node string) string {
	t := k.targets[node]
	switch {
	case t == nil:
		return ""
	case t.svcIP == "":
		// Not created yet (a dry run): the Service's DNS name, which
		// every cluster with DNS resolves.
		return net.JoinHostPort(kube.TargetPodName(node)+"."+k.ns+".svc", strconv.Itoa(kube.DataPort))
	}
	return net.JoinHostPort(t.svcIP, strconv.Itoa(kube.DataPort))
}

// kubeFault builds a fault on Kubernetes with the engine the scenario
// asked for, or the kind's default.
func (k *kubeBackend) kubeFault(ev FaultEvent, cfg catalog.Config, n *runNode) (faults.Fault, error) {
	engine, err := cfg.KubeEngine(ev.Engine)
	if err != nil {
		return nil, err
	}
	switch engine {
	case catalog.EngineNative:
		return cfg.BuildNative(k, n.name)
	case catalog.EngineChaosMesh:
		return k.chaosFault(cfg, n)
	}
	return nil, fmt.Errorf("%s: engine %s is not a Kubernetes engine", cfg.Kind, engine)
}

// The run as the native faults see it.
var _ kubeapi.Run = (*kubeBackend)(nil)

func (k *kubeBackend) Client() *kube.Client { return k.c }
func (k *kubeBackend) Namespace() string    { return k.ns }
func (k *kubeBackend) RunID() string        { return k.r.opts.RunID }

// BringBack recreates a node's target pod from its spec if it is gone,
// reconnects the harness and provisions the node's volumes again.
func (k *kubeBackend) BringBack(ctx context.Context, node string) error {
	n := k.r.nodes[node]
	if n == nil {
		return fmt.Errorf("no node %q", node)
	}
	name := kube.TargetPodName(node)
	for {
		var pod corev1.Pod
		err := k.c.K.Resources().Get(ctx, name, k.ns, &pod)
		if apierrors.IsNotFound(err) {
			if err := k.c.K.Resources().Create(ctx, kube.TargetPod(k.targets[node].spec)); err != nil {
				return fmt.Errorf("node %s: recreating its target pod: %w", node, err)
			}
			break
		}
		if err != nil {
			return fmt.Errorf("node %s: %w", node, err)
		}
		if pod.DeletionTimestamp == nil && (pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded) {
			// Its container was killed and, the pod being bare with
			// restartPolicy Never, it will not run again: replace it.
			if err := k.c.K.Resources().Delete(ctx, &pod); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("node %s: deleting its ended target pod: %w", node, err)
			}
		} else if pod.DeletionTimestamp == nil {
			break // it runs (a restart that found it back)
		}
		select { // still terminating
		case <-ctx.Done():
			return fmt.Errorf("node %s: its old target pod is still terminating: %w", node, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	n.startMu.Lock()
	defer n.startMu.Unlock()
	if err := k.bringUp(ctx, n); err != nil {
		return err
	}
	n.mu.Lock()
	re := n.reprovision
	n.mu.Unlock()
	if re != nil {
		if err := re(ctx); err != nil {
			return fmt.Errorf("node %s: re-provision after restart: %w", node, err)
		}
	}
	return nil
}

// faultAccess is what the run's faults do through the API beyond what
// every run does, for the permission check before anything starts.
func (k *kubeBackend) faultAccess() []authv1.ResourceAttributes {
	var out []authv1.ResourceAttributes
	for i, ev := range k.r.s.Timeline.Faults {
		cfg := k.r.faults[i]
		switch engine, _ := cfg.KubeEngine(ev.Engine); engine {
		case catalog.EngineChaosMesh:
			for _, verb := range []string{"create", "get", "delete"} {
				out = append(out, authv1.ResourceAttributes{Verb: verb, Group: "chaos-mesh.org", Resource: cfg.ChaosNeeds.Resource})
			}
		case catalog.EngineNative:
			out = append(out, cfg.NativeAccess()...)
		}
	}
	return out
}

// cordons reports whether the run drains nodes, so teardown makes sure
// none stays cordoned whatever happened to the fault's recovery.
func (k *kubeBackend) cordons() bool {
	return slices.ContainsFunc(k.r.s.Timeline.Faults, func(ev FaultEvent) bool { return ev.Kind == string(catalog.NodeDrain) })
}

// checkFaultTargets looks, before the run starts, for what each native
// fault acts on (a driver-kill's driver pods), rather than failing at its
// inject half-way.
func (k *kubeBackend) checkFaultTargets(ctx context.Context) error {
	for i, ev := range k.r.s.Timeline.Faults {
		cfg := k.r.faults[i]
		if engine, _ := cfg.KubeEngine(ev.Engine); engine != catalog.EngineNative {
			continue
		}
		if err := cfg.NativeCheck(ctx, k.c); err != nil {
			return fmt.Errorf("timeline.faults[%d] %s: %w", i, ev.Kind, err)
		}
	}
	return nil
}
