package kube

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// AnnotationHarness names the harness that owns a run's namespace as
// "HOST/PID", so cleanup can leave a live run alone.
const AnnotationHarness = "nvmf-chaos.io/harness"

// HarnessID is this process as AnnotationHarness names it.
func HarnessID() string {
	host, _ := os.Hostname()
	return host + "/" + strconv.Itoa(os.Getpid())
}

// harnessAlive reports whether the annotated harness runs on this machine
// still; a harness on another machine counts as alive (it cannot be
// checked from here).
func harnessAlive(id string) bool {
	host, pidStr, ok := strings.Cut(id, "/")
	me, _ := os.Hostname()
	pid, err := strconv.Atoi(pidStr)
	if !ok || err != nil || pid <= 0 {
		return false
	}
	if host != me {
		return true
	}
	return syscall.Kill(pid, 0) == nil || errors.Is(syscall.Kill(pid, 0), syscall.EPERM)
}

// SweepOptions say what Sweep removes.
type SweepOptions struct {
	// RunID limits the sweep to one run; every run's when empty.
	RunID string
	// IncludeLive also removes runs whose harness still runs here, and
	// runs of harnesses on other machines.
	IncludeLive bool
	DryRun      bool
}

// Sweep removes what runs left in the cluster: for each run namespace
// (labelled managed-by=nvmf-chaos), a janitor pod on each node its targets
// ran on deletes their data folder, then the namespace goes. It returns a
// line per thing removed (or that would be, on a dry run).
func (c *Client) Sweep(ctx context.Context, o SweepOptions) ([]string, error) {
	var nss corev1.NamespaceList
	if err := c.K.Resources().List(ctx, &nss, func(lo *metav1.ListOptions) { lo.LabelSelector = RunSelector(o.RunID) }); err != nil {
		return nil, fmt.Errorf("listing run namespaces on %s: %w", c.Source, err)
	}
	var out []string
	var errs []error
	kept := map[string]bool{}
	for _, ns := range nss.Items {
		if h := ns.Annotations[AnnotationHarness]; h != "" && !o.IncludeLive && harnessAlive(h) {
			out = append(out, fmt.Sprintf("kept namespace %s: its harness %s is running (--include-live removes it)", ns.Name, h))
			kept[ns.Labels[LabelRunID]] = true
			continue
		}
		found, err := c.sweepNamespace(ctx, ns, o.DryRun)
		out = append(out, found...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	found, err := c.sweepClusterLeftovers(ctx, o, kept)
	return append(out, found...), errors.Join(append(errs, err)...)
}

// sweepClusterLeftovers removes the cluster-wide objects of every run
// swept (or whose namespace is already gone), but not of kept runs.
func (c *Client) sweepClusterLeftovers(ctx context.Context, o SweepOptions, kept map[string]bool) ([]string, error) {
	runs := map[string]bool{}
	if o.RunID != "" {
		runs[o.RunID] = true
	}
	for _, k := range clusterScoped {
		list := k.list()
		if err := c.K.Resources().List(ctx, list, func(lo *metav1.ListOptions) { lo.LabelSelector = RunSelector(o.RunID) }); err != nil {
			return nil, fmt.Errorf("listing %ss on %s: %w", k.kind, c.Source, err)
		}
		items, _ := meta.ExtractList(list)
		for _, it := range items {
			if id := it.(client.Object).GetLabels()[LabelRunID]; id != "" {
				runs[id] = true
			}
		}
	}
	var out []string
	var errs []error
	for id := range runs {
		if kept[id] {
			continue
		}
		found, err := c.SweepClusterScoped(ctx, id, o.DryRun)
		out = append(out, found...)
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

func (c *Client) sweepNamespace(ctx context.Context, ns corev1.Namespace, dryRun bool) ([]string, error) {
	runID := ns.Labels[LabelRunID]
	var pods corev1.PodList
	if err := c.K.Resources(ns.Name).List(ctx, &pods, func(lo *metav1.ListOptions) {
		lo.LabelSelector = LabelComponent + "=" + ComponentTarget
	}); err != nil {
		return nil, fmt.Errorf("namespace %s: %w", ns.Name, err)
	}
	nodes := map[string]PodSettings{}
	for _, p := range pods.Items {
		if p.Spec.NodeName != "" && len(p.Spec.Containers) > 0 {
			ct := p.Spec.Containers[0]
			nodes[p.Spec.NodeName] = PodSettings{Image: ct.Image, ImagePullPolicy: ct.ImagePullPolicy}
		}
	}
	var out []string
	var errs []error
	for node, ps := range nodes {
		out = append(out, fmt.Sprintf("data folder %s/%s on node %s", HostDataRoot, runID, node))
		if dryRun || runID == "" {
			continue
		}
		if err := c.RunJanitor(ctx, ns.Name, runID, node, ps); err != nil {
			errs = append(errs, err)
		}
	}
	chaos, err := c.SweepChaos(ctx, ns.Name, dryRun)
	out = append(out, chaos...)
	errs = append(errs, err)
	if runID != "" {
		cordons, err := c.Uncordon(ctx, runID, dryRun)
		out = append(out, cordons...)
		errs = append(errs, err)
	}
	out = append(out, "namespace "+ns.Name)
	if !dryRun {
		if err := c.K.Resources().Delete(ctx, &ns); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting namespace %s: %w", ns.Name, err))
		}
	}
	pvs, err := c.SweepVolumes(ctx, ns.Name, dryRun)
	out = append(out, pvs...)
	return out, errors.Join(append(errs, err)...)
}

// RunJanitor removes a run's data folder on one node and waits for it;
// a failed janitor says why.
func (c *Client) RunJanitor(ctx context.Context, ns, runID, node string, ps PodSettings) error {
	pod := JanitorPod(ns, runID, node, ps)
	_ = c.K.Resources().Delete(ctx, pod) // a janitor of an earlier sweep
	if err := c.K.Resources().Create(ctx, pod); err != nil {
		return fmt.Errorf("janitor on %s: %w", node, err)
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		var p corev1.Pod
		if err := c.K.Resources().Get(ctx, pod.Name, ns, &p); err == nil {
			switch p.Status.Phase {
			case corev1.PodSucceeded:
				return nil
			case corev1.PodFailed:
				return fmt.Errorf("janitor on %s failed: %s %s", node, p.Status.Reason, p.Status.Message)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("janitor on %s: %w", node, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("janitor on %s did not finish within a minute", node)
}
