package kube

import (
	"path"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// ComponentVolume labels the PersistentVolumeClaims a run makes.
const ComponentVolume = "volume"

// claimDevices is where a worker sees its volume's block device.
const claimDevices = "/dev/nvmf-chaos"

// ClaimSpec is one scenario volume as a PersistentVolumeClaim of a
// StorageClass: the storage system behind the class provisions it, and
// the worker reaches it through the node's kernel (its CSI node plugin
// stages it), not through the project's own NVMe/TCP host.
type ClaimSpec struct {
	Namespace, RunID string
	Volume           string
	StorageClass     string
	Size             int64
}

// ClaimName is the name of a scenario volume's claim.
func ClaimName(volume string) string { return "vol-" + volume }

// ClaimDevicePath is where a worker pod finds a volume's raw device.
func ClaimDevicePath(volume string) string { return path.Join(claimDevices, volume) }

// Claim is a volume's PersistentVolumeClaim: volumeMode Block, so the
// worker drives the raw device with O_DIRECT as fio does (a filesystem
// would put its own cache, journal and allocation between the workload
// and the storage), ReadWriteOnce, because one worker pod uses it.
func Claim(s ClaimSpec) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: metav1.ObjectMeta{Name: ClaimName(s.Volume), Namespace: s.Namespace,
			Labels: labels(s.RunID, ComponentVolume, LabelVolume, s.Volume)},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			VolumeMode:       ptr.To(corev1.PersistentVolumeBlock),
			StorageClassName: ptr.To(s.StorageClass),
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceStorage: *resource.NewQuantity(s.Size, resource.BinarySI),
			}},
		},
	}
}

// withClaims gives a worker pod the raw devices of its volumes' claims.
func withClaims(spec *corev1.PodSpec, volumes []string) {
	for _, v := range volumes {
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: ClaimName(v), VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: ClaimName(v)},
		}})
		c := &spec.Containers[0]
		c.VolumeDevices = append(c.VolumeDevices, corev1.VolumeDevice{Name: ClaimName(v), DevicePath: ClaimDevicePath(v)})
	}
}
