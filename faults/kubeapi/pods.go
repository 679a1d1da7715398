// Package kubeapi injects faults on Kubernetes through the API alone
// (pods, evictions, exec, node updates): the native engine, which works on
// every cluster with nothing installed.
package kubeapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kptr "k8s.io/utils/ptr"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/internal/poll"
	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
)

// Run is what the faults need from the run they act in.
type Run interface {
	Client() *kube.Client
	Namespace() string
	RunID() string
	// BringBack recreates a scenario node's target pod if it is gone,
	// waits until it is Ready and provisions the node's volumes on it
	// again, as a local restart does.
	BringBack(ctx context.Context, node string) error
}

// pollEvery is how often the faults look at what they changed.
const pollEvery = 100 * time.Millisecond

// Delete deletes a node's target pod: with grace 0 it is process-kill
// (SIGKILL, the pod gone at once), with a grace period process-restart
// (SIGTERM, the target closes its connections). Recover, or Inject itself
// for a restart, brings the pod back.
type Delete struct {
	Run     Run
	Node    string
	Grace   int64
	Restart bool
	uid     string // of the pod Inject deleted
}

var _ faults.Fault = (*Delete)(nil)

func (f *Delete) Available() error { return nil }

func (f *Delete) Describe() string {
	what := "process-kill"
	if f.Restart {
		what = "process-restart"
	}
	return fmt.Sprintf("%s %s (pod %s/%s, grace %ds)", what, f.Node, f.Run.Namespace(), kube.TargetPodName(f.Node), f.Grace)
}

// Inject deletes the pod and returns once the API no longer has it: the
// fault has taken effect.
func (f *Delete) Inject(ctx context.Context) error {
	name := kube.TargetPodName(f.Node)
	var pod corev1.Pod
	if err := f.Run.Client().K.Resources().Get(ctx, name, f.Run.Namespace(), &pod); err != nil {
		return fmt.Errorf("%s: %w", f.Describe(), err)
	}
	f.uid = string(pod.UID)
	err := f.Run.Client().CS.CoreV1().Pods(f.Run.Namespace()).Delete(ctx, name, metav1.DeleteOptions{
		GracePeriodSeconds: kptr.To(f.Grace),
		Preconditions:      &metav1.Preconditions{UID: &pod.UID},
	})
	if err != nil {
		return fmt.Errorf("%s: %w", f.Describe(), err)
	}
	if err := waitPodGone(ctx, f.Run, name, f.uid); err != nil {
		return fmt.Errorf("%s: %w", f.Describe(), err)
	}
	if f.Restart {
		return f.Run.BringBack(ctx, f.Node)
	}
	return nil
}

// Recover brings the pod back unless Inject did (a restart).
func (f *Delete) Recover(ctx context.Context) error {
	if f.Restart {
		return nil
	}
	if f.uid != "" {
		if err := waitPodGone(ctx, f.Run, kube.TargetPodName(f.Node), f.uid); err != nil {
			return fmt.Errorf("%s: %w", f.Describe(), err)
		}
	}
	return f.Run.BringBack(ctx, f.Node)
}

// waitPodGone waits until the pod of that UID no longer exists (a new pod
// of the same name may).
func waitPodGone(ctx context.Context, r Run, name, uid string) error {
	return poll.Until(ctx, fmt.Sprintf("pod %s/%s (uid %s) gone", r.Namespace(), name, uid), func(ctx context.Context) error {
		var pod corev1.Pod
		err := r.Client().K.Resources().Get(ctx, name, r.Namespace(), &pod)
		switch {
		case apierrors.IsNotFound(err), err == nil && string(pod.UID) != uid:
			return nil
		case err != nil:
			return err
		}
		return errors.New("still there")
	}, poll.Every(pollEvery), poll.Within(0))
}

// Pause is process-pause: SIGSTOP of the target process inside its pod,
// SIGCONT on recovery. The pod shares its process namespace, so the
// target is not PID 1 there; `nvmf-chaos signal`, exec'd in the target's
// container, signals it and returns once /proc shows it stopped or
// running: the took-effect check. The pod stays, its TCP connections stay
// up, and the kernel still accepts new ones: a hang, not a crash.
type Pause struct {
	Run  Run
	Node string
}

var _ faults.Fault = (*Pause)(nil)

func (f *Pause) Available() error { return nil }

func (f *Pause) Describe() string {
	return fmt.Sprintf("process-pause %s (pod %s/%s)", f.Node, f.Run.Namespace(), kube.TargetPodName(f.Node))
}

func (f *Pause) Inject(ctx context.Context) error { return f.signal(ctx, "STOP") }

// Recover continues the target; a pod that is gone meanwhile has nothing
// left to continue.
func (f *Pause) Recover(ctx context.Context) error {
	err := f.signal(ctx, "CONT")
	var pod corev1.Pod
	if err != nil && apierrors.IsNotFound(f.Run.Client().K.Resources().Get(ctx, kube.TargetPodName(f.Node), f.Run.Namespace(), &pod)) {
		return nil
	}
	return err
}

func (f *Pause) signal(ctx context.Context, sig string) error {
	_, err := f.Run.Client().Exec(ctx, f.Run.Namespace(), kube.TargetPodName(f.Node), "target", "nvmf-chaos", "signal", sig)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Describe(), err)
	}
	return nil
}
