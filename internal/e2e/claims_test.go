//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
)

// claimScenario claims its volume from a StorageClass: the run starts no
// target, and its worker drives the claim's raw device through the
// node's kernel with O_DIRECT, verifying what it wrote.
const claimScenario = `apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: e2e-claim}
cluster: {backend: kubernetes, kubernetes: {driver: existing, storage_class: %s}}
volumes:
  - {name: vol0, size: 128MiB}
workloads:
  - {name: oltp, volume: vol0, rw: randrw, rwmixread: 50, bs: 4k, iodepth: 16, verify: crc32c}
timeline: {warmup: 1s, duration: 6s}
slos:
  - {metric: io_errors, max: "0"}
  - {metric: lost_writes, max: "0"}
  - {metric: corrupt_blocks, max: "0"}
  - {metric: iops, window: baseline, min: "100"}
`

// A volume claimed from an existing StorageClass (driver: existing): here
// a local PersistentVolume over a loop device, the nearest thing to a CSI
// driver's block volume this machine has (no kernel NVMe/TCP). The run
// passes, the device holds what the worker wrote, the claim is gone
// afterwards, and a class that does not exist is refused before anything
// is made.
func TestExistingStorageClass(t *testing.T) {
	f := features.New("driver: existing").Assess("claimed block volume", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
		if os.Geteuid() != 0 {
			t.Skip("skipped: a loop device needs root")
		}
		class := envconf.RandomName("nvmfc-e2e-local", 24)
		dev := loopDevice(t, 256<<20)
		pv := localBlockClass(ctx, t, cfg, class, dev)
		h := newHarness(t, cfg)
		dir := t.TempDir()
		file := filepath.Join(dir, "claim.yaml")
		if err := os.WriteFile(file, []byte(fmt.Sprintf(claimScenario, class)), 0o644); err != nil {
			t.Fatal(err)
		}
		code, text := h.run("run", file, "--out", dir, "--quiet")
		t.Log(text)
		if code != 0 {
			t.Fatalf("nvmf-chaos run exited %d", code)
		}
		results, _ := filepath.Glob(filepath.Join(dir, "e2e-claim-*", "results.json"))
		if len(results) != 1 {
			t.Fatalf("results.json: %v", results)
		}
		res := readResult(t, results[0])
		if len(res.Environment.Workers) != 1 || res.Environment.Workers[0].Pod == "" {
			t.Errorf("workers %+v: want one worker pod", res.Environment.Workers)
		}
		if written := nonZeroBlocks(t, dev, 128<<20); written == 0 {
			t.Error("the loop device behind the claim holds no data: the worker did not write through it")
		} else {
			t.Logf("%d of %d 4 KiB blocks of %s written by the worker", written, (128<<20)/4096, dev)
		}
		h.checkNothingLeft(ctx, "")
		var got corev1.PersistentVolume
		if err := cfg.Client().Resources().Get(ctx, pv, "", &got); err != nil {
			t.Fatal(err)
		}
		if got.Status.Phase == corev1.VolumeBound {
			t.Errorf("persistent volume %s still bound to %v after the run", pv, got.Spec.ClaimRef)
		}

		absent := filepath.Join(dir, "absent.yaml")
		if err := os.WriteFile(absent, []byte(fmt.Sprintf(claimScenario, class+"-absent")), 0o644); err != nil {
			t.Fatal(err)
		}
		code, text = h.run("run", absent, "--out", dir, "--quiet")
		if code != 2 || !strings.Contains(text, "does not exist") {
			t.Errorf("absent storage class: exit %d, want 2 naming it:\n%s", code, text)
		}
		h.checkNothingLeft(ctx, "")
		return ctx
	}).Feature()
	testenv.Test(t, f)
}

// loopDevice attaches a sparse file of size bytes to a free loop device
// and detaches it when the test ends.
func loopDevice(t *testing.T, size int64) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, size); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "--find", "--show", img).CombinedOutput()
	if err != nil {
		t.Skipf("skipped: no loop device here: losetup: %v %s", err, out)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if out, err := exec.Command("losetup", "--detach", dev).CombinedOutput(); err != nil {
			t.Errorf("losetup --detach %s: %v %s", dev, err, out)
		}
	})
	return dev
}

// localBlockClass makes a StorageClass with no provisioner and one local
// PersistentVolume in Block mode over dev on the first Ready node, as an
// administrator offers local disks; both go when the test ends.
func localBlockClass(ctx context.Context, t *testing.T, cfg *envconf.Config, class, dev string) string {
	t.Helper()
	var nodes corev1.NodeList
	if err := cfg.Client().Resources().List(ctx, &nodes); err != nil || len(nodes.Items) == 0 {
		t.Fatalf("listing nodes: %v (%d)", err, len(nodes.Items))
	}
	node := nodes.Items[0].Name
	sc := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: class}, Provisioner: "kubernetes.io/no-provisioner",
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingWaitForFirstConsumer), ReclaimPolicy: ptr.To(corev1.PersistentVolumeReclaimRetain)}
	pv := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: class + "-pv"}, Spec: corev1.PersistentVolumeSpec{
		Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("256Mi")},
		AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		VolumeMode:                    ptr.To(corev1.PersistentVolumeBlock),
		StorageClassName:              class,
		PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
		PersistentVolumeSource:        corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: dev}},
		NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
			MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{node}}},
		}}}},
	}}
	res := cfg.Client().Resources()
	for _, o := range []client.Object{sc, pv} {
		if err := res.Create(ctx, o); err != nil {
			t.Fatalf("creating %s: %v", o.GetName(), err)
		}
		t.Cleanup(func() {
			if err := res.Delete(context.Background(), o); err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("deleting %s: %v", o.GetName(), err)
			}
		})
	}
	return pv.Name
}

// nonZeroBlocks counts the 4 KiB blocks of the first n bytes of dev that
// are not all zero.
func nonZeroBlocks(t *testing.T, dev string, n int64) int {
	t.Helper()
	f, err := os.Open(dev)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	zero := make([]byte, 4096)
	count := 0
	for off := int64(0); off < n; off += 4096 {
		if _, err := f.ReadAt(buf, off); err != nil {
			t.Fatalf("reading %s at %d: %v", dev, off, err)
		}
		if !bytes.Equal(buf, zero) {
			count++
		}
	}
	return count
}
