package scenarios

import (
	"strings"
	"testing"
)

// Everything the kubernetes backend cannot do is refused by validate, at
// the line of the field, before anything is created.
func TestKubernetesValidation(t *testing.T) {
	base := strings.Replace(minimal, "cluster: {nodes: [tgt-a, tgt-b]}", "cluster: {backend: kubernetes, nodes: [tgt-a, tgt-b], kubernetes: {namespace: ns1}}", 1)
	if _, err := ParseScenario("k.yaml", []byte(base)); err != nil {
		t.Fatalf("the base kubernetes scenario is refused: %v", err)
	}
	tests := []struct {
		name, from, to string
		line           string
		want           string
	}{
		{"kubernetes block on local", "backend: kubernetes, ", "", "4", "cluster.kubernetes: only used with backend: kubernetes"},
		{"spdk target without an image", "backend: kubernetes,", "backend: kubernetes, target: spdk,", "4", `cluster.kubernetes.spdk.image: required with target: spdk on kubernetes`},
		{"spdk block without target: spdk", "namespace: ns1", "namespace: ns1, spdk: {image: 'spdk:v24.01'}", "4", `cluster.kubernetes.spdk: only used with target: spdk`},
		{"pod fault on an external target", "backend: kubernetes,", "backend: kubernetes, target: external, rpc: {tgt-a: '198.18.0.1:5260', tgt-b: '198.18.0.2:5260'}, listen: {tgt-a: '198.18.0.1:4420', tgt-b: '198.18.0.2:4420'},", "13", `process-kill acts on a target pod, and external targets run outside the cluster`},
		{"kind without a kubernetes engine", "kind: process-kill", "kind: node-down", "13", `timeline.faults[0].kind: node-down has no Kubernetes engine`},
		{"engine the kind lacks", "kind: process-kill", "kind: process-pause, engine: chaos-mesh", "13", `timeline.faults[0].engine: engine "chaos-mesh": process-pause runs on native`},
		{"unknown engine", "kind: process-kill", "kind: process-kill, engine: litmus", "13", `timeline.faults[0].engine: engine "litmus": process-kill runs on native or chaos-mesh`},
		{"rpc partition on kubernetes", "kind: process-kill", "kind: network-partition, params: {port: rpc}", "13", `timeline.faults[0].params.port: on Kubernetes the harness reaches the RPC through the API server`},
		{"driver-kill selector", "kind: process-kill", "kind: driver-kill, params: {selector: 'app in ('}", "13", `timeline.faults[0].params.selector: selector "app in ("`},
		{"engine of an RPC fault", "kind: process-kill", "kind: ana-change, engine: native", "13", `ana-change has no Kubernetes engine (it goes through the target's RPC`},
		{"bad namespace", "namespace: ns1", "namespace: NS_1", "4", `cluster.kubernetes.namespace: "NS_1"`},
		{"unknown mapped node", "namespace: ns1", "namespace: ns1, nodes: {tgt-z: k8s-node-0}", "4", `cluster.kubernetes.nodes.tgt-z: node "tgt-z" is not in cluster.nodes`},
		{"bad node reference", "namespace: ns1", "namespace: ns1, nodes: {tgt-a: Bad_Node}", "4", `cluster.kubernetes.nodes.tgt-a: "Bad_Node": not a node name`},
		{"bad selector", "namespace: ns1", "namespace: ns1, nodes: {tgt-a: 'zone=a b'}", "4", `bad label selector`},
		{"bad quantity", "namespace: ns1", "namespace: ns1, memory: 1 gig", "4", `cluster.kubernetes.memory: "1 gig"`},
		{"bad pull policy", "namespace: ns1", "namespace: ns1, image_pull_policy: Sometimes", "4", `cluster.kubernetes.image_pull_policy: "Sometimes" is not allowed`},
		{"unknown driver", "namespace: ns1", "namespace: ns1, driver: rook", "4", `cluster.kubernetes.driver: "rook" is not allowed`},
		{"restart policy", "backend: kubernetes,", "backend: kubernetes, restart: always,", "4", `cluster.restart: "always": not supported on kubernetes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(base, tt.from, tt.to, 1)
			if doc == base {
				t.Fatalf("replacing %q changed nothing", tt.from)
			}
			_, err := ParseScenario("k.yaml", []byte(doc))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "k.yaml:"+tt.line+":") {
				t.Errorf("error %q, want %q at k.yaml:%s", err, tt.want, tt.line)
			}
		})
	}
}

// Kubernetes-only kinds and engines are refused on the local backend.
func TestKubernetesOnlyFaultsRefusedLocally(t *testing.T) {
	tests := []struct{ from, to, want string }{
		{"kind: process-kill", "kind: node-drain", "timeline.faults[0].kind: node-drain runs on kubernetes only"},
		{"kind: process-kill", "kind: process-kill, engine: native", `timeline.faults[0].engine: "native": engines are chosen on kubernetes only`},
	}
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			doc := strings.Replace(minimal, tt.from, tt.to, 1)
			_, err := ParseScenario("l.yaml", []byte(doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "l.yaml:13:") {
				t.Errorf("error %v, want %q at l.yaml:13", err, tt.want)
			}
		})
	}
}

// existingBase claims its volume from a StorageClass the user names: no
// targets, no nodes, only the storage driver's pods to fault.
const existingBase = `apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: t1}
cluster: {backend: kubernetes, kubernetes: {driver: existing, storage_class: fast-nvme}}
volumes:
  - {name: vol0, size: 64MiB}
workloads:
  - {name: w, volume: vol0, rw: randrw, bs: 4k, iodepth: 8}
timeline:
  duration: 20s
  faults:
    - {at: 5s, kind: driver-kill, params: {namespace: csi, selector: app=csi-node}}
slos:
  - {metric: io_errors, max: 0}
`

// With driver: existing the storage class's system serves the volumes:
// what would name targets or nodes of the run is refused at its line.
func TestExistingDriverValidation(t *testing.T) {
	if _, err := ParseScenario("e.yaml", []byte(existingBase)); err != nil {
		t.Fatalf("the base driver: existing scenario is refused: %v", err)
	}
	tests := []struct {
		name, from, to, line, want string
	}{
		{"no storage class", ", storage_class: fast-nvme", "", "4", "cluster.kubernetes.storage_class: required with driver: existing"},
		{"bad storage class", "storage_class: fast-nvme", "storage_class: Fast_NVMe", "4", `cluster.kubernetes.storage_class: "Fast_NVMe"`},
		{"nodes", "{backend: kubernetes,", "{backend: kubernetes, nodes: [tgt-a],", "4", "cluster.nodes: driver: existing: the storage class's own system serves the volumes"},
		{"target", "{backend: kubernetes,", "{backend: kubernetes, target: embedded,", "4", `cluster.target: "embedded": driver: existing`},
		{"volume nodes", "size: 64MiB}", "size: 64MiB, nodes: [tgt-a]}", "6", "volumes[0].nodes: driver: existing"},
		{"volume backing", "size: 64MiB}", "size: 64MiB, backing: file}", "6", "volumes[0].backing: driver: existing"},
		{"target fault", "kind: driver-kill, params: {namespace: csi, selector: app=csi-node}", "kind: process-kill, node: tgt-a", "12", "timeline.faults[0].kind: process-kill: driver: existing"},
		{"fault node", "kind: driver-kill,", "kind: driver-kill, node: tgt-a,", "12", "timeline.faults[0].node: driver: existing"},
		{"storage class without existing", "driver: existing", "driver: none", "4", "only used with driver: existing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(existingBase, tt.from, tt.to, 1)
			if doc == existingBase {
				t.Fatalf("replacing %q changed nothing", tt.from)
			}
			_, err := ParseScenario("e.yaml", []byte(doc))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "e.yaml:"+tt.line+":") {
				t.Errorf("error %q, want %q at e.yaml:%s", err, tt.want, tt.line)
			}
		})
	}
}

// spdkCSIBase has the SPDK CSI driver, deployed for the run, provision its
// volume on the run's two target pods.
const spdkCSIBase = `apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: t1}
cluster: {backend: kubernetes, nodes: [tgt-a, tgt-b], kubernetes: {driver: spdk-csi, driver_images: {driver: 'registry.example/spdkcsi:v0.1'}}}
volumes:
  - {name: vol0, size: 64MiB}
workloads:
  - {name: w, volume: vol0, rw: randrw, bs: 4k, iodepth: 8}
timeline:
  duration: 20s
  faults:
    - {at: 5s, kind: process-kill, node: tgt-a}
slos:
  - {metric: io_errors, max: 0}
`

// With driver: spdk-csi the driver places volumes: what would place them,
// or act on a subsystem the run did not make, is refused at its line.
func TestSPDKCSIDriverValidation(t *testing.T) {
	if _, err := ParseScenario("s.yaml", []byte(spdkCSIBase)); err != nil {
		t.Fatalf("the base driver: spdk-csi scenario is refused: %v", err)
	}
	tests := []struct {
		name, from, to, line, want string
	}{
		{"storage class", "driver: spdk-csi,", "driver: spdk-csi, storage_class: fast,", "4", "cluster.kubernetes.storage_class: the run creates the SPDK CSI driver's StorageClass"},
		{"external target", "{backend: kubernetes,", "{backend: kubernetes, target: external, rpc: {tgt-a: '198.18.0.1:5260', tgt-b: '198.18.0.2:5260'}, listen: {tgt-a: '198.18.0.1:4420', tgt-b: '198.18.0.2:4420'},", "4", `cluster.target: "external": driver: spdk-csi provisions on the run's embedded target pods`},
		{"no nodes", " nodes: [tgt-a, tgt-b],", "", "4", "cluster.nodes: at least one node is required"},
		{"volume nodes", "size: 64MiB}", "size: 64MiB, nodes: [tgt-a]}", "6", "volumes[0].nodes: driver: spdk-csi: the SPDK CSI driver places each volume"},
		{"volume ana", "size: 64MiB}", "size: 64MiB, ana: {tgt-a: optimized}}", "6", "volumes[0].ana: driver: spdk-csi"},
		{"per-volume fault", "kind: process-kill, node: tgt-a", "kind: listener-remove, node: tgt-a, duration: 2s", "12", "timeline.faults[0].kind: listener-remove acts on a volume's subsystem over RPC"},
		{"driver-kill", "kind: process-kill, node: tgt-a", "kind: driver-kill", "12", "timeline.faults[0].kind: driver-kill of the driver the run deploys is not supported yet"},
		{"node fault on an unknown node", "node: tgt-a}", "node: tgt-z}", "12", `timeline.faults[0].node: node "tgt-z" is not in cluster.nodes`},
		{"driver images elsewhere", "driver: spdk-csi,", "driver: none,", "4", "cluster.kubernetes.driver_images: only used with driver: spdk-csi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(spdkCSIBase, tt.from, tt.to, 1)
			if doc == spdkCSIBase {
				t.Fatalf("replacing %q changed nothing", tt.from)
			}
			_, err := ParseScenario("s.yaml", []byte(doc))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "s.yaml:"+tt.line+":") {
				t.Errorf("error %q, want %q at s.yaml:%s", err, tt.want, tt.line)
			}
		})
	}
}

// spdkBase runs SPDK's nvmf_tgt from an image as both nodes' targets.
var spdkBase = strings.Replace(minimal, "cluster: {nodes: [tgt-a, tgt-b]}",
	"cluster: {backend: kubernetes, target: spdk, nodes: [tgt-a, tgt-b], kubernetes: {spdk: {image: 'spdk:v24.01'}}}", 1)

// An SPDK target on Kubernetes is checked at its fields: what nvmf_tgt
// needs (hugepages or --no-huge), what the pod sets itself, and faults
// the SPDK image cannot take.
func TestKubeSPDKValidation(t *testing.T) {
	if _, err := ParseScenario("p.yaml", []byte(spdkBase)); err != nil {
		t.Fatalf("the base target: spdk scenario is refused: %v", err)
	}
	tests := []struct{ name, from, to, line, want string }{
		{"no image", "spdk: {image: 'spdk:v24.01'}", "spdk: {args: [--no-huge]}", "4", "cluster.kubernetes.spdk.image: required"},
		{"args without --no-huge", "image: 'spdk:v24.01'", "image: 'spdk:v24.01', args: [-m, '0x3']", "4", "cluster.kubernetes.spdk.args: no hugepages given: add --no-huge"},
		{"bad hugepages", "image: 'spdk:v24.01'", "image: 'spdk:v24.01', hugepages: lots", "4", `cluster.kubernetes.spdk.hugepages: "lots"`},
		{"rpc socket in args", "image: 'spdk:v24.01'", "image: 'spdk:v24.01', args: [--no-huge, -r, /tmp/x.sock]", "4", "the pod sets the RPC socket (-r)"},
		{"spdk_bin", "target: spdk,", "target: spdk, spdk_bin: /opt/nvmf_tgt,", "4", "cluster.spdk_bin: \"/opt/nvmf_tgt\": on kubernetes nvmf_tgt comes from cluster.kubernetes.spdk.image"},
		{"native pause", "kind: process-kill", "kind: process-pause", "13", "process-pause on Kubernetes runs nvmf-chaos in the target's container"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(spdkBase, tt.from, tt.to, 1)
			if doc == spdkBase {
				t.Fatalf("replacing %q changed nothing", tt.from)
			}
			_, err := ParseScenario("p.yaml", []byte(doc))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "p.yaml:"+tt.line+":") {
				t.Errorf("error %q, want %q at p.yaml:%s", err, tt.want, tt.line)
			}
		})
	}
}
