package chaosmesh

import (
	"strings"
	"testing"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
)

func defaults(kind faults.Kind, over map[string]string) Params {
	spec, _ := faults.Lookup(kind)
	return func(name string) string { return spec.Param(over, name) }
}

var target = Target{Namespace: "nvmf-chaos-0a1b2c", RunID: "0a1b2c", Node: "tgt-a", Name: "x-tgt-a-1", Machine: "chaos-mesh/k8s-node-0"}

// Each object acts on the node's target pod alone (and a network fault on
// the run's workers as the other side), carries the run's labels, and
// says what its kind means.
func TestBuildEveryKind(t *testing.T) {
	tests := []struct {
		kind  faults.Kind
		check func(t *testing.T, o Object)
	}{
		{faults.ProcessKill, podAction(v1alpha1.PodKillAction)},
		{faults.PodFailure, podAction(v1alpha1.PodFailureAction)},
		{faults.ContainerKill, podAction(v1alpha1.ContainerKillAction)},
		{faults.NetworkPartition, netAction(v1alpha1.PartitionAction, func(tc v1alpha1.TcParameter) bool { return tc == v1alpha1.TcParameter{} })},
		{faults.PacketLoss, netAction(v1alpha1.LossAction, func(tc v1alpha1.TcParameter) bool { return tc.Loss != nil && tc.Loss.Loss == "10" })},
		{faults.Latency, netAction(v1alpha1.DelayAction, func(tc v1alpha1.TcParameter) bool { return tc.Delay != nil && tc.Delay.Latency == "5ms" })},
		{faults.Bandwidth, netAction(v1alpha1.BandwidthAction, func(tc v1alpha1.TcParameter) bool { return tc.Bandwidth != nil && tc.Bandwidth.Rate == "10mbit" })},
		{faults.CPUStress, func(t *testing.T, o Object) {
			s := o.(*v1alpha1.StressChaos)
			checkTargetPod(t, s.Spec.PodSelector)
			if s.Spec.Stressors.CPUStressor == nil || s.Spec.Stressors.CPUStressor.Workers != 2 {
				t.Errorf("stressors %+v", s.Spec.Stressors)
			}
		}},
		{faults.MemoryStress, func(t *testing.T, o Object) {
			s := o.(*v1alpha1.StressChaos)
			if m := s.Spec.Stressors.MemoryStressor; m == nil || m.Size != "256MB" || m.Workers != 1 {
				t.Errorf("stressors %+v", s.Spec.Stressors)
			}
		}},
		{faults.KubeletStop, machineProcess("kubelet")},
		{faults.RuntimeStop, machineProcess("containerd")},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			o, err := Build(tt.kind, target, defaults(tt.kind, nil))
			if err != nil {
				t.Fatal(err)
			}
			if l := o.GetLabels(); l[kube.LabelRunID] != "0a1b2c" || l[kube.LabelManagedBy] != kube.ManagedBy || o.GetNamespace() != target.Namespace {
				t.Errorf("labels %v in %s: want the run's, in its namespace", l, o.GetNamespace())
			}
			if o.GetObjectKind().GroupVersionKind().Kind == "" {
				t.Error("no kind set")
			}
			tt.check(t, o)
		})
	}
}

func TestBuildRefuses(t *testing.T) {
	tests := []struct {
		kind   faults.Kind
		t      Target
		params map[string]string
		want   string
	}{
		{faults.NetworkPartition, target, map[string]string{"port": "rpc"}, "params.port"},
		{faults.CPUStress, target, map[string]string{"workers": "0"}, "params.workers"},
		{faults.KubeletStop, Target{Namespace: "n", RunID: "r", Node: "tgt-a", Name: "x"}, nil, "no PhysicalMachine"},
		{faults.NodeDrain, target, nil, "no Chaos Mesh object"},
	}
	for _, tt := range tests {
		_, err := Build(tt.kind, tt.t, defaults(tt.kind, tt.params))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.kind, err, tt.want)
		}
	}
}

func checkTargetPod(t *testing.T, s v1alpha1.PodSelector) {
	t.Helper()
	l := s.Selector.LabelSelectors
	if s.Mode != v1alpha1.AllMode || l[kube.LabelNode] != "tgt-a" || l[kube.LabelComponent] != kube.ComponentTarget || l[kube.LabelRunID] != "0a1b2c" ||
		len(s.Selector.Namespaces) != 1 || s.Selector.Namespaces[0] != target.Namespace {
		t.Errorf("selector %+v: want the run's tgt-a target pod", s)
	}
}

func podAction(a v1alpha1.PodChaosAction) func(*testing.T, Object) {
	return func(t *testing.T, o Object) {
		p := o.(*v1alpha1.PodChaos)
		checkTargetPod(t, p.Spec.PodSelector)
		if p.Spec.Action != a || len(p.Spec.ContainerNames) != 1 || p.Spec.ContainerNames[0] != "target" {
			t.Errorf("action %s containers %v, want %s on target", p.Spec.Action, p.Spec.ContainerNames, a)
		}
	}
}

func netAction(a v1alpha1.NetworkChaosAction, tcOK func(v1alpha1.TcParameter) bool) func(*testing.T, Object) {
	return func(t *testing.T, o Object) {
		n := o.(*v1alpha1.NetworkChaos)
		checkTargetPod(t, n.Spec.PodSelector)
		if n.Spec.Action != a || n.Spec.Direction != v1alpha1.Both || !tcOK(n.Spec.TcParameter) {
			t.Errorf("spec %+v: want %s both ways", n.Spec, a)
		}
		if n.Spec.Target == nil || n.Spec.Target.Selector.LabelSelectors[kube.LabelComponent] != kube.ComponentWorker {
			t.Errorf("the other side %+v: want the run's workers", n.Spec.Target)
		}
	}
}

func machineProcess(name string) func(*testing.T, Object) {
	return func(t *testing.T, o Object) {
		m := o.(*v1alpha1.PhysicalMachineChaos)
		if m.Spec.Action != v1alpha1.PMProcessAction || m.Spec.Process == nil || m.Spec.Process.Process != name || m.Spec.Process.Signal != 19 {
			t.Errorf("spec %+v: want SIGSTOP of %s", m.Spec, name)
		}
		if got := m.Spec.Selector.PhysicalMachines["chaos-mesh"]; len(got) != 1 || got[0] != "k8s-node-0" {
			t.Errorf("machines %v: want chaos-mesh/k8s-node-0", m.Spec.Selector.PhysicalMachines)
		}
	}
}
