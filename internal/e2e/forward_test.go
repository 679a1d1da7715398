//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/e2e-framework/klient/wait"
	"sigs.k8s.io/e2e-framework/klient/wait/conditions"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/nvmf-chaos/nvmf-chaos/internal/worker"
	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

// TestForwardOutlivesAPortNotYetListening is the race CI once lost: the
// harness reached a worker's port before the worker listened on it, the
// pod refused, and client-go's forwarder closed for good. A worker whose
// target does not exist yet keeps its port closed; the harness asks
// through its forward, then the target appears and the same local address
// must reach the worker.
func TestForwardOutlivesAPortNotYetListening(t *testing.T) {
	const nqn = "nqn.2026-12.io.nvmf-chaos:forward"
	f := features.New("port-forward").
		Assess("a refused connection does not end the forward", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			ns := namespace(ctx)
			res := cfg.Client().Resources()
			svc := serviceOf(ns, "target")
			if err := res.Create(ctx, svc); err != nil {
				t.Fatal(err)
			}
			if err := res.Get(ctx, svc.Name, ns, svc); err != nil {
				t.Fatal(err)
			}
			spec, err := json.Marshal(worker.Spec{Workload: "w", Target: fmt.Sprintf("nvme+tcp://%s:4420/%s", svc.Spec.ClusterIP, nqn),
				Jobs: []workloads.Job{{Name: "w", RW: workloads.RWRead, BS: 4096, IODepth: 1, NumJobs: 1, Runtime: time.Second, TimeBased: true}}})
			if err != nil {
				t.Fatal(err)
			}
			c := container("worker", "worker", "--listen", fmt.Sprintf(":%d", kube.WorkerPort))
			c.Env = []corev1.EnvVar{{Name: "NVMF_CHAOS_WORKER_SPEC", Value: string(spec)}}
			pod := podOf(ns, "worker", nil, c)
			if err := res.Create(ctx, pod); err != nil {
				t.Fatal(err)
			}
			if err := wait.For(conditions.New(res).PodRunning(pod), wait.WithTimeout(time.Minute)); err != nil {
				t.Fatalf("worker pod not running: %v", err)
			}
			kc, err := kube.Connect(cfg.KubeconfigFile(), "")
			if err != nil {
				t.Fatal(err)
			}
			fwd, err := kc.Forward(ctx, ns, pod.Name, kube.WorkerPort)
			if err != nil {
				t.Fatal(err)
			}
			defer fwd.Close()
			client := &worker.Client{Base: "http://" + fwd.Addr}
			if _, err := client.Clock(ctx, 1); err == nil {
				t.Fatal("the worker answered before its target existed")
			}
			if err := res.Create(ctx, targetPod(ns, "target", nqn)); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(time.Minute)
			for {
				_, err := client.Clock(ctx, 1)
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the worker never answered through %s once its target was up: %v", fwd.Addr, err)
				}
				time.Sleep(250 * time.Millisecond)
			}
			return ctx
		}).Feature()
	testenv.Test(t, f)
}
