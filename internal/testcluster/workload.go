package testcluster

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// waitWorkload waits until every node is Ready and the default service
// account exists, then runs a probe pod on each node to completion: the
// cluster is up when a pod has actually run, not when nodes say Ready.
func waitWorkload(ctx context.Context, o Options, st *State) error {
	cs, err := Client(o.Layout)
	if err != nil {
		return err
	}
	for _, n := range st.Nodes {
		p := st.proc("kubelet-" + n.Name)
		err := waitHealthy(ctx, "node "+n.Name+" Ready", p, 2*time.Minute, func(ctx context.Context) error {
			return nodeReady(ctx, cs, n.Name)
		})
		if err != nil {
			return failure(o.Layout, "kubelet-"+n.Name, err)
		}
	}
	err = waitHealthy(ctx, "default service account", st.proc("kube-controller-manager"), time.Minute, func(ctx context.Context) error {
		_, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err
	})
	if err != nil {
		return failure(o.Layout, "kube-controller-manager", err)
	}
	if o.ProbeImage == "" {
		return nil
	}
	for _, n := range st.Nodes {
		t0 := time.Now()
		if err := runProbe(ctx, cs, o, n); err != nil {
			return failure(o.Layout, "kubelet-"+n.Name, err)
		}
		fmt.Fprintf(o.Out, "  probe pod ran on %s in %.1f s\n", n.Name, time.Since(t0).Seconds())
	}
	return nil
}

func nodeReady(ctx context.Context, cs kubernetes.Interface, name string) error {
	node, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			if c.Status == corev1.ConditionTrue {
				return nil
			}
			return fmt.Errorf("node %s not Ready: %s: %s", name, c.Reason, c.Message)
		}
	}
	return fmt.Errorf("node %s has no Ready condition yet", name)
}

// runProbe runs ProbeImage on node n and waits for it to succeed.
func runProbe(ctx context.Context, cs kubernetes.Interface, o Options, n Node) error {
	pods := cs.CoreV1().Pods("default")
	name := "nck8s-probe-" + n.Name
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app.kubernetes.io/managed-by": "nvmf-chaos-testcluster"}},
		Spec: corev1.PodSpec{
			NodeName:                      n.Name,
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: ptr.To[int64](0),
			Containers: []corev1.Container{{
				Name: "probe", Image: o.ProbeImage, Args: o.ProbeArgs, ImagePullPolicy: corev1.PullNever,
			}},
		},
	}
	_ = pods.Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
	if _, err := pods.Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating probe pod: %w", err)
	}
	defer func() {
		_ = pods.Delete(context.WithoutCancel(ctx), name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
	}()
	return waitHealthy(ctx, "probe pod on "+n.Name, nil, 2*time.Minute, func(ctx context.Context) error {
		p, err := pods.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		switch p.Status.Phase {
		case corev1.PodSucceeded:
			return nil
		case corev1.PodFailed:
			return fmt.Errorf("probe pod failed: %s", podReason(p))
		}
		return fmt.Errorf("probe pod %s: %s", p.Status.Phase, podReason(p))
	})
}

// podReason summarises why a pod is where it is, from its containers'
// states and its conditions.
func podReason(p *corev1.Pod) string {
	for _, c := range p.Status.ContainerStatuses {
		if w := c.State.Waiting; w != nil {
			return w.Reason + ": " + w.Message
		}
		if t := c.State.Terminated; t != nil {
			return fmt.Sprintf("exit %d (%s): %s", t.ExitCode, t.Reason, t.Message)
		}
	}
	for _, c := range p.Status.Conditions {
		if c.Status != corev1.ConditionTrue && c.Message != "" {
			return c.Message
		}
	}
	return "no status yet"
}

// deleteAllPods asks the API to delete every pod at once and waits up to
// timeout for them to go, so the kubelets tear sandboxes down themselves.
// Errors are ignored: Down kills whatever is left anyway.
func deleteAllPods(ctx context.Context, l Layout, timeout time.Duration) {
	cs, err := Client(l)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	nss, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	for _, ns := range nss.Items {
		_ = cs.CoreV1().Pods(ns.Name).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}, metav1.ListOptions{})
	}
	for ctx.Err() == nil {
		list, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
		if err != nil || len(list.Items) == 0 || apierrors.IsNotFound(err) {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}
