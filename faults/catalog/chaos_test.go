package catalog

import (
	"strings"
	"testing"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/chaosmesh"
	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
)

// config parses kind's params as a scenario gives them.
func config(t *testing.T, kind faults.Kind, params map[string]string) Config {
	t.Helper()
	s, ok := Lookup(kind)
	if !ok {
		t.Fatalf("%s is not registered", kind)
	}
	c, err := s.Parse(params)
	if err != nil {
		t.Fatalf("%s %v: %v", kind, params, err)
	}
	return c
}

var target = chaosmesh.Target{Namespace: "nvmf-chaos-0a1b2c", RunID: "0a1b2c", Node: "tgt-a", Name: "x-tgt-a-1", Machine: "chaos-mesh/k8s-node-0"}

// Each object acts on the node's target pod alone (and a network fault on
// the run's workers as the other side), carries the run's labels, and
// says what its kind means.
func TestChaosObjectEveryKind(t *testing.T) {
	tests := []struct {
		kind  faults.Kind
		check func(t *testing.T, o chaosmesh.Object)
	}{
		{ProcessKill, podAction(v1alpha1.PodKillAction)},
		{PodFailure, podAction(v1alpha1.PodFailureAction)},
		{ContainerKill, podAction(v1alpha1.ContainerKillAction)},
		{NetworkPartition, netAction(v1alpha1.PartitionAction, func(tc v1alpha1.TcParameter) bool { return tc == v1alpha1.TcParameter{} })},
		{PacketLoss, netAction(v1alpha1.LossAction, func(tc v1alpha1.TcParameter) bool { return tc.Loss != nil && tc.Loss.Loss == "10" })},
		{Latency, netAction(v1alpha1.DelayAction, func(tc v1alpha1.TcParameter) bool { return tc.Delay != nil && tc.Delay.Latency == "5ms" })},
		{Bandwidth, netAction(v1alpha1.BandwidthAction, func(tc v1alpha1.TcParameter) bool { return tc.Bandwidth != nil && tc.Bandwidth.Rate == "10mbit" })},
		{CPUStress, func(t *testing.T, o chaosmesh.Object) {
			s := o.(*v1alpha1.StressChaos)
			checkTargetPod(t, s.Spec.PodSelector)
			if s.Spec.Stressors.CPUStressor == nil || s.Spec.Stressors.CPUStressor.Workers != 2 {
				t.Errorf("stressors %+v", s.Spec.Stressors)
			}
		}},
		{MemoryStress, func(t *testing.T, o chaosmesh.Object) {
			s := o.(*v1alpha1.StressChaos)
			if m := s.Spec.Stressors.MemoryStressor; m == nil || m.Size != "256MB" || m.Workers != 1 {
				t.Errorf("stressors %+v", s.Spec.Stressors)
			}
		}},
		{KubeletStop, machineProcess("kubelet")},
		{RuntimeStop, machineProcess("containerd")},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			o, err := config(t, tt.kind, nil).ChaosObject(target)
			if err != nil {
				t.Fatal(err)
			}
			if l := o.GetLabels(); l[kube.LabelRunID] != "0a1b2c" || l[kube.LabelManagedBy] != kube.ManagedBy || o.GetNamespace() != target.Namespace {
				t.Errorf("labels %v in %s: want the run's, in its namespace", l, o.GetNamespace())
			}
			gvk := o.GetObjectKind().GroupVersionKind().Kind
			if gvk == "" {
				t.Error("no kind set")
			}
			if s, _ := Lookup(tt.kind); s.ChaosNeeds.Resource != strings.ToLower(gvk) {
				t.Errorf("declared resource %q, builds a %s: the preflight and the permission check would look for the wrong CRD", s.ChaosNeeds.Resource, gvk)
			}
			tt.check(t, o)
		})
	}
}

// TestChaosRefuses: what Chaos Mesh cannot do is refused at the stage
// that knows it: a bad value when params are parsed (naming the param), a
// use the engine cannot make when validation fits the kind to the
// backend, a missing machine when the object is built.
func TestChaosRefuses(t *testing.T) {
	kube := Where{Kube: true, Engine: EngineChaosMesh}
	tests := []struct {
		kind   faults.Kind
		params map[string]string
		target chaosmesh.Target
		want   string
	}{
		{CPUStress, map[string]string{"workers": "0"}, target, `workers "0": want a whole number 1..64`},
		{NetworkPartition, map[string]string{"port": "rpc"}, target, "the harness reaches the RPC through the API server"},
		{KubeletStop, nil, chaosmesh.Target{Namespace: "n", RunID: "r", Node: "tgt-a", Name: "x"}, "no PhysicalMachine"},
		{NodeDrain, nil, target, "no Chaos Mesh object"},
	}
	for _, tt := range tests {
		s, _ := Lookup(tt.kind)
		c, err := s.Parse(tt.params)
		if err == nil {
			err = c.Fits(kube)
		}
		if err == nil {
			_, err = c.ChaosObject(tt.target)
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %v: %v, want %q", tt.kind, tt.params, err, tt.want)
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

func podAction(a v1alpha1.PodChaosAction) func(*testing.T, chaosmesh.Object) {
	return func(t *testing.T, o chaosmesh.Object) {
		p := o.(*v1alpha1.PodChaos)
		checkTargetPod(t, p.Spec.PodSelector)
		if p.Spec.Action != a || len(p.Spec.ContainerNames) != 1 || p.Spec.ContainerNames[0] != "target" {
			t.Errorf("action %s containers %v, want %s on target", p.Spec.Action, p.Spec.ContainerNames, a)
		}
	}
}

func netAction(a v1alpha1.NetworkChaosAction, tcOK func(v1alpha1.TcParameter) bool) func(*testing.T, chaosmesh.Object) {
	return func(t *testing.T, o chaosmesh.Object) {
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

func machineProcess(name string) func(*testing.T, chaosmesh.Object) {
	return func(t *testing.T, o chaosmesh.Object) {
		m := o.(*v1alpha1.PhysicalMachineChaos)
		if m.Spec.Action != v1alpha1.PMProcessAction || m.Spec.Process == nil || m.Spec.Process.Process != name || m.Spec.Process.Signal != 19 {
			t.Errorf("spec %+v: want SIGSTOP of %s", m.Spec, name)
		}
		if got := m.Spec.Selector.PhysicalMachines["chaos-mesh"]; len(got) != 1 || got[0] != "k8s-node-0" {
			t.Errorf("machines %v: want chaos-mesh/k8s-node-0", m.Spec.Selector.PhysicalMachines)
		}
	}
}
