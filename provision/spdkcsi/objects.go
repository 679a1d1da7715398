// Package spdkcsi builds the SPDK CSI driver's objects as its upstream
// project lays them out (github.com/spdk/spdk-csi, deploy/kubernetes):
// CSIDriver, the controller StatefulSet with the external-provisioner
// sidecar, the node DaemonSet with the node-driver-registrar, their RBAC,
// the ConfigMap naming each target's JSON-RPC URL, the Secret with the RPC
// credentials, a StorageClass, and a PVC per volume. Typed objects from
// k8s.io/api, never YAML strings.
//
// Differences from upstream, each on purpose: everything namespaced lives
// in the run's namespace and the cluster-scoped names carry the run id,
// so two runs never share a driver; the snapshotter sidecar is left out
// (snapshots are not part of any scenario, and it crashes where the
// VolumeSnapshot CRDs are absent); there is no attacher, since upstream's
// CSIDriver says attachRequired: false.
package spdkcsi

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
)

// DriverName is the driver's CSI name, as upstream registers it.
const DriverName = "csi.spdk.io"

// Images are the driver's images; Default the upstream deploy's.
type Images struct {
	Provisioner, Registrar, Driver string
}

// DefaultImages are the ones upstream's deploy/kubernetes names.
var DefaultImages = Images{
	Provisioner: "registry.k8s.io/sig-storage/csi-provisioner:v3.5.0",
	Registrar:   "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.8.0",
	Driver:      "spdkcsi/spdkcsi:canary",
}

// Target is one SPDK the driver provisions on.
type Target struct {
	// Name matches the credentials' entry (the scenario node).
	Name string `json:"name"`
	// RPCURL is SPDK's HTTP JSON-RPC proxy, http://HOST:PORT.
	RPCURL string `json:"rpcURL"`
	// TargetType is nvme-tcp; TargetAddr where hosts connect.
	TargetType string `json:"targetType"`
	TargetAddr string `json:"targetAddr"`
}

// Volume is a PVC the driver provisions.
type Volume struct {
	Name       string
	Size       int64
	AccessMode corev1.PersistentVolumeAccessMode
	Mode       corev1.PersistentVolumeMode
}

// Config is one run's driver.
type Config struct {
	Namespace, RunID string
	Targets          []Target
	// Username and Password are the targets' RPC credentials.
	Username, Password string
	Images             Images
	// PullPolicy is the driver's pods' image pull policy; default
	// IfNotPresent, as upstream's.
	PullPolicy corev1.PullPolicy
	Volumes    []Volume
}

func (c Config) pullPolicy() corev1.PullPolicy {
	if c.PullPolicy == "" {
		return corev1.PullIfNotPresent
	}
	return c.PullPolicy
}

// StorageClassName is the run's StorageClass.
func (c Config) StorageClassName() string { return c.clusterMeta("spdkcsi").Name }

func (c Config) meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: c.Namespace, Labels: map[string]string{
		kube.LabelManagedBy: kube.ManagedBy, kube.LabelRunID: c.RunID, kube.LabelComponent: "spdkcsi",
	}}
}

// clusterMeta names a cluster-scoped object after the run.
func (c Config) clusterMeta(name string) metav1.ObjectMeta {
	m := c.meta("nvmf-chaos-" + c.RunID + "-" + name)
	m.Namespace = ""
	return m
}

// Objects returns the driver's objects in the order they are applied.
// The CSIDriver is cluster-wide and one per driver name: a cluster that
// has one already keeps it (the caller skips an AlreadyExists), and only
// one the run made carries its id, for the sweep.
func Objects(c Config) ([]client.Object, error) {
	cm, err := c.configMap()
	if err != nil {
		return nil, err
	}
	sec, err := c.secret()
	if err != nil {
		return nil, err
	}
	objs := []client.Object{c.csiDriver()}
	objs = append(objs, c.rbac()...)
	objs = append(objs, cm, sec, c.controller(), c.node(), c.storageClass())
	for _, v := range c.Volumes {
		objs = append(objs, c.pvc(v))
	}
	return objs, nil
}

// csiDriver is cluster-wide, one per driver name. It carries the run's
// id, so the run's sweep deletes it, when the run creates it; a CSIDriver
// already there (an installed driver) is left as it is.
func (c Config) csiDriver() *storagev1.CSIDriver {
	m := c.clusterMeta("")
	m.Name = DriverName
	return &storagev1.CSIDriver{
		TypeMeta:   metav1.TypeMeta{APIVersion: "storage.k8s.io/v1", Kind: "CSIDriver"},
		ObjectMeta: m,
		Spec: storagev1.CSIDriverSpec{
			AttachRequired:       ptr.To(false),
			VolumeLifecycleModes: []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent},
		},
	}
}

// configMap is spdkcsi-cm: config.json with the targets, as upstream's.
func (c Config) configMap() (*corev1.ConfigMap, error) {
	b, err := json.MarshalIndent(map[string][]Target{"nodes": c.Targets}, "", "  ")
	if err != nil {
		return nil, err
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: c.meta("spdkcsi-cm"),
		Data:       map[string]string{"config.json": string(b)},
	}, nil
}

type rpcToken struct {
	Name     string `json:"name"`
	Username string `json:"username"`
	Password string `json:"password"`
}

// secret is spdkcsi-secret: secret.json with a token per target.
func (c Config) secret() (*corev1.Secret, error) {
	var toks []rpcToken
	for _, t := range c.Targets {
		toks = append(toks, rpcToken{Name: t.Name, Username: c.Username, Password: c.Password})
	}
	b, err := json.MarshalIndent(map[string][]rpcToken{"rpcTokens": toks}, "", "  ")
	if err != nil {
		return nil, err
	}
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: c.meta("spdkcsi-secret"),
		StringData: map[string]string{"secret.json": string(b)},
	}, nil
}

func (c Config) storageClass() *storagev1.StorageClass {
	return &storagev1.StorageClass{
		TypeMeta:    metav1.TypeMeta{APIVersion: "storage.k8s.io/v1", Kind: "StorageClass"},
		ObjectMeta:  c.clusterMeta("spdkcsi"),
		Provisioner: DriverName,
		Parameters: map[string]string{
			"fsType": "ext4",
			"csi.storage.k8s.io/provisioner-secret-name":      "spdkcsi-secret",
			"csi.storage.k8s.io/provisioner-secret-namespace": c.Namespace,
		},
		ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingImmediate),
	}
}

func (c Config) pvc(v Volume) *corev1.PersistentVolumeClaim {
	mode := v.Mode
	if mode == "" {
		mode = corev1.PersistentVolumeBlock
	}
	access := v.AccessMode
	if access == "" {
		access = corev1.ReadWriteOnce
	}
	return &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: c.meta(v.Name),
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{access},
			VolumeMode:       &mode,
			StorageClassName: ptr.To(c.StorageClassName()),
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceStorage: *resource.NewQuantity(v.Size, resource.BinarySI),
			}},
		},
	}
}

// Validate refuses a config the driver could not work with.
func (c Config) Validate() error {
	switch {
	case c.Namespace == "" || c.RunID == "":
		return fmt.Errorf("spdk-csi: namespace and run id are required")
	case len(c.Targets) == 0:
		return fmt.Errorf("spdk-csi: no target to provision on")
	case c.Username == "" || c.Password == "":
		return fmt.Errorf("spdk-csi: the targets' RPC credentials are required")
	}
	return nil
}

// saName is a component's ServiceAccount.
func saName(component string) string { return "spdkcsi-" + component + "-sa" }
