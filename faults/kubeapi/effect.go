package kubeapi

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/internal/poll"
	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
)

// Every native fault checks, from the API, that it took effect.
var (
	_ faults.EffectChecker = (*Delete)(nil)
	_ faults.EffectChecker = (*Pause)(nil)
	_ faults.EffectChecker = (*Drain)(nil)
	_ faults.EffectChecker = (*DriverKill)(nil)
)

// effectEvery is how often a check asks the API server again.
const effectEvery = 100 * time.Millisecond

func untilEffect(ctx context.Context, what string, cond poll.Condition) error {
	return poll.Until(ctx, what, cond, poll.Every(effectEvery), poll.Within(0))
}

// TookEffect confirms the deleted pod is gone: for a kill, no pod of that
// UID; for a restart, a new incarnation in its place.
func (f *Delete) TookEffect(ctx context.Context) error {
	name := kube.TargetPodName(f.Node)
	return untilEffect(ctx, f.Describe()+": pod "+f.uid+" gone", func(ctx context.Context) error {
		var pod corev1.Pod
		err := f.Run.Client().K.Resources().Get(ctx, name, f.Run.Namespace(), &pod)
		switch {
		case apierrors.IsNotFound(err):
			if f.Restart {
				return fmt.Errorf("no pod %s came back", name)
			}
			return nil
		case err != nil:
			return err
		case string(pod.UID) == f.uid:
			return fmt.Errorf("pod %s (uid %s) still there", name, f.uid)
		}
		return nil
	})
}

// TookEffect confirms, inside the pod, that the target process is
// stopped.
func (f *Pause) TookEffect(ctx context.Context) error {
	return untilEffect(ctx, f.Describe()+": target stopped", func(ctx context.Context) error {
		_, err := f.Run.Client().Exec(ctx, f.Run.Namespace(), kube.TargetPodName(f.Node), "target", "nvmf-chaos", "signal", "STOPPED")
		return err
	})
}

// TookEffect confirms the node is cordoned by this run and holds none of
// the run's target pods.
func (f *Drain) TookEffect(ctx context.Context) error {
	c := f.Run.Client()
	return untilEffect(ctx, f.Describe()+": cordoned and empty", func(ctx context.Context) error {
		n, err := c.CS.CoreV1().Nodes().Get(ctx, f.clusterNode, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !n.Spec.Unschedulable {
			return fmt.Errorf("node %s is schedulable", f.clusterNode)
		}
		var pods corev1.PodList
		err = c.K.Resources(f.Run.Namespace()).List(ctx, &pods, func(o *metav1.ListOptions) {
			o.LabelSelector = kube.RunSelector(f.Run.RunID()) + "," + kube.LabelComponent + "=" + kube.ComponentTarget
			o.FieldSelector = "spec.nodeName=" + f.clusterNode
		})
		if err != nil {
			return err
		}
		if len(pods.Items) > 0 {
			return fmt.Errorf("target pod %s still on node %s", pods.Items[0].Name, f.clusterNode)
		}
		return nil
	})
}

// TookEffect confirms none of the deleted driver pods exists.
func (f *DriverKill) TookEffect(ctx context.Context) error {
	return untilEffect(ctx, f.Describe()+": the deleted pods gone", func(ctx context.Context) error {
		pods, err := f.Client.CS.CoreV1().Pods(f.Namespace).List(ctx, metav1.ListOptions{LabelSelector: f.Selector})
		if err != nil {
			return err
		}
		for _, p := range pods.Items {
			if f.killed[p.UID] {
				return fmt.Errorf("pod %s still there", p.Name)
			}
		}
		return nil
	})
}
