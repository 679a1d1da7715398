package testcluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Preflight says, in one message, everything Up needs that this machine
// lacks, before anything is started; nil when nothing is missing.
// chaosMesh adds what Options.ChaosMesh needs.
func Preflight(l Layout, images []string, chaosMesh bool) error {
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root (the cluster makes network namespaces, mounts and cgroups)")
	}
	var bins []string
	for _, b := range binaries {
		if _, err := os.Stat(l.Bin(b)); err != nil {
			bins = append(bins, b)
		}
	}
	if len(bins) > 0 {
		missing = append(missing, fmt.Sprintf("%s in %s (build them with scripts/k8s/build.sh; make k8s-up does)",
			strings.Join(bins, ", "), filepath.Join(l.Cache, "bin")))
	}
	if chaosMesh {
		for _, p := range []string{l.Bin(chaosMeshComponent), l.ChaosMeshCRDs()} {
			if _, err := os.Stat(p); err != nil {
				missing = append(missing, p+" (build it with scripts/k8s/build-chaos-mesh.sh; make k8s-up CHAOS_MESH=1 does)")
			}
		}
	}
	tools := map[string]string{
		"ip": "iproute2", "nsenter": "util-linux", "iptables": "iptables",
		"iptables-save": "iptables", "ip6tables": "iptables", "sysctl": "procps",
	}
	var pkgs []string
	for tool, pkg := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			pkgs = append(pkgs, fmt.Sprintf("%s (apt-get install %s)", tool, pkg))
		}
	}
	for _, p := range cniPlugins {
		if _, err := os.Stat(filepath.Join(cniPluginDir, p)); err != nil {
			pkgs = append(pkgs, fmt.Sprintf("CNI plugin %s in %s (apt-get install containernetworking-plugins)", p, cniPluginDir))
		}
	}
	missing = append(missing, pkgs...)
	for _, c := range []string{"cpu", "cpuacct", "cpuset", "memory", "pids", "devices", "freezer"} {
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", c)); err != nil {
			if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err != nil {
				missing = append(missing, "cgroup controller "+c+" (mounted at /sys/fs/cgroup/"+c+")")
			}
		}
	}
	for _, img := range images {
		if _, err := os.Stat(img); err != nil {
			missing = append(missing, "image tarball "+img+" (make image builds it)")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("cannot start the test cluster, missing:\n  - %s", strings.Join(missing, "\n  - "))
	}
	return nil
}
