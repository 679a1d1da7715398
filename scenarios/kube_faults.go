package scenarios

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kptr "k8s.io/utils/ptr"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
)

// dataAddr is where hosts reach a node's listener: its Service, which
// follows the target pod through every restart.
func (k *kubeBackend) dataAddr(node string) string {
	if t := k.targets[node]; t != nil {
		return net.JoinHostPort(t.svcIP, strconv.Itoa(kube.DataPort))
	}
	return ""
}

// podFault is a process fault on a node's target pod, through the API.
func (k *kubeBackend) podFault(kind faults.Kind, n *runNode) (faults.Fault, error) {
	switch kind {
	case faults.ProcessKill:
		return &podDelete{k: k, n: n, grace: 0}, nil
	case faults.ProcessRestart:
		return &podDelete{k: k, n: n, grace: 5, restart: true}, nil
	}
	return nil, fmt.Errorf("%s has no Kubernetes engine yet", kind)
}

// podDelete deletes a node's target pod: with grace 0 it is process-kill
// (SIGKILL, the pod gone at once), with a grace period process-restart
// (SIGTERM, the target closes its connections). Recover, or Inject itself
// for a restart, creates the pod again, waits until it is Ready and
// provisions the node's volumes on it, as a local restart does.
type podDelete struct {
	k       *kubeBackend
	n       *runNode
	grace   int64
	restart bool
	uid     string // of the pod Inject deleted
}

var _ faults.Fault = (*podDelete)(nil)

func (f *podDelete) Available() error { return nil }

func (f *podDelete) Describe() string {
	what := "process-kill"
	if f.restart {
		what = "process-restart"
	}
	return fmt.Sprintf("%s %s (pod %s/%s, grace %ds)", what, f.n.name, f.k.ns, kube.TargetPodName(f.n.name), f.grace)
}

// Inject deletes the pod and returns once the API no longer has it: the
// fault has taken effect.
func (f *podDelete) Inject(ctx context.Context) error {
	name := kube.TargetPodName(f.n.name)
	var pod corev1.Pod
	if err := f.k.c.K.Resources().Get(ctx, name, f.k.ns, &pod); err != nil {
		return fmt.Errorf("%s: %w", f.Describe(), err)
	}
	f.uid = string(pod.UID)
	err := f.k.c.CS.CoreV1().Pods(f.k.ns).Delete(ctx, name, metav1.DeleteOptions{
		GracePeriodSeconds: kptr.To(f.grace),
		Preconditions:      &metav1.Preconditions{UID: &pod.UID},
	})
	if err != nil {
		return fmt.Errorf("%s: %w", f.Describe(), err)
	}
	if err := f.waitGone(ctx); err != nil {
		return err
	}
	if f.restart {
		return f.bringBack(ctx)
	}
	return nil
}

// Recover creates the pod again unless it already runs (a restart, or a
// Recover after a failed Inject).
func (f *podDelete) Recover(ctx context.Context) error {
	if f.restart {
		return nil
	}
	return f.bringBack(ctx)
}

func (f *podDelete) waitGone(ctx context.Context) error {
	name := kube.TargetPodName(f.n.name)
	for {
		var pod corev1.Pod
		err := f.k.c.K.Resources().Get(ctx, name, f.k.ns, &pod)
		if apierrors.IsNotFound(err) || (err == nil && string(pod.UID) != f.uid) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: pod still there: %w", f.Describe(), ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// bringBack recreates the pod from the node's spec, reconnects the
// harness and provisions the node's volumes again.
func (f *podDelete) bringBack(ctx context.Context) error {
	if err := f.waitGone(ctx); err != nil {
		return err
	}
	var pod corev1.Pod
	err := f.k.c.K.Resources().Get(ctx, kube.TargetPodName(f.n.name), f.k.ns, &pod)
	if apierrors.IsNotFound(err) {
		if err := f.k.c.K.Resources().Create(ctx, kube.TargetPod(f.k.targets[f.n.name].spec)); err != nil {
			return fmt.Errorf("%s: recreating the pod: %w", f.Describe(), err)
		}
	} else if err != nil {
		return fmt.Errorf("%s: %w", f.Describe(), err)
	}
	f.n.startMu.Lock()
	defer f.n.startMu.Unlock()
	if err := f.k.bringUp(ctx, f.n); err != nil {
		return err
	}
	f.n.mu.Lock()
	re := f.n.reprovision
	f.n.mu.Unlock()
	if re != nil {
		if err := re(ctx); err != nil {
			return fmt.Errorf("node %s: re-provision after restart: %w", f.n.name, err)
		}
	}
	return nil
}
