//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
)

// container runs the nvmf-chaos image with args; never pulled, since the
// test cluster has no registry and the image is imported into it.
func container(name string, args ...string) corev1.Container {
	return corev1.Container{Name: name, Image: image, Args: args, ImagePullPolicy: corev1.PullIfNotPresent}
}

func podOf(ns, name string, labels map[string]string, c corev1.Container) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: ptr.To[int64](1),
			Containers:                    []corev1.Container{c},
		},
	}
}

func jobOf(ns, name string, c corev1.Container) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr.To[int32](0),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"job": name}},
				Spec: corev1.PodSpec{
					RestartPolicy:                 corev1.RestartPolicyNever,
					TerminationGracePeriodSeconds: ptr.To[int64](1),
					Containers:                    []corev1.Container{c},
				},
			},
		},
	}
}

// targetPod serves a malloc namespace over NVMe/TCP on port 4420, Ready
// once the port accepts connections.
func targetPod(ns, name, nqn string) *corev1.Pod {
	c := container("target", "target", "--listen", "0.0.0.0:4420", "--nqn", nqn, "--malloc", "64MiB", "--log-level", "warn")
	c.Ports = []corev1.ContainerPort{{Name: "nvme-tcp", ContainerPort: 4420}}
	c.ReadinessProbe = &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(4420)}},
		PeriodSeconds: 1,
	}
	return podOf(ns, name, map[string]string{"app": name}, c)
}

func serviceOf(ns, name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: "nvme-tcp", Port: 4420, TargetPort: intstr.FromInt32(4420)}},
		},
	}
}

// clientset is a typed client for what klient lacks (pod logs).
func clientset(cfg *envconf.Config) (*kubernetes.Clientset, error) {
	return kubernetes.NewForConfig(cfg.Client().RESTConfig())
}

// jobPodLogs returns the logs of the (only) pod of a Job.
func jobPodLogs(ctx context.Context, cfg *envconf.Config, ns, job string) (string, error) {
	cs, err := clientset(cfg)
	if err != nil {
		return "", err
	}
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "job-name=" + job})
	if err != nil {
		return "", fmt.Errorf("listing pods of job %s: %w", job, err)
	}
	if len(pods.Items) != 1 {
		return "", fmt.Errorf("job %s has %d pods, want 1", job, len(pods.Items))
	}
	return podLogs(ctx, cs, ns, pods.Items[0].Name)
}

func podLogs(ctx context.Context, cs kubernetes.Interface, ns, pod string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rc, err := cs.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{}).Stream(ctx)
	if err != nil {
		return "", fmt.Errorf("logs of pod %s: %w", pod, err)
	}
	defer rc.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, rc); err != nil {
		return "", fmt.Errorf("logs of pod %s: %w", pod, err)
	}
	return b.String(), nil
}
