package spdkcsi

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The driver's sockets and the kubelet's plugin paths, as upstream's.
const (
	controllerSocket = "unix:///csi/csi-provisioner.sock"
	nodeSocket       = "unix:///csi/csi.sock"
	kubeletPlugins   = "/var/lib/kubelet/plugins"
)

var nodeIDEnv = corev1.EnvVar{Name: "NODE_ID", ValueFrom: &corev1.EnvVarSource{
	FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"},
}}

// controller is the spdkcsi-controller StatefulSet: the provisioner
// sidecar and the driver in controller mode, sharing the CSI socket.
func (c Config) controller() *appsv1.StatefulSet {
	labels := map[string]string{"app": "spdkcsi-controller"}
	sock := corev1.VolumeMount{Name: "socket-dir", MountPath: "/csi"}
	m := c.meta("spdkcsi-controller")
	return &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: m,
		Spec: appsv1.StatefulSetSpec{
			ServiceName: "spdkcsi-controller",
			Replicas:    ptr.To[int32](1),
			Selector:    &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: merge(labels, m.Labels)},
				Spec: corev1.PodSpec{
					ServiceAccountName: saName("controller"),
					Containers: []corev1.Container{
						{
							Name: "spdkcsi-provisioner", Image: c.Images.Provisioner, ImagePullPolicy: c.pullPolicy(),
							Args:         []string{"--v=5", "--csi-address=" + controllerSocket, "--timeout=30s", "--retry-interval-start=500ms", "--leader-election=true"},
							VolumeMounts: []corev1.VolumeMount{sock},
						},
						{
							Name: "spdkcsi-controller", Image: c.Images.Driver, ImagePullPolicy: c.pullPolicy(),
							Args:         []string{"--v=5", "--endpoint=" + controllerSocket, "--nodeid=$(NODE_ID)", "--controller"},
							Env:          []corev1.EnvVar{nodeIDEnv},
							VolumeMounts: []corev1.VolumeMount{sock, {Name: "spdkcsi-config", MountPath: "/etc/spdkcsi-config/", ReadOnly: true}},
						},
					},
					Volumes: []corev1.Volume{
						{Name: "socket-dir", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}},
						{Name: "spdkcsi-config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: "spdkcsi-cm"}}}},
					},
				},
			},
		},
	}
}

// node is the spdkcsi-node DaemonSet: the registrar and the privileged
// driver in node mode, which connects the kernel's NVMe/TCP host to the
// targets and stages the volumes.
func (c Config) node() *appsv1.DaemonSet {
	labels := map[string]string{"app": "spdkcsi-node"}
	m := c.meta("spdkcsi-node")
	hostDir := func(name, path string, t corev1.HostPathType) corev1.Volume {
		return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path, Type: ptr.To(t)}}}
	}
	bidi := ptr.To(corev1.MountPropagationBidirectional)
	return &appsv1.DaemonSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: m,
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: merge(labels, m.Labels)},
				Spec: corev1.PodSpec{
					ServiceAccountName: saName("node"),
					HostNetwork:        true,
					Containers: []corev1.Container{
						{
							Name: "spdkcsi-registrar", Image: c.Images.Registrar, ImagePullPolicy: c.pullPolicy(),
							Args: []string{"--v=5", "--csi-address=" + nodeSocket,
								"--kubelet-registration-path=" + kubeletPlugins + "/" + DriverName + "/csi.sock"},
							VolumeMounts: []corev1.VolumeMount{{Name: "socket-dir", MountPath: "/csi"}, {Name: "registration-dir", MountPath: "/registration"}},
						},
						{
							Name: "spdkcsi-node", Image: c.Images.Driver, ImagePullPolicy: c.pullPolicy(),
							SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true), AllowPrivilegeEscalation: ptr.To(true),
								Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN", "SYS_MODULE"}}},
							Args: []string{"--v=5", "--endpoint=" + nodeSocket, "--nodeid=$(NODE_ID)", "--node"},
							Env:  []corev1.EnvVar{nodeIDEnv},
							VolumeMounts: []corev1.VolumeMount{
								{Name: "socket-dir", MountPath: "/csi"},
								{Name: "plugin-dir", MountPath: kubeletPlugins, MountPropagation: bidi},
								{Name: "pod-dir", MountPath: "/var/lib/kubelet/pods", MountPropagation: bidi},
								{Name: "host-dev", MountPath: "/dev"},
								{Name: "host-sys", MountPath: "/sys"},
							},
						},
					},
					Volumes: []corev1.Volume{
						hostDir("socket-dir", kubeletPlugins+"/"+DriverName, corev1.HostPathDirectoryOrCreate),
						hostDir("registration-dir", "/var/lib/kubelet/plugins_registry/", corev1.HostPathDirectory),
						hostDir("plugin-dir", kubeletPlugins, corev1.HostPathDirectory),
						hostDir("pod-dir", "/var/lib/kubelet/pods", corev1.HostPathDirectory),
						hostDir("host-dev", "/dev", corev1.HostPathUnset),
						hostDir("host-sys", "/sys", corev1.HostPathUnset),
					},
				},
			},
		},
	}
}

// rbac is upstream's controller and node service accounts, and the
// provisioner's cluster role bound to the controller's account.
func (c Config) rbac() []client.Object {
	sa := func(component string) *corev1.ServiceAccount {
		return &corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: c.meta(saName(component))}
	}
	rule := func(group string, res []string, verbs ...string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{APIGroups: []string{group}, Resources: res, Verbs: verbs}
	}
	role := &rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
		ObjectMeta: c.clusterMeta("spdkcsi-provisioner"),
		Rules: []rbacv1.PolicyRule{
			rule("", []string{"secrets"}, "get", "list"),
			rule("", []string{"persistentvolumes"}, "get", "list", "watch", "create", "delete"),
			rule("", []string{"persistentvolumeclaims"}, "get", "list", "watch", "update"),
			rule("storage.k8s.io", []string{"storageclasses"}, "get", "list", "watch"),
			rule("", []string{"events"}, "list", "watch", "create", "update", "patch"),
			rule("storage.k8s.io", []string{"csinodes"}, "get", "list", "watch"),
			rule("", []string{"nodes"}, "get", "list", "watch"),
			rule("storage.k8s.io", []string{"volumeattachments"}, "get", "list", "watch"),
			rule("coordination.k8s.io", []string{"leases"}, "get", "list", "watch", "create", "update", "patch"),
		},
	}
	binding := &rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
		ObjectMeta: c.clusterMeta("spdkcsi-provisioner"),
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: saName("controller"), Namespace: c.Namespace}},
		RoleRef:    rbacv1.RoleRef{Kind: "ClusterRole", Name: role.Name, APIGroup: "rbac.authorization.k8s.io"},
	}
	return []client.Object{sa("controller"), sa("node"), role, binding}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
