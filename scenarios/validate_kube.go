package scenarios

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/nvmf-chaos/nvmf-chaos/faults/catalog"
)

const backendKubernetes = "kubernetes"

// kubernetes checks the kubernetes backend's settings, and refuses what
// it cannot run yet, before anything is created.
func (v *validator) kubernetes(s *Scenario) {
	c := &s.Cluster
	k := c.Kubernetes
	if c.Backend != backendKubernetes {
		if k != nil {
			v.errorf("cluster.kubernetes", "only used with backend: kubernetes (backend is %s)", cmp.Or(c.Backend, "local"))
		}
		return
	}
	target := cmp.Or(c.Target, targetEmbedded)
	v.kubeSPDK(c, target)
	if c.Restart != "" && c.Restart != "never" {
		v.errorf("cluster.restart", "%q: not supported on kubernetes: the harness brings target pods back after faults", c.Restart)
	}
	for i, f := range s.Timeline.Faults {
		spec, err := catalog.ParseKind(f.Kind)
		if err != nil {
			continue // named by the timeline's checks
		}
		engine, err := spec.KubeEngine(f.Engine)
		if err != nil {
			field := "engine"
			if f.Engine == "" {
				field = "kind"
			}
			v.errorf(faultField(i, field), "%v", err)
		}
		if err == nil && target == targetExternal && engine != catalog.EngineRPC && !spec.OnCluster {
			v.errorf(faultField(i, "kind"), "%s acts on a target pod, and external targets run outside the cluster: use the RPC faults (ana-change, listener-remove, bdev-delay, bdev-error) or driver-kill", spec.Kind)
		}
	}
	if k == nil {
		return
	}
	if k.Namespace != "" {
		for _, msg := range validation.IsDNS1123Label(k.Namespace) {
			v.errorf("cluster.kubernetes.namespace", "%q: %s", k.Namespace, msg)
		}
	}
	nodes := map[string]bool{}
	for _, n := range c.Nodes {
		nodes[n] = true
	}
	for _, n := range slices.Sorted(maps.Keys(k.Nodes)) {
		f := "cluster.kubernetes.nodes." + n
		if !nodes[n] {
			v.errorf(f, "node %q is not in cluster.nodes", n)
		}
		if err := checkNodeRef(k.Nodes[n]); err != "" {
			v.errorf(f, "%q: %s", k.Nodes[n], err)
		}
	}
	v.oneOf("cluster.kubernetes.image_pull_policy", k.ImagePullPolicy, []string{"Always", "IfNotPresent", "Never"})
	for field, q := range map[string]string{"cpu": k.CPU, "memory": k.Memory} {
		if _, err := resource.ParseQuantity(q); q != "" && err != nil {
			v.errorf("cluster.kubernetes."+field, "%q: %v", q, err)
		}
	}
	switch k.Driver {
	case "", "none":
		if k.StorageClass != "" {
			v.errorf("cluster.kubernetes.storage_class", "only used with driver: existing")
		}
		if k.DriverImages != nil {
			v.errorf("cluster.kubernetes.driver_images", "only used with driver: spdk-csi")
		}
	case driverExisting:
		v.existingDriver(s)
	case driverSPDKCSI:
		v.spdkCSIDriver(s)
	default:
		v.oneOf("cluster.kubernetes.driver", k.Driver, []string{"none", "spdk-csi", "existing"})
	}
}

// checkNodeRef checks a cluster node reference: a node name or a label
// selector of key=value terms.
func checkNodeRef(ref string) string {
	if !strings.Contains(ref, "=") {
		if msgs := validation.IsDNS1123Subdomain(ref); len(msgs) > 0 {
			return "not a node name (" + msgs[0] + ") nor a key=value label selector"
		}
		return ""
	}
	if _, err := labels.Parse(ref); err != nil {
		return "bad label selector: " + err.Error()
	}
	return ""
}

// kubeFaultsFit refuses, once the timeline's params are parsed, a use of
// a kind its Kubernetes engine cannot make with them.
func (v *validator) kubeFaultsFit(s *Scenario) {
	target := cmp.Or(s.Cluster.Target, targetEmbedded)
	for i, f := range s.Timeline.Faults {
		cfg := v.faults[i]
		if cfg.Spec == nil {
			continue // named by the timeline's checks
		}
		if engine, err := cfg.KubeEngine(f.Engine); err == nil {
			v.fits(i, cfg, catalog.Where{Kube: true, External: target == targetExternal, SPDK: target == targetSPDK, Engine: engine})
		}
	}
}

func faultField(i int, f string) string {
	return fmt.Sprintf("timeline.faults[%d].%s", i, f)
}
