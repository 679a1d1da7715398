package kube

import (
	"fmt"
	"path"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// Ports of the project's pods.
const (
	DataPort   = 4420 // NVMe/TCP
	RPCPort    = 5260 // SPDK JSON-RPC over TCP
	WorkerPort = 9470 // a worker's control and result endpoint
	// RPCHTTPPort is SPDK's HTTP JSON-RPC proxy port, as the SPDK CSI
	// driver reaches targets (spdk-csi's deploy examples use 9009).
	RPCHTTPPort = 9009
)

// HostDataRoot is where target pods keep their backing files on a node:
// one folder per run, shared by every target pod of the run on that node
// (two controllers of one namespace open the same file).
const HostDataRoot = "/var/lib/nvmf-chaos"

// dataMount is where that folder appears inside target pods.
const dataMount = "/data"

// Images and resources of a run's pods.
type PodSettings struct {
	Image           string
	ImagePullPolicy corev1.PullPolicy
	Resources       corev1.ResourceRequirements
}

// Namespace is the run's namespace.
func Namespace(name, runID string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels(runID, "")}}
}

// BackingFile is a file a target pod's volumes live in, created before the
// target starts.
type BackingFile struct {
	Name string // base name, in the run's data folder
	Size int64
}

// PodPath is where a backing file appears inside the target pod.
func (b BackingFile) PodPath() string { return path.Join(dataMount, b.Name) }

// TargetSpec describes one scenario node's target pod.
type TargetSpec struct {
	Namespace, RunID string
	// Node is the scenario node; the pod is named after it.
	Node string
	// NodeName pins the pod to a cluster node; NodeSelector picks one.
	NodeName     string
	NodeSelector map[string]string
	Pod          PodSettings
	Files        []BackingFile
	// CoLocate puts the pod on the cluster node of the run's other
	// co-located target pods: they share backing files, which live on one
	// machine's filesystem.
	CoLocate bool
	// SPDK, when set, runs SPDK's nvmf_tgt instead of the embedded
	// target, with a relay to its RPC socket.
	SPDK *SPDKTarget
	// RPCSecret, when set, names the Secret (RPCSecret's) whose
	// credentials guard the target's JSON-RPC over HTTP, served on
	// RPCHTTPPort for a storage driver in the cluster.
	RPCSecret string
}

// TargetPodName is the name of a scenario node's target pod.
func TargetPodName(node string) string { return "target-" + node }

// TargetPod runs `nvmf-chaos target` empty, to be provisioned over its
// JSON-RPC, with the run's data folder from the node mounted. An init
// container makes the backing files first: the harness has no filesystem
// on the node. A bare pod rather than a StatefulSet: a fault deletes it
// and the harness, not a controller, decides when it comes back (as it
// restarts a local target), and every incarnation gets provisioned again.
func TargetPod(s TargetSpec) *corev1.Pod {
	data := []corev1.VolumeMount{{Name: "data", MountPath: dataMount}}
	initArgs := []string{"backing", "create"}
	for _, f := range s.Files {
		initArgs = append(initArgs, fmt.Sprintf("%s:%d", f.PodPath(), f.Size))
	}
	target := corev1.Container{
		Name: "target", Image: s.Pod.Image, ImagePullPolicy: s.Pod.ImagePullPolicy,
		Args: []string{"target", "--rpc-socket", fmt.Sprintf("0.0.0.0:%d", RPCPort), "--log-level", "info"},
		Ports: []corev1.ContainerPort{
			{Name: "nvme-tcp", ContainerPort: DataPort},
			{Name: "rpc", ContainerPort: RPCPort},
		},
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(RPCPort)}},
			PeriodSeconds: 1,
		},
		Resources:                s.Pod.Resources,
		VolumeMounts:             data,
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
	if s.RPCSecret != "" {
		withRPCHTTP(&target, s.RPCSecret)
	}
	containers, volumes := []corev1.Container{target}, []corev1.Volume(nil)
	if s.SPDK != nil {
		containers, volumes = spdkContainers(s, data)
	}
	var inits []corev1.Container
	if len(s.Files) > 0 {
		inits = []corev1.Container{{
			Name: "backing", Image: s.Pod.Image, ImagePullPolicy: s.Pod.ImagePullPolicy,
			Args: initArgs, VolumeMounts: data, TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		}}
	}
	l := labels(s.RunID, ComponentTarget, LabelNode, s.Node)
	var affinity *corev1.Affinity
	if s.CoLocate {
		l[LabelCoLocated] = "true"
		// The first such pod matches its own term, so the scheduler
		// places it anywhere; the others follow it, and so does a pod
		// recreated after a fault.
		affinity = &corev1.Affinity{PodAffinity: &corev1.PodAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelRunID: s.RunID, LabelCoLocated: "true"}},
				TopologyKey:   corev1.LabelHostname,
			}},
		}}
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: TargetPodName(s.Node), Namespace: s.Namespace,
			Labels: l,
		},
		Spec: corev1.PodSpec{
			NodeName: s.NodeName, NodeSelector: s.NodeSelector, Affinity: affinity,
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: ptr.To[int64](5),
			// The target is then not PID 1 of its namespace, so a
			// process-pause can stop it: `nvmf-chaos signal STOP`, exec'd
			// in its container, sees it and signals it (PID 1 ignores
			// SIGSTOP from inside its namespace).
			ShareProcessNamespace: ptr.To(true),
			InitContainers:        inits,
			Containers:            containers,
			Volumes: append([]corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{
				Path: path.Join(HostDataRoot, s.RunID), Type: ptr.To(corev1.HostPathDirectoryOrCreate),
			}}}}, volumes...),
		},
	}
}

// TargetService gives a scenario node's target a stable address: the host
// keeps connecting there while the pod behind it is replaced. With
// rpcHTTP it also publishes the target's JSON-RPC over HTTP, for a
// storage driver in the cluster.
func TargetService(namespace, runID, node string, rpcHTTP bool) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: TargetPodName(node), Namespace: namespace, Labels: labels(runID, ComponentTarget, LabelNode, node)},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{LabelRunID: runID, LabelComponent: ComponentTarget, LabelNode: node},
			Ports:    []corev1.ServicePort{{Name: "nvme-tcp", Port: DataPort, TargetPort: intstr.FromInt32(DataPort)}},
			// A failed-over host must reach the new pod, not a stale
			// endpoint: publish only Ready pods (the default) and keep
			// no session affinity.
		},
	}
	if rpcHTTP {
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: "rpc-http", Port: RPCHTTPPort, TargetPort: intstr.FromInt32(RPCHTTPPort)})
	}
	return svc
}

// WorkerSpec describes one workload's worker Job.
type WorkerSpec struct {
	Namespace, RunID string
	Workload         string
	// Spec is the worker's JSON spec (see internal/worker).
	Spec         []byte
	NodeSelector map[string]string
	Pod          PodSettings
	// Deadline bounds the Job's run time.
	Deadline int64
	// Claims are the scenario volumes whose claims' raw devices the
	// worker gets (at ClaimDevicePath); none when it reaches its volume
	// over NVMe/TCP.
	Claims []string
}

// WorkerJobName is the name of a workload's Job.
func WorkerJobName(workload string) string { return "worker-" + workload }

// WorkerJob runs `nvmf-chaos worker`: one pod, never retried (a worker that
// dies is an error of the run, not something to hide by a retry).
func WorkerJob(s WorkerSpec) *batchv1.Job {
	l := labels(s.RunID, ComponentWorker, LabelWorkload, s.Workload)
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: WorkerJobName(s.Workload), Namespace: s.Namespace, Labels: l},
		Spec: batchv1.JobSpec{
			BackoffLimit:          ptr.To[int32](0),
			ActiveDeadlineSeconds: ptr.To(s.Deadline),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: l},
				Spec: corev1.PodSpec{
					RestartPolicy:                 corev1.RestartPolicyNever,
					TerminationGracePeriodSeconds: ptr.To[int64](5),
					NodeSelector:                  s.NodeSelector,
					Containers: []corev1.Container{{
						Name: "worker", Image: s.Pod.Image, ImagePullPolicy: s.Pod.ImagePullPolicy,
						Args:  []string{"worker", "--listen", ":" + strconv.Itoa(WorkerPort)},
						Env:   []corev1.EnvVar{{Name: "NVMF_CHAOS_WORKER_SPEC", Value: string(s.Spec)}},
						Ports: []corev1.ContainerPort{{Name: "control", ContainerPort: WorkerPort}},
						// It listens once its volume is connected: Ready
						// means the harness can talk to it.
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(WorkerPort)}},
							PeriodSeconds: 1,
						},
						Resources: s.Pod.Resources,
						// A worker that fails says why in its status.
						TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
					}},
				},
			},
		},
	}
	withClaims(&job.Spec.Template.Spec, s.Claims)
	return job
}

// JanitorPod removes a run's data folder from one node.
func JanitorPod(namespace, runID, nodeName string, pod PodSettings) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "janitor-" + nodeName, Namespace: namespace, Labels: labels(runID, ComponentJanitor)},
		Spec: corev1.PodSpec{
			NodeName:                      nodeName,
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: ptr.To[int64](1),
			Containers: []corev1.Container{{
				Name: "janitor", Image: pod.Image, ImagePullPolicy: pod.ImagePullPolicy,
				Args:         []string{"backing", "remove", path.Join(dataMount, runID)},
				VolumeMounts: []corev1.VolumeMount{{Name: "root", MountPath: dataMount}},
				Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{
					corev1.ResourceMemory: resource.MustParse("64Mi"),
				}},
			}},
			Volumes: []corev1.Volume{{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{
				Path: HostDataRoot, Type: ptr.To(corev1.HostPathDirectoryOrCreate),
			}}}},
		},
	}
}
