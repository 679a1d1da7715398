package scenarios

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"time"

	authv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
)

// claimedVolumes says whether the run's volumes are claims of a
// StorageClass, which workers reach as raw devices through the node's
// kernel, rather than namespaces provisioned over the targets' RPC.
func (k *kubeBackend) claimedVolumes() bool {
	return k.cfg.Driver == driverExisting || k.cfg.Driver == driverSPDKCSI
}

// storageClass is the class the run's claims name: the user's, or the
// one the run makes for the SPDK CSI driver.
func (k *kubeBackend) storageClass() string {
	if k.cfg.Driver == driverSPDKCSI {
		return k.driverConfig().StorageClassName()
	}
	return k.cfg.StorageClass
}

// claimAccess is what claiming volumes adds to the run's permissions.
func (k *kubeBackend) claimAccess() []authv1.ResourceAttributes {
	if !k.claimedVolumes() {
		return nil
	}
	return []authv1.ResourceAttributes{
		{Verb: "create", Resource: "persistentvolumeclaims"}, {Verb: "get", Resource: "persistentvolumeclaims"},
		{Verb: "list", Resource: "events"},
		{Verb: "get", Group: "storage.k8s.io", Resource: "storageclasses"},
	}
}

// claimSpec is a scenario volume's claim.
func (k *kubeBackend) claimSpec(v Volume) kube.ClaimSpec {
	return kube.ClaimSpec{Namespace: k.ns, RunID: k.r.opts.RunID, Volume: v.Name, StorageClass: k.storageClass(), Size: int64(v.Size)}
}

// createClaims makes a PersistentVolumeClaim per scenario volume. They
// bind when the class's provisioner answers, or, with
// WaitForFirstConsumer, once a worker pod using them is scheduled, so the
// run waits on the workers, not here.
func (k *kubeBackend) createClaims(ctx context.Context) error {
	for _, v := range k.r.s.Volumes {
		c := kube.Claim(k.claimSpec(v))
		if err := k.c.K.Resources().Create(ctx, c); err != nil {
			return fmt.Errorf("volume %s: creating claim %s/%s: %w", v.Name, k.ns, c.Name, err)
		}
		k.r.logf("volume %s: claim %s/%s of storage class %s, %d bytes, volumeMode Block", v.Name, k.ns, c.Name, k.storageClass(), int64(v.Size))
	}
	return nil
}

// checkStorageClass makes sure the class exists before anything is made,
// and says how its volumes bind.
func (k *kubeBackend) checkStorageClass(ctx context.Context) error {
	if k.cfg.Driver != driverExisting {
		return nil
	}
	var sc storagev1.StorageClass
	err := k.c.K.Resources().Get(ctx, k.cfg.StorageClass, "", &sc)
	switch {
	case apierrors.IsNotFound(err):
		var list storagev1.StorageClassList
		_ = k.c.K.Resources().List(ctx, &list)
		var names []string
		for _, s := range list.Items {
			names = append(names, s.Name)
		}
		return fmt.Errorf("cluster.kubernetes.storage_class: %q does not exist on %s (classes there: %v)", k.cfg.StorageClass, k.c.Source, names)
	case err != nil:
		return fmt.Errorf("cluster.kubernetes.storage_class %q: %w", k.cfg.StorageClass, err)
	}
	mode := storagev1.VolumeBindingImmediate
	if sc.VolumeBindingMode != nil {
		mode = *sc.VolumeBindingMode
	}
	k.r.logf("kubernetes: storage class %s, provisioner %s, binding %s", sc.Name, sc.Provisioner, mode)
	return nil
}

// claimTarget is where a worker finds a claimed volume: its raw device,
// through the fio-style file engine, with O_DIRECT unless the workload
// says direct=0.
func claimTarget(volume string) string {
	return (&url.URL{Scheme: "file", Path: kube.ClaimDevicePath(volume)}).String()
}

// workerClaims are the claims a workload's pod mounts.
func (k *kubeBackend) workerClaims(w Workload) []string {
	if !k.claimedVolumes() {
		return nil
	}
	return []string{w.Volume}
}

// pendingClaims explains a worker pod stuck in Pending by its claims: a
// claim that does not bind (no provisioner, no matching volume, too big)
// is the usual reason, and the pod's own status only says "unbound".
func (k *kubeBackend) pendingClaims(ctx context.Context) string {
	if !k.claimedVolumes() {
		return ""
	}
	var out []string
	for _, v := range k.r.s.Volumes {
		var c corev1.PersistentVolumeClaim
		if err := k.c.K.Resources().Get(ctx, kube.ClaimName(v.Name), k.ns, &c); err != nil || c.Status.Phase == corev1.ClaimBound {
			continue
		}
		why := string(c.Status.Phase)
		var evs corev1.EventList
		sel := func(o *metav1.ListOptions) { o.FieldSelector = "involvedObject.name=" + c.Name }
		if err := k.c.K.Resources(k.ns).List(ctx, &evs, sel); err == nil && len(evs.Items) > 0 {
			last := slices.MaxFunc(evs.Items, func(a, b corev1.Event) int { return a.LastTimestamp.Compare(b.LastTimestamp.Time) })
			why += ": " + last.Reason + " " + last.Message
		}
		out = append(out, fmt.Sprintf("claim %s %s", c.Name, why))
	}
	if len(out) == 0 {
		return ""
	}
	return fmt.Sprint(out)
}

// claimWait bounds how long a worker may wait for its claim to bind and
// its device to be staged: a real provisioner creates a volume, and a CSI
// node plugin connects and maps it, before the pod starts.
const claimWait = 5 * time.Minute
