package kubeapi

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/internal/poll"
	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
)

// Drain is node-drain: cordon the cluster node the scenario node's target
// pod runs on, and evict the run's target pods there, as `kubectl drain`
// does (through the Eviction API, so PodDisruptionBudgets are honoured).
// The run's worker pods stay: they are the instrument, not the subject.
// Recovery uncordons the node and brings the evicted targets back.
type Drain struct {
	Run  Run
	Node string

	clusterNode string
	cordoned    bool
	evicted     []string // scenario nodes whose target pods were evicted
}

var _ faults.Fault = (*Drain)(nil)

func (f *Drain) Available() error { return nil }

func (f *Drain) Describe() string {
	on := f.clusterNode
	if on == "" {
		on = "its cluster node"
	}
	return fmt.Sprintf("node-drain %s (%s)", f.Node, on)
}

// Inject cordons and evicts, and returns once the evicted pods are gone.
func (f *Drain) Inject(ctx context.Context) error {
	c := f.Run.Client()
	var pod corev1.Pod
	if err := c.K.Resources().Get(ctx, kube.TargetPodName(f.Node), f.Run.Namespace(), &pod); err != nil {
		return fmt.Errorf("%s: %w", f.Describe(), err)
	}
	f.clusterNode = pod.Spec.NodeName
	if err := f.cordon(ctx, true); err != nil {
		return err
	}
	var pods corev1.PodList
	err := c.K.Resources(f.Run.Namespace()).List(ctx, &pods, func(o *metav1.ListOptions) {
		o.LabelSelector = kube.RunSelector(f.Run.RunID()) + "," + kube.LabelComponent + "=" + kube.ComponentTarget
		o.FieldSelector = "spec.nodeName=" + f.clusterNode
	})
	if err != nil {
		return fmt.Errorf("%s: listing its target pods: %w", f.Describe(), err)
	}
	for _, p := range pods.Items {
		ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace}}
		if err := c.CS.CoreV1().Pods(p.Namespace).EvictV1(ctx, ev); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("%s: evicting %s: %w", f.Describe(), p.Name, err)
		}
		f.evicted = append(f.evicted, p.Labels[kube.LabelNode])
	}
	for _, p := range pods.Items {
		if err := waitPodGone(ctx, f.Run, p.Name, string(p.UID)); err != nil {
			return fmt.Errorf("%s: %w", f.Describe(), err)
		}
	}
	return nil
}

// Recover uncordons the node (if this fault cordoned it) and brings every
// evicted target back.
func (f *Drain) Recover(ctx context.Context) error {
	if err := f.cordon(ctx, false); err != nil {
		return err
	}
	slices.Sort(f.evicted)
	for _, n := range f.evicted {
		if err := f.Run.BringBack(ctx, n); err != nil {
			return fmt.Errorf("%s: %w", f.Describe(), err)
		}
	}
	f.evicted = nil
	return nil
}

// cordon marks the node unschedulable with the run's annotation, or
// clears both if the annotation is the run's. A node already cordoned by
// someone else is left as it was, and not uncordoned after.
func (f *Drain) cordon(ctx context.Context, on bool) error {
	if f.clusterNode == "" || (!on && !f.cordoned) {
		return nil
	}
	nodes := f.Run.Client().CS.CoreV1().Nodes()
	n, err := nodes.Get(ctx, f.clusterNode, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("%s: %w", f.Describe(), err)
	}
	if on && n.Spec.Unschedulable {
		return nil // already cordoned, not by us: leave it to its owner
	}
	if err := f.Run.Client().Cordon(ctx, f.clusterNode, f.Run.RunID(), n.ResourceVersion, on); err != nil {
		return fmt.Errorf("%s: %w", f.Describe(), err)
	}
	f.cordoned = on
	return nil
}

// DriverKill deletes the storage driver's pods (by label, in their
// namespace); their controllers (Deployment, DaemonSet) bring them back.
// Recover waits until as many matching pods are Ready again, all new.
type DriverKill struct {
	Client    *kube.Client
	Namespace string
	Selector  string
	// Timeout bounds the wait for the driver to come back.
	Timeout time.Duration

	killed map[types.UID]bool
}

var _ faults.Fault = (*DriverKill)(nil)

func (f *DriverKill) Available() error { return nil }

func (f *DriverKill) Describe() string {
	return fmt.Sprintf("driver-kill (pods %q in %s)", f.Selector, f.Namespace)
}

// Inject deletes every matching pod and returns once they are gone; no
// matching pod is an error naming the selector: the driver is not there.
func (f *DriverKill) Inject(ctx context.Context) error {
	pods, err := f.Client.CS.CoreV1().Pods(f.Namespace).List(ctx, metav1.ListOptions{LabelSelector: f.Selector})
	if err != nil {
		return fmt.Errorf("%s: %w", f.Describe(), err)
	}
	if len(pods.Items) == 0 {
		return fmt.Errorf("%s: no pod matches: is the driver deployed there? (params.namespace, params.selector)", f.Describe())
	}
	f.killed = map[types.UID]bool{}
	var names []string
	for _, p := range pods.Items {
		uid := p.UID
		err := f.Client.CS.CoreV1().Pods(f.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("%s: deleting %s: %w", f.Describe(), p.Name, err)
		}
		f.killed[uid] = true
		names = append(names, p.Name)
	}
	return f.waitFor(ctx, "the deleted pods gone ("+strings.Join(names, ", ")+")", func(ps []corev1.Pod) bool {
		return !slices.ContainsFunc(ps, func(p corev1.Pod) bool { return f.killed[p.UID] })
	})
}

// Recover waits until the controllers have replaced every deleted pod
// with a Ready one.
func (f *DriverKill) Recover(ctx context.Context) error {
	if len(f.killed) == 0 {
		return nil
	}
	want := len(f.killed)
	return f.waitFor(ctx, fmt.Sprintf("%d new Ready pods", want), func(ps []corev1.Pod) bool {
		ready := 0
		for _, p := range ps {
			if !f.killed[p.UID] && p.DeletionTimestamp == nil && podReady(&p) {
				ready++
			}
		}
		return ready >= want
	})
}

func (f *DriverKill) waitFor(ctx context.Context, what string, ok func([]corev1.Pod) bool) error {
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	return poll.Until(ctx, f.Describe()+": "+what, func(ctx context.Context) error {
		pods, err := f.Client.CS.CoreV1().Pods(f.Namespace).List(ctx, metav1.ListOptions{LabelSelector: f.Selector})
		if err != nil {
			return err
		}
		if !ok(pods.Items) {
			return fmt.Errorf("%d matching pods, not yet", len(pods.Items))
		}
		return nil
	}, poll.Every(pollEvery), poll.Within(timeout))
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
