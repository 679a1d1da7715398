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
	if target != targetEmbedded && target != targetExternal {
		v.errorf("cluster.target", "%q: the kubernetes backend runs embedded targets as pods, or uses external ones; spdk is not built yet", target)
	}
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
	case driverExisting:
		v.existingDriver(s)
	case "spdk-csi":
		v.errorf("cluster.kubernetes.driver", "%q: not built yet in this version; use driver: none (volumes over the targets' JSON-RPC)", k.Driver)
	default:
		v.oneOf("cluster.kubernetes.driver", k.Driver, []string{"none", "spdk-csi", "existing"})
	}
}

// driverExisting provisions volumes as claims of a StorageClass the user
// names: the storage system behind it, not the run, serves them.
const driverExisting = "existing"

// storageClassOnly says whether the run's volumes are claims of an
// existing StorageClass, so it starts no targets and has no nodes.
func (c *Cluster) storageClassOnly() bool {
	return c.Backend == backendKubernetes && c.Kubernetes != nil && c.Kubernetes.Driver == driverExisting
}

// existingDriver refuses what has no meaning when the storage class's own
// system serves the volumes: targets, nodes, per-node volume settings and
// faults on targets the run does not start.
func (v *validator) existingDriver(s *Scenario) {
	const why = "driver: existing: the storage class's own system serves the volumes and the run starts no targets"
	c := &s.Cluster
	if sc := c.Kubernetes.StorageClass; sc == "" {
		v.errorf("cluster.kubernetes.storage_class", "required with driver: existing: the StorageClass volumes are claimed from")
	} else {
		for _, msg := range validation.IsDNS1123Subdomain(sc) {
			v.errorf("cluster.kubernetes.storage_class", "%q: %s", sc, msg)
		}
	}
	if c.Target != "" {
		v.errorf("cluster.target", "%q: %s; remove target", c.Target, why)
	}
	if len(c.Nodes) > 0 {
		v.errorf("cluster.nodes", "%s; remove nodes", why)
	}
	for i, vol := range s.Volumes {
		f := fmt.Sprintf("volumes[%d]", i)
		for field, set := range map[string]bool{"nodes": len(vol.Nodes) > 0, "ana": len(vol.ANA) > 0, "backing": vol.Backing != "", "shared": vol.Shared != nil} {
			if set {
				v.errorf(f+"."+field, "%s, which decides this; remove %s", why, field)
			}
		}
	}
	for i, f := range s.Timeline.Faults {
		switch {
		case f.Kind != string(catalog.DriverKill):
			v.errorf(faultField(i, "kind"), "%s: %s, so only driver-kill (the storage driver's pods) applies", f.Kind, why)
		case f.Node != "":
			v.errorf(faultField(i, "node"), "%s; driver-kill names the driver's pods with params.namespace and params.selector", why)
		}
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
	external := cmp.Or(s.Cluster.Target, targetEmbedded) == targetExternal
	for i, f := range s.Timeline.Faults {
		cfg := v.faults[i]
		if cfg.Spec == nil {
			continue // named by the timeline's checks
		}
		if engine, err := cfg.KubeEngine(f.Engine); err == nil {
			v.fits(i, cfg, catalog.Where{Kube: true, External: external, Engine: engine})
		}
	}
}

func faultField(i int, f string) string {
	return fmt.Sprintf("timeline.faults[%d].%s", i, f)
}
