// Package chaosmesh injects faults on Kubernetes as Chaos Mesh objects,
// built from Chaos Mesh's own API types: inject creates the object and
// waits until its status says AllInjected; recover deletes it and waits
// until it is gone (its finalizer is removed once the controller has
// undone the chaos).
package chaosmesh

import (
	"fmt"
	"strings"
	"syscall"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
)

// Object is a Chaos Mesh object as the faults use it. The fault catalog
// (faults/catalog) decides which object each kind is, from the builders
// here.
type Object interface {
	client.Object
	GetStatus() *v1alpha1.ChaosStatus
}

// Target says which pods an object acts on: a scenario node's target pod,
// and for network faults the run's worker pods on the other side.
type Target struct {
	Namespace string
	RunID     string
	// Node is the scenario node whose target pod is hit.
	Node string
	// Name is the object's name, unique in the run.
	Name string
	// Machine names the PhysicalMachine (chaosd) of the cluster node the
	// target pod runs on, namespace/name, for the machine-level kinds.
	Machine string
}

func (t Target) meta() metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: t.Name, Namespace: t.Namespace, Labels: map[string]string{
		kube.LabelManagedBy: kube.ManagedBy, kube.LabelRunID: t.RunID, kube.LabelNode: t.Node,
	}}
}

// targetPod selects the node's target pod, and only it.
func (t Target) targetPod() v1alpha1.PodSelector {
	return v1alpha1.PodSelector{Mode: v1alpha1.AllMode, Selector: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{
		Namespaces: []string{t.Namespace},
		LabelSelectors: map[string]string{
			kube.LabelRunID: t.RunID, kube.LabelComponent: kube.ComponentTarget, kube.LabelNode: t.Node,
		},
	}}}
}

// workers selects the run's worker pods: the hosts.
func (t Target) workers() *v1alpha1.PodSelector {
	return &v1alpha1.PodSelector{Mode: v1alpha1.AllMode, Selector: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{
		Namespaces:     []string{t.Namespace},
		LabelSelectors: map[string]string{kube.LabelRunID: t.RunID, kube.LabelComponent: kube.ComponentWorker},
	}}}
}

// ProcessStop stops a process on the target's machine through chaosd
// (SIGSTOP; chaosd continues it when the object is deleted).
func (t Target) ProcessStop(process string) (Object, error) {
	ns, name, ok := strings.Cut(t.Machine, "/")
	if !ok || ns == "" || name == "" {
		return nil, fmt.Errorf("no PhysicalMachine for the node of %s's target (want namespace/name, have %q)", t.Node, t.Machine)
	}
	return &v1alpha1.PhysicalMachineChaos{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "PhysicalMachineChaos"},
		ObjectMeta: t.meta(),
		Spec: v1alpha1.PhysicalMachineChaosSpec{
			Action: v1alpha1.PMProcessAction,
			PhysicalMachineSelector: v1alpha1.PhysicalMachineSelector{Mode: v1alpha1.AllMode, Selector: v1alpha1.PhysicalMachineSelectorSpec{
				PhysicalMachines: map[string][]string{ns: {name}},
			}},
			ExpInfo: v1alpha1.ExpInfo{Process: &v1alpha1.ProcessSpec{Process: process, Signal: int(syscall.SIGSTOP)}},
		},
	}, nil
}

// PodChaos acts on the node's target container.
func (t Target) PodChaos(action v1alpha1.PodChaosAction) *v1alpha1.PodChaos {
	return &v1alpha1.PodChaos{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "PodChaos"},
		ObjectMeta: t.meta(),
		Spec: v1alpha1.PodChaosSpec{
			ContainerSelector: v1alpha1.ContainerSelector{PodSelector: t.targetPod(), ContainerNames: []string{"target"}},
			Action:            action,
		},
	}
}

// NetworkChaos acts on the traffic between the node's target pod and the
// run's workers, both ways, as the local engine's partition does.
func (t Target) NetworkChaos(action v1alpha1.NetworkChaosAction, tc v1alpha1.TcParameter) *v1alpha1.NetworkChaos {
	return &v1alpha1.NetworkChaos{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "NetworkChaos"},
		ObjectMeta: t.meta(),
		Spec: v1alpha1.NetworkChaosSpec{
			PodSelector: t.targetPod(),
			Action:      action,
			TcParameter: tc,
			Direction:   v1alpha1.Both,
			Target:      t.workers(),
		},
	}
}

// StressChaos runs stressors beside the node's target.
func (t Target) StressChaos(s v1alpha1.Stressors) *v1alpha1.StressChaos {
	return &v1alpha1.StressChaos{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "StressChaos"},
		ObjectMeta: t.meta(),
		Spec: v1alpha1.StressChaosSpec{
			ContainerSelector: v1alpha1.ContainerSelector{PodSelector: t.targetPod(), ContainerNames: []string{"target"}},
			Stressors:         &s,
		},
	}
}
