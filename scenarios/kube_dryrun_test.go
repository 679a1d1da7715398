package scenarios

import (
	"bytes"
	"strings"
	"testing"
)

// The printed objects are the namespace, a Service and a target pod per
// node and a Job per workload, the workers aimed at the Services' DNS
// names; an external target gets no pod; with driver: existing each volume
// is a Block claim whose device the worker gets; with driver: spdk-csi the
// targets serve HTTP JSON-RPC and the driver's objects and claims come
// too; a local scenario is refused.
func TestManifests(t *testing.T) {
	external := strings.Replace(minimal, "cluster: {nodes: [tgt-a, tgt-b]}",
		"cluster: {backend: kubernetes, target: external, nodes: [tgt-a, tgt-b], rpc: {tgt-a: '198.18.0.1:5260', tgt-b: '198.18.0.2:5260'}, listen: {tgt-a: '198.18.0.1:4420', tgt-b: '198.18.0.2:4420'}}", 1)
	external = strings.Replace(external, "kind: process-kill", "kind: ana-change", 1)
	builtin := func() (*Scenario, error) {
		l, err := Load("k8s-target-kill")
		if err != nil {
			return nil, err
		}
		return l.Scenario, nil
	}
	tests := []struct {
		name  string
		load  func() (*Scenario, error)
		kinds []string
		want  []string
	}{
		{"pods", builtin, []string{"Namespace", "Service", "Pod", "Service", "Pod", "Job"},
			[]string{"target-tgt-a.nvmf-chaos-r1.svc:4420,target-tgt-b.nvmf-chaos-r1.svc:4420/nqn.2016-06.io.nvmf-chaos:r1:vol0"}},
		{"external", func() (*Scenario, error) { return ParseScenario("e.yaml", []byte(external)) },
			[]string{"Namespace", "Job"}, []string{"nvme+tcp://198.18.0.1:4420"}},
		{"claims", func() (*Scenario, error) { return ParseScenario("c.yaml", []byte(existingBase)) },
			[]string{"Namespace", "PersistentVolumeClaim", "Job"},
			[]string{"storageClassName: fast-nvme", "volumeMode: Block", "storage: 64Mi", "claimName: vol-vol0",
				"devicePath: /dev/nvmf-chaos/vol0", `file:///dev/nvmf-chaos/vol0`}},
		{"spdk-csi", func() (*Scenario, error) { return ParseScenario("s.yaml", []byte(spdkCSIBase)) },
			[]string{"Namespace", "Secret", "Service", "Pod", "Service", "Pod",
				"CSIDriver", "ServiceAccount", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
				"ConfigMap", "Secret", "StatefulSet", "DaemonSet", "StorageClass", "PersistentVolumeClaim", "Job"},
			[]string{"--rpc-http", "name: target-rpc-credentials", `"rpcURL": "http://target-tgt-a.nvmf-chaos-r1.svc:9009"`,
				"image: registry.example/spdkcsi:v0.1", "storageClassName: nvmf-chaos-r1-spdkcsi", "provisioner: csi.spdk.io",
				"devicePath: /dev/nvmf-chaos/vol0", "port: 9009"}},
		{"spdk", func() (*Scenario, error) {
			return ParseScenario("p.yaml", []byte(strings.Replace(spdkBase, "image: 'spdk:v24.01'", "image: 'spdk:v24.01', hugepages: 1Gi, args: [-m, '0x1']", 1)))
		},
			[]string{"Namespace", "Service", "Pod", "Service", "Pod", "Job"},
			[]string{"image: spdk:v24.01", "- nvmf_tgt", "- /var/tmp/spdk/spdk.sock", "name: rpc-relay", "- rpc-relay",
				"hugepages-2Mi: 1Gi", "medium: HugePages", "privileged: true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.load()
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := NewRunner(s, RunOptions{RunID: "r1"}).Manifests(&buf); err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, line := range strings.Split(buf.String(), "\n") {
				if k, ok := strings.CutPrefix(line, "kind: "); ok {
					kinds = append(kinds, k)
				}
			}
			if strings.Join(kinds, ",") != strings.Join(tt.kinds, ",") {
				t.Errorf("kinds %v, want %v", kinds, tt.kinds)
			}
			for _, w := range tt.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("no %q in:\n%s", w, buf.String())
				}
			}
		})
	}
	l, err := Load("baseline")
	if err != nil {
		t.Fatal(err)
	}
	if err := NewRunner(l.Scenario, RunOptions{}).Manifests(&bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "local backend") {
		t.Errorf("a local scenario: %v, want refused", err)
	}
}
