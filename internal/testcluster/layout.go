package testcluster

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
)

// Names and addresses of the cluster. They are fixed, not derived per run,
// because one machine runs at most one test cluster and a fixed name is
// what lets Down find a crashed cluster's leftovers with no state at all.
const (
	// namePrefix starts every network namespace, link and cgroup the
	// cluster makes; distinct from the local backend's "nvmfc" so neither
	// cleanup touches the other's.
	namePrefix = "nck8s"
	bridgeName = namePrefix + "-br"
	// MaxNodes bounds the node count; the pod /24s of nodes must fit in
	// podNet.
	MaxNodes = 8
	// apiPort is kube-apiserver's secure port on the first node.
	apiPort = 6443
	// etcdPort is etcd's client port on the first node's address.
	etcdPort = 2379
)

// The address plan, all inside 198.19.128.0/17: the bridge and nodes in
// one /24, services in another, pods one /24 per node. The local backend
// draws its node subnets from the rest of 198.18.0.0/15.
var (
	clusterNet = netip.MustParsePrefix("198.19.128.0/17")
	nodeNet    = netip.MustParsePrefix("198.19.255.0/24")
	serviceNet = netip.MustParsePrefix("198.19.254.0/24")
	podNet     = netip.MustParsePrefix("198.19.128.0/18")
)

// ClusterNet is the block every address of the test cluster comes from.
func ClusterNet() netip.Prefix { return clusterNet }

// Node is one node of the cluster.
type Node struct {
	// Index numbers nodes from 0; node 0 also runs the control plane.
	Index int
	// Name is the Kubernetes node name.
	Name string
	// Netns is the node's network namespace.
	Netns string
	// HostVeth is the node's link on the bridge, in the root namespace.
	HostVeth string
	// IP is the node's address on the bridge.
	IP netip.Addr
	// PodCIDR is where the node's pods get their addresses.
	PodCIDR netip.Prefix
}

func nodeAt(i int) Node {
	return Node{
		Index:    i,
		Name:     fmt.Sprintf("k8s-node-%d", i),
		Netns:    fmt.Sprintf("%s-node-%d", namePrefix, i),
		HostVeth: fmt.Sprintf("%s-v%d", namePrefix, i),
		IP:       addrAt(nodeNet, 10+i),
		PodCIDR:  netip.PrefixFrom(addrAt(podNet, 256*i), 24),
	}
}

// CgroupRoot is the cgroup the node's kubelet puts its pods under, in
// every hierarchy; one per node so kubelets never share one.
func (n Node) CgroupRoot() string { return "/" + n.Netns }

// bridgeIP is the root namespace's address on the bridge: the harness
// reaches nodes, pods and services from it.
func bridgeIP() netip.Addr { return addrAt(nodeNet, 1) }

// HostIP is this machine's address as the cluster's pods reach it: a
// target running outside the cluster listens there.
func HostIP() netip.Addr { return bridgeIP() }

// serviceIP is the first service address, the kubernetes Service's.
func serviceIP() netip.Addr { return addrAt(serviceNet, 1) }

func addrAt(p netip.Prefix, n int) netip.Addr {
	a := p.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// Layout is where a cluster's binaries and files live.
type Layout struct {
	// Cache is the toolchain cache; the binaries are in Cache/bin.
	Cache string
	// Dir holds the running cluster: state, PKI, configs, data, logs.
	Dir string
}

// DefaultCache is $NVMF_CHAOS_K8S_CACHE, else $XDG_CACHE_HOME/nvmf-chaos/k8s,
// else ~/.cache/nvmf-chaos/k8s: the same rule scripts/k8s/build.sh follows.
func DefaultCache() string {
	if d := os.Getenv("NVMF_CHAOS_K8S_CACHE"); d != "" {
		return d
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = "/root"
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "nvmf-chaos", "k8s")
}

// NewLayout puts the running cluster under cache/cluster.
func NewLayout(cache string) Layout {
	return Layout{Cache: cache, Dir: filepath.Join(cache, "cluster")}
}

// Bin is the path of a built binary.
func (l Layout) Bin(name string) string { return filepath.Join(l.Cache, "bin", name) }

// Kubeconfig is the cluster-admin kubeconfig, the one users and tests use.
func (l Layout) Kubeconfig() string { return filepath.Join(l.Dir, "kubeconfig") }

// LogDir holds one log file per component.
func (l Layout) LogDir() string { return filepath.Join(l.Dir, "logs") }

// Log is a component's log file.
func (l Layout) Log(component string) string {
	return filepath.Join(l.LogDir(), component+".log")
}

func (l Layout) pki(name string) string { return filepath.Join(l.Dir, "pki", name) }
func (l Layout) statePath() string      { return filepath.Join(l.Dir, "state.json") }
func (l Layout) nodeDir(n Node) string  { return filepath.Join(l.Dir, "nodes", n.Name) }
func (l Layout) kubeconfigOf(user string) string {
	return filepath.Join(l.Dir, "kubeconfigs", user+".kubeconfig")
}

// containerdSocket is a node's containerd endpoint.
func (l Layout) containerdSocket(n Node) string {
	return filepath.Join(l.nodeDir(n), "containerd", "containerd.sock")
}

// binaries are what Up needs from the cache.
var binaries = []string{
	"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler",
	"kubelet", "kube-proxy", "containerd", "containerd-shim-runc-v2", "ctr", "runc",
}

// cniPluginDir holds Debian's CNI plugins (containernetworking-plugins).
const cniPluginDir = "/usr/lib/cni"

// cniPlugins are the plugins the node network config uses.
var cniPlugins = []string{"bridge", "host-local", "loopback", "portmap"}
