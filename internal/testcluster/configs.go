package testcluster

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"
)

// SandboxImage is the pod sandbox image every node's containerd pins; the
// Makefile builds it from cmd/pause.
const SandboxImage = "nvmf-chaos/pause:3.10"

// writeKubeconfigs writes the admin kubeconfig (certificates embedded, so
// it can be copied elsewhere) and one per component identity.
func writeKubeconfigs(l Layout, nodes []Node) error {
	server := fmt.Sprintf("https://%s:%d", nodes[0].IP, apiPort)
	users := map[string]string{
		"admin":                   l.Kubeconfig(),
		"kube-controller-manager": l.kubeconfigOf("kube-controller-manager"),
		"kube-scheduler":          l.kubeconfigOf("kube-scheduler"),
		"kube-proxy":              l.kubeconfigOf("kube-proxy"),
	}
	for _, n := range nodes {
		users["kubelet-"+n.Name] = l.kubeconfigOf("kubelet-" + n.Name)
	}
	if err := os.MkdirAll(filepath.Dir(l.kubeconfigOf("x")), 0o700); err != nil {
		return fmt.Errorf("creating kubeconfig dir: %w", err)
	}
	for user, path := range users {
		if err := writeKubeconfig(l, server, user, path); err != nil {
			return err
		}
	}
	return nil
}

func writeKubeconfig(l Layout, server, user, path string) error {
	read := func(name string) ([]byte, error) { return os.ReadFile(l.pki(name)) }
	ca, err := read("ca.crt")
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", user, err)
	}
	cert, err := read(user + ".crt")
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", user, err)
	}
	key, err := read(user + ".key")
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", user, err)
	}
	const name = "nvmf-chaos-test"
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: user}
	cfg.CurrentContext = name
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	return os.Chmod(path, 0o600)
}

// writeNodeConfigs writes a node's containerd, CNI, kubelet and kube-proxy
// configuration under its folder.
func writeNodeConfigs(l Layout, n Node) error {
	dir := l.nodeDir(n)
	for _, d := range []string{"containerd", "cni/net.d", "cni/data", "kubelet", "pod-logs", "runc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
	}
	files := map[string]func(Layout, Node) ([]byte, error){
		"containerd/config.toml":      containerdConfig,
		"cni/net.d/10-nck8s.conflist": cniConfig,
		"kubelet/config.yaml":         kubeletConfig,
		"kube-proxy.yaml":             kubeProxyConfig,
	}
	for name, build := range files {
		b, err := build(l, n)
		if err != nil {
			return fmt.Errorf("node %s: %s: %w", n.Name, name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
	}
	return nil
}

// containerdConfig keeps every path private to the node, pins the local
// sandbox image and turns off the plugins that would use fixed host paths
// (NRI's socket, /opt) or need what this machine lacks.
//
// restrict_oom_score_adj: these VMs lack CAP_SYS_RESOURCE, so runc cannot
// lower a sandbox's OOM score below the runtime's own and fails to start it.
func containerdConfig(l Layout, n Node) ([]byte, error) {
	dir := l.nodeDir(n)
	return fmt.Appendf(nil, `version = 3
root = %q
state = %q
disabled_plugins = [
  "io.containerd.nri.v1.nri",
  "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.blockfile",
  "io.containerd.snapshotter.v1.erofs",
  "io.containerd.tracing.processor.v1.otlp",
]

[grpc]
  address = %q

[ttrpc]
  address = %q

[plugins.'io.containerd.cri.v1.runtime']
  enable_selinux = false
  restrict_oom_score_adj = true

  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"

    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = %q
        Root = %q
        SystemdCgroup = false

  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = [%q]
    conf_dir = %q

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"

  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = %q

[plugins.'io.containerd.grpc.v1.cri']
  [plugins.'io.containerd.grpc.v1.cri'.x509_key_pair_streaming]
    tls_cert_file = ""
`,
		filepath.Join(dir, "containerd", "root"), filepath.Join(dir, "containerd", "state"),
		l.containerdSocket(n), l.containerdSocket(n)+".ttrpc",
		l.Bin("runc"), filepath.Join(dir, "runc"),
		cniPluginDir, filepath.Join(dir, "cni", "net.d"), SandboxImage), nil
}

// cniConfig is a bridge network on the node's pod /24. No masquerade: pods
// talk to each other and to the harness with their own addresses, so
// network faults can match on them; the nodes route each other's pod
// networks.
func cniConfig(l Layout, n Node) ([]byte, error) {
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       namePrefix,
		"plugins": []any{
			map[string]any{
				"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
				"ipam": map[string]any{
					"type":    "host-local",
					"dataDir": filepath.Join(l.nodeDir(n), "cni", "data"),
					"ranges":  [][]map[string]string{{{"subnet": n.PodCIDR.String()}}},
					"routes":  []map[string]string{{"dst": "0.0.0.0/0"}},
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	return json.MarshalIndent(conf, "", "  ")
}

// kubeletConfig: cgroupfs on cgroup v1 (1.34 still runs there), pods under
// the node's own cgroup root, logs under the node's folder, eviction and
// image GC set so a busy shared disk never evicts the project's imported
// images, which no registry could bring back.
func kubeletConfig(l Layout, n Node) ([]byte, error) {
	cfg := map[string]any{
		"apiVersion": "kubelet.config.k8s.io/v1beta1",
		"kind":       "KubeletConfiguration",
		"authentication": map[string]any{
			"anonymous": map[string]any{"enabled": false},
			"webhook":   map[string]any{"enabled": true},
			"x509":      map[string]any{"clientCAFile": l.pki("ca.crt")},
		},
		"authorization":               map[string]any{"mode": "Webhook"},
		"address":                     n.IP.String(),
		"healthzBindAddress":          "127.0.0.1",
		"readOnlyPort":                0,
		"cgroupDriver":                "cgroupfs",
		"cgroupRoot":                  n.CgroupRoot(),
		"failCgroupV1":                false,
		"failSwapOn":                  false,
		"containerRuntimeEndpoint":    "unix://" + l.containerdSocket(n),
		"podLogsDir":                  filepath.Join(l.nodeDir(n), "pod-logs"),
		"imageGCHighThresholdPercent": 100,
		"imageGCLowThresholdPercent":  99,
		"evictionHard": map[string]string{
			"memory.available": "100Mi", "nodefs.available": "1%",
			"imagefs.available": "1%", "nodefs.inodesFree": "1%",
		},
		"serializeImagePulls": false,
		"resolvConf":          "/etc/resolv.conf",
	}
	return yaml.Marshal(cfg)
}

// kubeProxyConfig: iptables mode inside the node's namespace, and leaving
// the host's conntrack and localnet sysctls alone.
func kubeProxyConfig(l Layout, n Node) ([]byte, error) {
	cfg := map[string]any{
		"apiVersion":         "kubeproxy.config.k8s.io/v1alpha1",
		"kind":               "KubeProxyConfiguration",
		"clientConnection":   map[string]any{"kubeconfig": l.kubeconfigOf("kube-proxy")},
		"mode":               "iptables",
		"clusterCIDR":        podNet.String(),
		"hostnameOverride":   n.Name,
		"bindAddress":        n.IP.String(),
		"healthzBindAddress": n.IP.String() + ":10256",
		"metricsBindAddress": "127.0.0.1:10249",
		"conntrack": map[string]any{
			"maxPerCore": 0, "min": 0,
			"tcpEstablishedTimeout": "0s", "tcpCloseWaitTimeout": "0s",
		},
		"iptables": map[string]any{"localhostNodePorts": false},
	}
	return yaml.Marshal(cfg)
}
