package chaosmesh

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
)

// ControllerLease is the Lease chaos-controller-manager renews while it
// leads (controller-runtime leader election, ID "chaos-mesh", in the
// namespace Chaos Mesh is installed in).
const ControllerLease = "chaos-mesh"

// leaseFresh is how recently a Lease that states no duration must have
// been renewed for the controller to count as running (Chaos Mesh's
// default lease lasts 15 s, renewed every 2 s).
const leaseFresh = 15 * time.Second

// Needs is what a kind's Chaos Mesh objects need of the cluster beyond
// the controller: the kind declares it beside the object it builds.
type Needs struct {
	// Resource is the CRD the objects are (podchaos, networkchaos…),
	// for the preflight and the permission check.
	Resource string
	// Daemon: chaos-daemon acts in the pod's namespaces (everything but
	// the controller's own pod deletes and image swaps).
	Daemon bool
	// Netem: chaos-daemon injects with the netem qdisc.
	Netem bool
	// Machine: chaosd on the cluster node acts on its processes, through
	// a registered PhysicalMachine.
	Machine bool
}

// Use is a kind a run injects through Chaos Mesh, with its needs.
type Use struct {
	Kind faults.Kind
	Needs
}

// Preflight checks, before anything is created, that the cluster can run
// these kinds through Chaos Mesh: its CRDs installed, its controller
// leading, chaos-daemon running where a kind needs it. The error names
// what is missing and how to get it.
func Preflight(ctx context.Context, cs kubernetes.Interface, uses []Use) error {
	if len(uses) == 0 {
		return nil
	}
	gv := v1alpha1.SchemeGroupVersion.String()
	list, err := cs.Discovery().ServerResourcesForGroupVersion(gv)
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("chaos-mesh engine: the cluster has no %s API: %w (install Chaos Mesh: https://chaos-mesh.org/docs/production-installation-using-helm/, or make k8s-up CHAOS_MESH=1 on the test cluster; or use engine: native where the kind has one)", gv, ErrNotInstalled)
	}
	if err != nil {
		return fmt.Errorf("chaos-mesh engine: discovering %s: %w", gv, err)
	}
	var missing []string
	for _, u := range uses {
		res := u.Resource
		if !slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == res }) && !slices.Contains(missing, res) {
			missing = append(missing, res)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("chaos-mesh engine: the cluster's Chaos Mesh lacks %s: %w (install its CRDs)", strings.Join(missing, ", "), ErrNotInstalled)
	}
	if err := controllerRunning(ctx, cs); err != nil {
		return err
	}
	for _, u := range uses {
		if u.Daemon {
			if err := daemonRunning(ctx, cs, u); err != nil {
				return err
			}
		}
		if u.Machine {
			if err := machinesRegistered(ctx, cs, u.Kind); err != nil {
				return err
			}
		}
	}
	return nil
}

// machinesRegistered wants at least one PhysicalMachine (a node's chaosd
// registered with Chaos Mesh); which node's is looked up at inject.
func machinesRegistered(ctx context.Context, cs kubernetes.Interface, kind faults.Kind) error {
	var list v1alpha1.PhysicalMachineList
	raw, err := cs.Discovery().RESTClient().Get().AbsPath("/apis/chaos-mesh.org/v1alpha1/physicalmachines").DoRaw(ctx)
	if err == nil {
		err = json.Unmarshal(raw, &list)
	}
	if err != nil {
		return fmt.Errorf("chaos-mesh engine: %s runs through chaosd on the node: listing PhysicalMachines: %w", kind, err)
	}
	if len(list.Items) == 0 {
		return fmt.Errorf("chaos-mesh engine: %s runs through chaosd on the node, and no PhysicalMachine is registered: run chaosd on the nodes and register each as a PhysicalMachine named after its node (or labelled kubernetes.io/hostname=NODE)", kind)
	}
	return nil
}

// Machine finds the PhysicalMachine of a cluster node: named after it, or
// labelled kubernetes.io/hostname=node. It returns namespace/name.
func Machine(ctx context.Context, c client.Client, node string) (string, error) {
	var list v1alpha1.PhysicalMachineList
	if err := c.List(ctx, &list); err != nil {
		return "", fmt.Errorf("listing PhysicalMachines: %w", err)
	}
	for _, m := range list.Items {
		if m.Name == node || m.Labels["kubernetes.io/hostname"] == node {
			return m.Namespace + "/" + m.Name, nil
		}
	}
	return "", fmt.Errorf("no PhysicalMachine for node %s (named after it or labelled kubernetes.io/hostname=%s)", node, node)
}

func controllerRunning(ctx context.Context, cs kubernetes.Interface) error {
	leases, err := cs.CoordinationV1().Leases("").List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + ControllerLease})
	if err != nil {
		return fmt.Errorf("chaos-mesh engine: checking that chaos-controller-manager runs (Lease %s): %w", ControllerLease, err)
	}
	for _, l := range leases.Items {
		// A stopped controller leaves its holder in the Lease: only a
		// renewal within the lease's own duration counts.
		fresh := leaseFresh
		if d := l.Spec.LeaseDurationSeconds; d != nil && *d > 0 {
			fresh = time.Duration(*d) * time.Second
		}
		if l.Spec.RenewTime != nil && time.Since(l.Spec.RenewTime.Time) < fresh && l.Spec.HolderIdentity != nil {
			return nil
		}
	}
	return fmt.Errorf("chaos-mesh engine: chaos-controller-manager is not running: no Lease %q renewed within its duration in any namespace (start it, or use engine: native where the kind has one)", ControllerLease)
}

// daemonRunning looks for a chaos-daemon pod as Chaos Mesh's chart labels
// it.
func daemonRunning(ctx context.Context, cs kubernetes.Interface, u Use) error {
	pods, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=chaos-daemon"})
	if err != nil {
		return fmt.Errorf("chaos-mesh engine: checking for chaos-daemon (%s needs it): %w", u.Kind, err)
	}
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodRunning {
			return nil // netem, where needed, shows only when it injects
		}
	}
	hint := ""
	if u.Netem {
		hint = "; it also needs the netem qdisc in the nodes' kernels"
	}
	return fmt.Errorf("chaos-mesh engine: %s runs through chaos-daemon, and no chaos-daemon pod runs (app.kubernetes.io/component=chaos-daemon)%s; the project's test cluster cannot run chaos-daemon (its helpers nsexec, toda and tproxy are not Go)", u.Kind, hint)
}
