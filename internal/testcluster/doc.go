// Package testcluster runs a real Kubernetes cluster on one machine for the
// project's end-to-end tests: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, and per node a containerd, kubelet and kube-proxy, all
// built from source by scripts/k8s/build.sh into a cache outside the
// repository.
//
// Each node is a network namespace on one bridge, and every address the
// cluster uses (nodes, pods, services) lies in 198.19.128.0/17, the upper
// half of the 198.18.0.0/15 benchmarking range the project keeps to. The
// control plane runs in the first node's namespace. Nothing is pulled: the
// images pods run are tarballs imported into each node's containerd.
// With Options.ChaosMesh, Chaos Mesh's CRDs, webhooks and
// chaos-controller-manager (built by scripts/k8s/build-chaos-mesh.sh) run
// there too, the controller as one more host process.
//
// Up records the machine's state before it starts anything and Down
// removes every process, mount, cgroup, link, namespace, file and sysctl
// change of the cluster, then compares the machine with that record, so a
// teardown that leaves something behind fails loudly. Down works on a
// half-started cluster and after kill -9 of whatever started it.
package testcluster
