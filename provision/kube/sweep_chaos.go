package kube

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// chaosResources are the Chaos Mesh resources runs create. The sweep
// reaches them without Chaos Mesh's types (the faults own those) through
// the dynamic client.
var chaosResources = []string{"podchaos", "networkchaos", "stresschaos"}

// chaosGone bounds the wait for chaos-controller-manager to recover a
// deleted object and release its finalizer.
const chaosGone = 30 * time.Second

// SweepChaos deletes a run namespace's Chaos Mesh objects before the
// namespace goes, so the controller undoes their chaos. An object the
// controller does not release in time (it is not running) has its
// finalizers removed: its chaos acted on the run's own pods, which the
// namespace's deletion removes, and otherwise the namespace would hang in
// Terminating forever. It returns a line per thing removed.
func (c *Client) SweepChaos(ctx context.Context, ns string, dryRun bool) ([]string, error) {
	dc, err := dynamic.NewForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, res := range chaosResources {
		ri := dc.Resource(schema.GroupVersionResource{Group: "chaos-mesh.org", Version: "v1alpha1", Resource: res}).Namespace(ns)
		list, err := ri.List(ctx, metav1.ListOptions{})
		if apierrors.IsNotFound(err) || (err == nil && len(list.Items) == 0) {
			continue // Chaos Mesh not installed, or nothing of this kind
		}
		if err != nil {
			return out, fmt.Errorf("namespace %s: listing %s: %w", ns, res, err)
		}
		for _, o := range list.Items {
			out = append(out, fmt.Sprintf("%s %s/%s", res, ns, o.GetName()))
			if dryRun {
				continue
			}
			if err := ri.Delete(ctx, o.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return out, fmt.Errorf("deleting %s %s/%s: %w", res, ns, o.GetName(), err)
			}
			deadline := time.Now().Add(chaosGone)
			for {
				_, err := ri.Get(ctx, o.GetName(), metav1.GetOptions{})
				if apierrors.IsNotFound(err) {
					break
				}
				if time.Now().After(deadline) {
					patch := []byte(`{"metadata":{"finalizers":null}}`)
					if _, err := ri.Patch(ctx, o.GetName(), types.MergePatchType, patch, metav1.PatchOptions{}); err != nil && !apierrors.IsNotFound(err) {
						// Chaos Mesh's admission webhooks (failure policy
						// Fail) refuse every change while its controller
						// is down, this one too.
						return out, fmt.Errorf("%s %s/%s is held by its finalizer and no chaos-controller-manager released it in %s; releasing it failed (%w): start the controller and run cleanup again",
							res, ns, o.GetName(), chaosGone, err)
					}
					out = append(out, fmt.Sprintf("finalizers of %s %s/%s (no controller released them in %s)", res, ns, o.GetName(), chaosGone))
					break
				}
				select {
				case <-ctx.Done():
					return out, ctx.Err()
				case <-time.After(200 * time.Millisecond):
				}
			}
		}
	}
	return out, nil
}
