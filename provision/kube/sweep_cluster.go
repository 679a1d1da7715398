package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// clusterScoped are the kinds of cluster-wide objects a run may create (a
// storage driver's RBAC, StorageClass and CSIDriver), listed so that
// whatever references another goes first.
var clusterScoped = []struct {
	kind string
	list func() client.ObjectList
}{
	{"storageclass", func() client.ObjectList { return &storagev1.StorageClassList{} }},
	{"clusterrolebinding", func() client.ObjectList { return &rbacv1.ClusterRoleBindingList{} }},
	{"clusterrole", func() client.ObjectList { return &rbacv1.ClusterRoleList{} }},
	{"csidriver", func() client.ObjectList { return &storagev1.CSIDriverList{} }},
}

// SweepClusterScoped deletes the cluster-wide objects carrying a run's id:
// a namespace's deletion does not reach them. It returns a line per
// object removed (or that would be, on a dry run).
func (c *Client) SweepClusterScoped(ctx context.Context, runID string, dryRun bool) ([]string, error) {
	if runID == "" {
		return nil, errors.New("sweeping cluster-scoped objects: no run id")
	}
	var out []string
	var errs []error
	for _, k := range clusterScoped {
		list := k.list()
		if err := c.K.Resources().List(ctx, list, func(o *metav1.ListOptions) { o.LabelSelector = RunSelector(runID) }); err != nil {
			errs = append(errs, fmt.Errorf("listing %ss of run %s: %w", k.kind, runID, err))
			continue
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, it := range items {
			o := it.(client.Object)
			out = append(out, k.kind+" "+o.GetName())
			if dryRun {
				continue
			}
			if err := c.K.Resources().Delete(ctx, o); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("deleting %s %s: %w", k.kind, o.GetName(), err))
			}
		}
	}
	return out, errors.Join(errs...)
}

// SweepVolumes deletes the PersistentVolumes that were bound to claims in
// namespace ns and outlived it: dynamically provisioned ones whose driver
// went with the namespace before it could delete them. Their data lived
// in the run's targets, which are gone too. Only volumes of the classes
// runs create (named nvmf-chaos-…) go: a claim of the user's own class
// (driver: existing) leaves its volume to that class's reclaim policy.
func (c *Client) SweepVolumes(ctx context.Context, ns string, dryRun bool) ([]string, error) {
	var pvs corev1.PersistentVolumeList
	if err := c.K.Resources().List(ctx, &pvs); err != nil {
		return nil, fmt.Errorf("listing persistent volumes: %w", err)
	}
	var out []string
	var errs []error
	for i := range pvs.Items {
		pv := &pvs.Items[i]
		if ref := pv.Spec.ClaimRef; ref == nil || ref.Namespace != ns || !strings.HasPrefix(pv.Spec.StorageClassName, "nvmf-chaos-") {
			continue
		}
		out = append(out, "persistentvolume "+pv.Name)
		if dryRun {
			continue
		}
		if err := c.K.Resources().Delete(ctx, pv); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting persistent volume %s: %w", pv.Name, err))
		}
	}
	return out, errors.Join(errs...)
}
