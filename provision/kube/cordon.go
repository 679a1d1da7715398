package kube

import (
	"context"
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// AnnotationCordonedBy is put by a node-drain fault on the node it
// cordoned: the run's id. Recovery, or a sweep after a crash, uncordons
// only nodes carrying it, never one an operator cordoned.
const AnnotationCordonedBy = "nvmf-chaos.io/cordoned-by"

// Cordon marks a node unschedulable with the run's annotation (on), or
// clears both (off). The resourceVersion makes it fail rather than race
// with another writer of the node.
func (c *Client) Cordon(ctx context.Context, node, runID, resourceVersion string, on bool) error {
	var ann any
	if on {
		ann = runID
	}
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"resourceVersion": resourceVersion, "annotations": map[string]any{AnnotationCordonedBy: ann}},
		"spec":     map[string]any{"unschedulable": on},
	})
	if err != nil {
		return err
	}
	if _, err := c.CS.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("node %s: cordon=%v: %w", node, on, err)
	}
	return nil
}

// Uncordon clears the cordon of every node a run (every run when runID is
// empty) left cordoned, and returns a line per node.
func (c *Client) Uncordon(ctx context.Context, runID string, dryRun bool) ([]string, error) {
	list, err := c.CS.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	var out []string
	for _, n := range list.Items {
		by, ok := n.Annotations[AnnotationCordonedBy]
		if !ok || (runID != "" && by != runID) {
			continue
		}
		out = append(out, fmt.Sprintf("cordon of node %s (run %s)", n.Name, by))
		if dryRun {
			continue
		}
		if err := c.Cordon(ctx, n.Name, by, n.ResourceVersion, false); err != nil {
			return out, err
		}
	}
	return out, nil
}
