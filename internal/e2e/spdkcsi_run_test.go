//go:build e2e

package e2e

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/klient/wait"
	"sigs.k8s.io/e2e-framework/klient/wait/conditions"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
	"github.com/nvmf-chaos/nvmf-chaos/provision/spdkcsi"
)

// A target pod deployed for the SPDK CSI driver serves its JSON-RPC over
// HTTP with the credentials of the run's Secret, read from its
// environment: the right pair gets SPDK's answer, a wrong one 401.
func TestTargetPodServesHTTPRPC(t *testing.T) {
	f := features.New("target rpc-http").Assess("credentials from the Secret", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
		ns := namespace(ctx)
		runID := ns[len(ns)-6:]
		res := cfg.Client().Resources()
		pod := kube.TargetPod(kube.TargetSpec{Namespace: ns, RunID: runID, Node: "tgt-a", RPCSecret: kube.RPCSecretName,
			Pod: kube.PodSettings{Image: image, ImagePullPolicy: corev1.PullNever}})
		if err := res.Create(ctx, kube.RPCSecret(ns, runID, "csi", "s3cret-pass")); err != nil {
			t.Fatal(err)
		}
		if err := res.Create(ctx, pod); err != nil {
			t.Fatal(err)
		}
		if err := wait.For(conditions.New(res).PodConditionMatch(pod, corev1.PodReady, corev1.ConditionTrue), wait.WithTimeout(2*time.Minute)); err != nil {
			t.Fatalf("target pod not Ready: %v", err)
		}
		kc, err := kube.Connect(cfg.KubeconfigFile(), "")
		if err != nil {
			t.Fatal(err)
		}
		fwd, err := kc.Forward(ctx, ns, pod.Name, kube.RPCHTTPPort)
		if err != nil {
			t.Fatal(err)
		}
		defer fwd.Close()
		url := "http://" + fwd.Addr + "/"
		tests := []struct {
			name, user, password string
			status               int
		}{
			{"the Secret's credentials", "csi", "s3cret-pass", http.StatusOK},
			{"a wrong password", "csi", "s3cret-pasS", http.StatusUnauthorized},
			{"none", "", "", http.StatusUnauthorized},
		}
		for _, tt := range tests {
			status, body := postRPC(t, url, tt.user, tt.password)
			if status != tt.status {
				t.Errorf("%s: HTTP %d (%s), want %d", tt.name, status, body, tt.status)
			}
			if tt.status == http.StatusOK && !strings.Contains(body, `"version"`) {
				t.Errorf("%s: %s, want spdk_get_version's answer", tt.name, body)
			}
		}
		return ctx
	}).Feature()
	testenv.Test(t, f)
}

// postRPC sends spdk_get_version as the SPDK CSI driver's client does
// (HTTP POST, basic auth), retrying while the listener is not up yet.
func postRPC(t *testing.T, url, user, password string) (int, string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"spdk_get_version"}`))
		req.Header.Set("Content-Type", "application/json")
		if user != "" {
			req.SetBasicAuth(user, password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("POST %s: %v", url, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// spdkCSIScenario deploys the SPDK CSI driver for the run on one target
// pod and claims a volume from it.
const spdkCSIScenario = `apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: e2e-spdkcsi}
cluster: {backend: kubernetes, nodes: [tgt-a], kubernetes: {driver: spdk-csi, image_pull_policy: Never}}
volumes:
  - {name: vol0, size: 64MiB}
workloads:
  - {name: oltp, volume: vol0, rw: randrw, bs: 4k, iodepth: 8}
timeline: {warmup: 1s, duration: 5s}
slos:
  - {metric: io_errors, max: "0"}
`

// driver: spdk-csi as far as this cluster lets it go: target pods serving
// HTTP JSON-RPC, an lvstore on each, the driver's objects accepted; the
// driver's images are not on the nodes and cannot be pulled here (no
// registry; image_pull_policy: Never keeps the nodes from trying), so the
// run stops there, exit 2, naming the pod and why, and leaves nothing behind: no
// namespace, and none of the cluster-wide objects (RBAC, StorageClass,
// CSIDriver) it made.
func TestSPDKCSIDriverRun(t *testing.T) {
	f := features.New("driver: spdk-csi").Assess("deployed, refused with the reason, swept", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
		h := newHarness(t, cfg)
		dir := t.TempDir()
		file := filepath.Join(dir, "spdkcsi.yaml")
		if err := os.WriteFile(file, []byte(spdkCSIScenario), 0o644); err != nil {
			t.Fatal(err)
		}
		code, text := h.run("run", file, "--out", dir)
		t.Log(text)
		if code != 2 {
			t.Fatalf("exit %d, want 2 (the driver's images cannot be pulled here)", code)
		}
		for _, want := range []string{"lvstore lvs-tgt-a", "spdk-csi: driver " + spdkcsi.DriverName + " deployed",
			"spdk-csi controller: pod", "spdkcsi-controller-0 will not become Ready"} {
			if !strings.Contains(text, want) {
				t.Errorf("output lacks %q", want)
			}
		}
		if !strings.Contains(text, "ErrImageNeverPull") {
			t.Error("the error does not say the driver's image is not on the node")
		}
		h.checkNothingLeft(ctx, "")
		checkNoClusterObjects(ctx, t, cfg)
		return ctx
	}).Feature()
	testenv.Test(t, f)
}

// checkNoClusterObjects fails when a run left a cluster-wide object.
func checkNoClusterObjects(ctx context.Context, t *testing.T, cfg *envconf.Config) {
	t.Helper()
	sel := func(o *metav1.ListOptions) { o.LabelSelector = kube.RunSelector("") }
	var crs rbacv1.ClusterRoleList
	var crbs rbacv1.ClusterRoleBindingList
	var scs storagev1.StorageClassList
	var drivers storagev1.CSIDriverList
	res := cfg.Client().Resources()
	for _, err := range []error{res.List(ctx, &crs, sel), res.List(ctx, &crbs, sel), res.List(ctx, &scs, sel), res.List(ctx, &drivers, sel)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(crs.Items) + len(crbs.Items) + len(scs.Items) + len(drivers.Items); n > 0 {
		t.Errorf("cluster-wide objects left: %d cluster roles, %d bindings, %d storage classes, %d CSI drivers",
			len(crs.Items), len(crbs.Items), len(scs.Items), len(drivers.Items))
	}
}

// A run killed after deploying the driver leaves its namespace and the
// driver's cluster-wide objects; `cleanup --kubeconfig --run-id` removes
// both, and touches no CSIDriver it did not make.
func TestCleanupSweepsTheDriversClusterObjects(t *testing.T) {
	f := features.New("cleanup").Assess("cluster-wide objects of a dead run", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
		runID := envconf.RandomName("", 7)[1:]
		ns := "nvmf-chaos-" + runID
		res := cfg.Client().Resources()
		if err := res.Create(ctx, kube.Namespace(ns, runID)); err != nil {
			t.Fatal(err)
		}
		objs, err := spdkcsi.Objects(spdkcsi.Config{Namespace: ns, RunID: runID, Username: "u", Password: "p", Images: spdkcsi.DefaultImages,
			PullPolicy: corev1.PullNever, Targets: []spdkcsi.Target{{Name: "tgt-a", RPCURL: "http://198.19.254.10:9009", TargetType: "nvme-tcp", TargetAddr: "198.19.254.10"}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if err := res.Create(ctx, o); err != nil {
				t.Fatalf("%T %s: %v", o, o.GetName(), err)
			}
		}
		h := newHarness(t, cfg)
		code, text := h.run("cleanup", "--run-id", runID)
		t.Log(text)
		if code != 0 {
			t.Fatalf("cleanup: exit %d", code)
		}
		for _, want := range []string{"namespace " + ns, "storageclass nvmf-chaos-" + runID + "-spdkcsi", "clusterrole nvmf-chaos-" + runID, "csidriver " + spdkcsi.DriverName} {
			if !strings.Contains(text, want) {
				t.Errorf("cleanup did not report %q", want)
			}
		}
		deadline := time.Now().Add(time.Minute)
		for len(h.runNamespaces(ctx)) > 0 && time.Now().Before(deadline) {
			time.Sleep(250 * time.Millisecond)
		}
		h.checkNothingLeft(ctx, "")
		checkNoClusterObjects(ctx, t, cfg)
		return ctx
	}).Feature()
	testenv.Test(t, f)
}
