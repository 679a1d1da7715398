package kube

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// SPDKTarget runs SPDK's nvmf_tgt from an image the user names, in place
// of the embedded target.
type SPDKTarget struct {
	Image string
	// Command starts nvmf_tgt in the image; Args are its arguments, to
	// which the pod adds -r (the RPC socket the relay reaches).
	Command, Args []string
	// Hugepages is the 2 MiB hugepage memory the target gets (a resource
	// the nodes must offer); nil runs it on ordinary memory, which needs
	// --no-huge in Args.
	Hugepages *resource.Quantity
	// Privileged runs the container privileged, as SPDK's own Kubernetes
	// examples do (hugepages, device access).
	Privileged bool
}

// spdkSocketDir holds nvmf_tgt's RPC socket, shared with the relay.
const spdkSocketDir = "/var/tmp/spdk"

// spdkContainers are an SPDK target pod's containers: nvmf_tgt, named
// "target" as the embedded target is (the faults and Chaos Mesh find it
// so), and the relay that carries the harness's TCP RPC to its unix
// socket. The relay listens only once the socket answers, so its port's
// readiness is the target's.
func spdkContainers(s TargetSpec, data []corev1.VolumeMount) ([]corev1.Container, []corev1.Volume) {
	sp := s.SPDK
	sock := spdkSocketDir + "/spdk.sock"
	mounts := append(slices.Clone(data), corev1.VolumeMount{Name: "spdk-rpc", MountPath: spdkSocketDir})
	volumes := []corev1.Volume{{Name: "spdk-rpc", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	target := corev1.Container{
		Name: "target", Image: sp.Image, ImagePullPolicy: s.Pod.ImagePullPolicy,
		Command: sp.Command, Args: append(slices.Clone(sp.Args), "-r", sock),
		Ports:                    []corev1.ContainerPort{{Name: "nvme-tcp", ContainerPort: DataPort}},
		Resources:                *s.Pod.Resources.DeepCopy(),
		VolumeMounts:             mounts,
		SecurityContext:          &corev1.SecurityContext{Privileged: ptr.To(sp.Privileged)},
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
	if sp.Hugepages != nil {
		q := *sp.Hugepages
		r := &target.Resources
		if r.Limits == nil {
			r.Limits, r.Requests = corev1.ResourceList{}, corev1.ResourceList{}
		}
		r.Limits[corev1.ResourceHugePagesPrefix+"2Mi"], r.Requests[corev1.ResourceHugePagesPrefix+"2Mi"] = q, q
		if _, ok := r.Limits[corev1.ResourceMemory]; !ok {
			// Kubernetes takes hugepages only beside a memory or CPU
			// request; SPDK's own use beyond them is small.
			m := resource.MustParse("256Mi")
			r.Limits[corev1.ResourceMemory], r.Requests[corev1.ResourceMemory] = m, m
		}
		target.VolumeMounts = append(target.VolumeMounts, corev1.VolumeMount{Name: "hugepages", MountPath: "/dev/hugepages"})
		volumes = append(volumes, corev1.Volume{Name: "hugepages", VolumeSource: corev1.VolumeSource{
			EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumHugePages}}})
	}
	relay := corev1.Container{
		Name: "rpc-relay", Image: s.Pod.Image, ImagePullPolicy: s.Pod.ImagePullPolicy,
		Args:  []string{"rpc-relay", "--unix", sock, "--listen", fmt.Sprintf("0.0.0.0:%d", RPCPort)},
		Ports: []corev1.ContainerPort{{Name: "rpc", ContainerPort: RPCPort}},
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(RPCPort)}},
			PeriodSeconds: 1,
		},
		VolumeMounts:             []corev1.VolumeMount{{Name: "spdk-rpc", MountPath: spdkSocketDir}},
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
	return []corev1.Container{target, relay}, volumes
}
