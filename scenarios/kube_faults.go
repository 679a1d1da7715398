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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/chaosmesh"
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
func (k *kubeBackend) kubeFault(ev FaultEvent, n *runNode, param func(string) string) (faults.Fault, error) {
	kind := faults.Kind(ev.Kind)
	spec, _ := faults.Lookup(kind)
	engine, err := spec.KubeEngine(ev.Engine)
	if err != nil {
		return nil, err
	}
	switch engine {
	case faults.EngineNative:
		return k.nativeFault(kind, n, param)
	case faults.EngineChaosMesh:
		return k.chaosFault(kind, n, param)
	}
	return nil, fmt.Errorf("%s: engine %s is not a Kubernetes engine", kind, engine)
}

// nativeFault is a fault through the Kubernetes API alone.
func (k *kubeBackend) nativeFault(kind faults.Kind, n *runNode, param func(string) string) (faults.Fault, error) {
	switch kind {
	case faults.ProcessKill:
		return &kubeapi.Delete{Run: k, Node: n.name, Grace: 0}, nil
	case faults.ProcessRestart:
		return &kubeapi.Delete{Run: k, Node: n.name, Grace: 5, Restart: true}, nil
	case faults.ProcessPause:
		return &kubeapi.Pause{Run: k, Node: n.name}, nil
	case faults.NodeDrain:
		return &kubeapi.Drain{Run: k, Node: n.name}, nil
	case faults.DriverKill:
		return &kubeapi.DriverKill{Client: k.c, Namespace: param("namespace"), Selector: param("selector")}, nil
	}
	return nil, fmt.Errorf("%s has no native engine", kind)
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
	for _, ev := range k.r.s.Timeline.Faults {
		spec, _ := faults.Lookup(faults.Kind(ev.Kind))
		engine, _ := spec.KubeEngine(ev.Engine)
		switch {
		case engine == faults.EngineChaosMesh:
			res := chaosmesh.Resource(faults.Kind(ev.Kind))
			for _, verb := range []string{"create", "get", "delete"} {
				out = append(out, authv1.ResourceAttributes{Verb: verb, Group: "chaos-mesh.org", Resource: res})
			}
		case spec.Kind == faults.ProcessPause:
			out = append(out, authv1.ResourceAttributes{Verb: "create", Resource: "pods", Subresource: "exec"})
		case spec.Kind == faults.NodeDrain:
			out = append(out, authv1.ResourceAttributes{Verb: "get", Resource: "nodes"}, authv1.ResourceAttributes{Verb: "patch", Resource: "nodes"},
				authv1.ResourceAttributes{Verb: "create", Resource: "pods", Subresource: "eviction"})
		case spec.Kind == faults.DriverKill:
			ns := spec.Param(ev.Params, "namespace")
			out = append(out, authv1.ResourceAttributes{Verb: "list", Resource: "pods", Namespace: ns},
				authv1.ResourceAttributes{Verb: "delete", Resource: "pods", Namespace: ns})
		}
	}
	return out
}

// cordons reports whether the run drains nodes, so teardown makes sure
// none stays cordoned whatever happened to the fault's recovery.
func (k *kubeBackend) cordons() bool {
	return slices.ContainsFunc(k.r.s.Timeline.Faults, func(ev FaultEvent) bool { return ev.Kind == string(faults.NodeDrain) })
}

// checkDrivers makes sure every driver-kill finds its driver's pods
// before the run starts, rather than failing at its inject half-way.
func (k *kubeBackend) checkDrivers(ctx context.Context) error {
	for i, ev := range k.r.s.Timeline.Faults {
		if ev.Kind != string(faults.DriverKill) {
			continue
		}
		spec, _ := faults.Lookup(faults.DriverKill)
		param := func(name string) string { return spec.Param(ev.Params, name) }
		pods, err := k.c.CS.CoreV1().Pods(param("namespace")).List(ctx, metav1.ListOptions{LabelSelector: param("selector")})
		if err != nil {
			return fmt.Errorf("timeline.faults[%d] driver-kill: %w", i, err)
		}
		if len(pods.Items) == 0 {
			return fmt.Errorf("timeline.faults[%d] driver-kill: no pod matches %q in namespace %s: deploy the storage driver, or name its pods with params.namespace and params.selector",
				i, param("selector"), param("namespace"))
		}
	}
	return nil
}
