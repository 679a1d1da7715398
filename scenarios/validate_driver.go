package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/nvmf-chaos/nvmf-chaos/faults/catalog"
)

// Kubernetes storage drivers besides none (volumes over the targets'
// JSON-RPC, as locally).
const (
	// driverExisting provisions volumes as claims of a StorageClass the
	// user names: the storage system behind it, not the run, serves them.
	driverExisting = "existing"
	// driverSPDKCSI deploys the SPDK CSI driver for the run, provisioning
	// on the run's own target pods through their HTTP JSON-RPC, and
	// claims the volumes from its StorageClass.
	driverSPDKCSI = "spdk-csi"
)

// storageClassOnly says whether the run's volumes are claims of an
// existing StorageClass, so it starts no targets and has no nodes.
func (c *Cluster) storageClassOnly() bool {
	return c.Backend == backendKubernetes && c.Kubernetes != nil && c.Kubernetes.Driver == driverExisting
}

// volumesClaimed says whether the run's volumes are claims a storage
// driver provisions, which then decides where they live.
func (c *Cluster) volumesClaimed() bool {
	if c.Backend != backendKubernetes || c.Kubernetes == nil {
		return false
	}
	return c.Kubernetes.Driver == driverExisting || c.Kubernetes.Driver == driverSPDKCSI
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
	v.driverPlacesVolumes(s, why)
	for i, f := range s.Timeline.Faults {
		switch {
		case f.Kind != string(catalog.DriverKill):
			v.errorf(faultField(i, "kind"), "%s: %s, so only driver-kill (the storage driver's pods) applies", f.Kind, why)
		case f.Node != "":
			v.errorf(faultField(i, "node"), "%s; driver-kill names the driver's pods with params.namespace and params.selector", why)
		}
	}
	if c.Kubernetes.DriverImages != nil {
		v.errorf("cluster.kubernetes.driver_images", "only used with driver: spdk-csi")
	}
}

// spdkCSIDriver refuses what the SPDK CSI driver decides itself (where
// each volume lives, in an lvol of which target's lvstore) or cannot do
// on targets the run does not run.
func (v *validator) spdkCSIDriver(s *Scenario) {
	const why = "driver: spdk-csi: the SPDK CSI driver places each volume on a target of its choice"
	c := &s.Cluster
	if c.Kubernetes.StorageClass != "" {
		v.errorf("cluster.kubernetes.storage_class", "the run creates the SPDK CSI driver's StorageClass; remove storage_class, or use driver: existing to claim from a class of yours")
	}
	if t := c.Target; t != "" && t != targetEmbedded {
		v.errorf("cluster.target", "%q: driver: spdk-csi provisions on the run's embedded target pods, through their HTTP JSON-RPC", t)
	}
	v.driverPlacesVolumes(s, why)
	for i, f := range s.Timeline.Faults {
		spec, err := catalog.ParseKind(f.Kind)
		switch {
		case err != nil:
		case spec.PerVolume():
			v.errorf(faultField(i, "kind"), "%s acts on a volume's subsystem over RPC; %s, and the run does not know its subsystems: use a fault on the node", f.Kind, why)
		case spec.Kind == catalog.DriverKill:
			// Its preflight looks for the driver's pods before the run
			// has deployed them.
			v.errorf(faultField(i, "kind"), "driver-kill of the driver the run deploys is not supported yet: its pods do not exist at the preflight; use driver: existing with a driver you run")
		}
	}
}

// driverPlacesVolumes refuses per-volume placement: with a storage driver
// the driver, not the scenario, decides where a volume lives.
func (v *validator) driverPlacesVolumes(s *Scenario, why string) {
	for i, vol := range s.Volumes {
		f := fmt.Sprintf("volumes[%d]", i)
		for field, set := range map[string]bool{"nodes": len(vol.Nodes) > 0, "ana": len(vol.ANA) > 0, "backing": vol.Backing != "", "shared": vol.Shared != nil} {
			if set {
				v.errorf(f+"."+field, "%s, which decides this; remove %s", why, field)
			}
		}
	}
}

// kubeSPDK checks an SPDK target on Kubernetes: nvmf_tgt from the image
// the scenario names, in place of the embedded target.
func (v *validator) kubeSPDK(c *Cluster, target string) {
	var sp *KubeSPDK
	if c.Kubernetes != nil {
		sp = c.Kubernetes.SPDK
	}
	switch {
	case target != targetSPDK:
		if sp != nil {
			v.errorf("cluster.kubernetes.spdk", "only used with target: spdk (target is %s)", target)
		}
		return
	case sp == nil || sp.Image == "":
		v.errorf("cluster.kubernetes.spdk.image", "required with target: spdk on kubernetes: the image holding SPDK's nvmf_tgt")
	}
	if c.SPDKBin != "" {
		v.errorf("cluster.spdk_bin", "%q: on kubernetes nvmf_tgt comes from cluster.kubernetes.spdk.image; remove spdk_bin", c.SPDKBin)
	}
	if sp == nil {
		return
	}
	if sp.Hugepages != "" {
		if q, err := resource.ParseQuantity(sp.Hugepages); err != nil || q.Sign() <= 0 {
			v.errorf("cluster.kubernetes.spdk.hugepages", "%q: want a positive quantity of 2 MiB hugepage memory (\"1Gi\")", sp.Hugepages)
		}
	} else if len(sp.Args) > 0 && !slices.Contains(sp.Args, "--no-huge") {
		v.errorf("cluster.kubernetes.spdk.args", "no hugepages given: add --no-huge (and -s MiB), or set hugepages")
	}
	if slices.Contains(sp.Args, "-r") || slices.ContainsFunc(sp.Args, func(a string) bool { return strings.HasPrefix(a, "--rpc-socket") }) {
		v.errorf("cluster.kubernetes.spdk.args", "the pod sets the RPC socket (-r) its relay reaches; remove it")
	}
}
