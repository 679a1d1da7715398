package testcluster

import (
	"fmt"
	"path/filepath"
)

// controlPlane lists the control plane's components in start order, all in
// the first node's namespace.
func controlPlane(l Layout, cp Node) []component {
	pki := l.pki
	ip := cp.IP.String()
	return []component{
		{
			name: "etcd", netns: cp.Netns, bin: l.Bin("etcd"),
			args: []string{
				"--name=nck8s", "--data-dir=" + filepath.Join(l.Dir, "etcd"),
				"--listen-client-urls=http://127.0.0.1:2379,http://" + ip + ":2379",
				"--advertise-client-urls=http://" + ip + ":2379",
				"--listen-peer-urls=http://127.0.0.1:2380",
				"--initial-advertise-peer-urls=http://127.0.0.1:2380",
				"--initial-cluster=nck8s=http://127.0.0.1:2380",
				// A throwaway cluster on a shared disk: fsync latency would
				// only slow every API write, and nothing must survive a crash.
				"--unsafe-no-fsync",
				"--log-level=warn",
			},
		},
		{
			name: "kube-apiserver", netns: cp.Netns, bin: l.Bin("kube-apiserver"),
			args: []string{
				fmt.Sprintf("--etcd-servers=http://127.0.0.1:%d", etcdPort),
				"--advertise-address=" + ip,
				fmt.Sprintf("--secure-port=%d", apiPort),
				"--service-cluster-ip-range=" + serviceNet.String(),
				"--client-ca-file=" + pki("ca.crt"),
				"--tls-cert-file=" + pki("apiserver.crt"), "--tls-private-key-file=" + pki("apiserver.key"),
				"--kubelet-client-certificate=" + pki("apiserver-kubelet-client.crt"),
				"--kubelet-client-key=" + pki("apiserver-kubelet-client.key"),
				// The node name does not resolve; without this kubectl logs
				// and exec would dial whatever the resolver says.
				"--kubelet-preferred-address-types=InternalIP,Hostname",
				"--service-account-key-file=" + pki("sa.pub"),
				"--service-account-signing-key-file=" + pki("sa.key"),
				"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
				"--authorization-mode=Node,RBAC",
				"--enable-admission-plugins=NodeRestriction",
				// SPDK target pods run privileged.
				"--allow-privileged=true",
				"--profiling=false",
			},
		},
		{
			name: "kube-controller-manager", netns: cp.Netns, bin: l.Bin("kube-controller-manager"),
			args: []string{
				"--kubeconfig=" + l.kubeconfigOf("kube-controller-manager"),
				"--authentication-kubeconfig=" + l.kubeconfigOf("kube-controller-manager"),
				"--authorization-kubeconfig=" + l.kubeconfigOf("kube-controller-manager"),
				"--bind-address=" + ip,
				"--leader-elect=false",
				"--use-service-account-credentials=true",
				"--service-account-private-key-file=" + pki("sa.key"),
				"--root-ca-file=" + pki("ca.crt"),
				"--cluster-signing-cert-file=" + pki("ca.crt"),
				"--cluster-signing-key-file=" + pki("ca.key"),
				"--service-cluster-ip-range=" + serviceNet.String(),
				"--profiling=false",
			},
		},
		{
			name: "kube-scheduler", netns: cp.Netns, bin: l.Bin("kube-scheduler"),
			args: []string{
				"--kubeconfig=" + l.kubeconfigOf("kube-scheduler"),
				"--authentication-kubeconfig=" + l.kubeconfigOf("kube-scheduler"),
				"--authorization-kubeconfig=" + l.kubeconfigOf("kube-scheduler"),
				"--bind-address=" + ip,
				"--leader-elect=false",
				"--profiling=false",
			},
		},
	}
}

func containerdOf(l Layout, n Node) component {
	return component{
		name: "containerd-" + n.Name, netns: n.Netns, bin: l.Bin("containerd"),
		args: []string{"--config=" + filepath.Join(l.nodeDir(n), "containerd", "config.toml")},
	}
}

func kubeletOf(l Layout, n Node) component {
	return component{
		name: "kubelet-" + n.Name, netns: n.Netns, bin: l.Bin("kubelet"),
		args: []string{
			"--config=" + filepath.Join(l.nodeDir(n), "kubelet", "config.yaml"),
			"--kubeconfig=" + l.kubeconfigOf("kubelet-"+n.Name),
			"--hostname-override=" + n.Name,
			"--node-ip=" + n.IP.String(),
			"--root-dir=" + filepath.Join(l.nodeDir(n), "kubelet", "root"),
		},
	}
}

func kubeProxyOf(l Layout, n Node) component {
	return component{
		name: "kube-proxy-" + n.Name, netns: n.Netns, bin: l.Bin("kube-proxy"),
		args: []string{"--config=" + filepath.Join(l.nodeDir(n), "kube-proxy.yaml")},
	}
}
