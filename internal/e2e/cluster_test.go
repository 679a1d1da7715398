//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/klient/wait"
	"sigs.k8s.io/e2e-framework/klient/wait/conditions"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
)

// The project's image runs on the cluster as a bare pod and as a Job.
func TestImageRunsAsPodAndJob(t *testing.T) {
	f := features.New("nvmf-chaos image").
		Assess("runs as a pod to completion", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			pod := podOf(namespace(ctx), "list", nil, container("list", "list"))
			if err := cfg.Client().Resources().Create(ctx, pod); err != nil {
				t.Fatal(err)
			}
			err := wait.For(conditions.New(cfg.Client().Resources()).PodPhaseMatch(pod, corev1.PodSucceeded), wait.WithTimeout(2*time.Minute))
			if err != nil {
				t.Fatalf("pod did not succeed: %v", err)
			}
			return ctx
		}).
		Assess("runs as a Job to completion", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			job := jobOf(namespace(ctx), "list", container("list", "list"))
			if err := cfg.Client().Resources().Create(ctx, job); err != nil {
				t.Fatal(err)
			}
			if err := wait.For(conditions.New(cfg.Client().Resources()).JobCompleted(job), wait.WithTimeout(2*time.Minute)); err != nil {
				t.Fatalf("job did not complete: %v", err)
			}
			logs, err := jobPodLogs(ctx, cfg, namespace(ctx), job.Name)
			if err != nil {
				t.Fatal(err)
			}
			if len(logs) == 0 {
				t.Error("the job's pod printed nothing; nvmf-chaos list prints the built-in scenarios")
			}
			return ctx
		}).Feature()
	testenv.Test(t, f)
}

// A Service routes TCP to a pod running nvmf-chaos target, and nvmf-chaos
// bench in a Job moves verified data over NVMe/TCP through it.
func TestBenchJobThroughServiceToTargetPod(t *testing.T) {
	const nqn = "nqn.2026-12.io.nvmf-chaos:e2e"
	var svc *corev1.Service
	var targetNode string
	f := features.New("NVMe/TCP through a Service").
		Setup(func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			ns := namespace(ctx)
			pod := targetPod(ns, "target", nqn)
			svc = serviceOf(ns, "target")
			if err := cfg.Client().Resources().Create(ctx, pod); err != nil {
				t.Fatal(err)
			}
			if err := cfg.Client().Resources().Create(ctx, svc); err != nil {
				t.Fatal(err)
			}
			err := wait.For(conditions.New(cfg.Client().Resources()).PodConditionMatch(pod, corev1.PodReady, corev1.ConditionTrue), wait.WithTimeout(2*time.Minute))
			if err != nil {
				t.Fatalf("target pod not Ready: %v", err)
			}
			if err := cfg.Client().Resources().Get(ctx, svc.Name, ns, svc); err != nil {
				t.Fatal(err)
			}
			if err := cfg.Client().Resources().Get(ctx, pod.Name, ns, pod); err != nil {
				t.Fatal(err)
			}
			targetNode = pod.Spec.NodeName
			return ctx
		}).
		Assess("the Service's address accepts TCP from outside the pod network", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			addr := net.JoinHostPort(svc.Spec.ClusterIP, "4420")
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatalf("service %s not reachable from the root namespace: %v", addr, err)
			}
			conn.Close()
			return ctx
		}).
		Assess("a bench Job writes and verifies data over NVMe/TCP", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			target := fmt.Sprintf("nvme+tcp://%s:4420/%s", svc.Spec.ClusterIP, nqn)
			job := jobOf(namespace(ctx), "bench", container("bench", "bench", "--target", target,
				"--rw", "randrw", "--bs", "4k", "--iodepth", "8", "--runtime", "4s", "--time_based",
				"--verify", "crc32c", "--output-format", "json"))
			// On a cluster of several nodes the data crosses between
			// nodes: the bench runs anywhere but on the target's node.
			job.Spec.Template.Spec.Affinity = awayFrom(targetNode)
			if err := cfg.Client().Resources().Create(ctx, job); err != nil {
				t.Fatal(err)
			}
			res := cfg.Client().Resources()
			err := wait.For(func(ctx context.Context) (bool, error) {
				if done, _ := conditions.New(res).JobFailed(job)(ctx); done {
					return false, fmt.Errorf("bench job failed")
				}
				return conditions.New(res).JobCompleted(job)(ctx)
			}, wait.WithTimeout(2*time.Minute))
			logs, lerr := jobPodLogs(ctx, cfg, namespace(ctx), job.Name)
			if err != nil {
				t.Fatalf("bench job: %v\n%s (%v)", err, logs, lerr)
			}
			if lerr != nil {
				t.Fatal(lerr)
			}
			checkVerifiedBench(t, logs)
			t.Logf("target on node %s, bench on node %s", targetNode, jobNode(ctx, t, cfg, job.Name))
			return ctx
		}).Feature()
	testenv.Test(t, f)
}

// benchOutput is the part of bench's fio-style JSON the test judges.
type benchOutput struct {
	Jobs []struct {
		Error int `json:"error"`
		Write struct {
			IOs int64 `json:"total_ios"`
		} `json:"write"`
		Verify struct {
			OK         int64 `json:"ok"`
			Lost       int64 `json:"lost_blocks"`
			LostWrites int64 `json:"lost_writes"`
			Corrupt    int64 `json:"corrupt_blocks"`
			FinalPass  bool  `json:"final_pass"`
		} `json:"nvmf_chaos_verify"`
	} `json:"jobs"`
}

func checkVerifiedBench(t *testing.T, logs string) {
	t.Helper()
	var out benchOutput
	if err := json.Unmarshal([]byte(logs), &out); err != nil {
		t.Fatalf("bench output is not JSON: %v\n%s", err, logs)
	}
	if len(out.Jobs) != 1 {
		t.Fatalf("bench reported %d jobs, want 1", len(out.Jobs))
	}
	j := out.Jobs[0]
	v := j.Verify
	t.Logf("bench: %d writes, %d blocks verified, %d lost writes", j.Write.IOs, v.OK, v.LostWrites)
	if j.Error != 0 || j.Write.IOs == 0 || v.OK == 0 || !v.FinalPass || v.Lost+v.LostWrites+v.Corrupt != 0 {
		t.Errorf("bench over the Service did not move verified data: %+v", j)
	}
}

// awayFrom keeps a pod off the named node where another node can take it.
func awayFrom(node string) *corev1.Affinity {
	return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{
			Weight: 100,
			Preference: corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{{
				Key: "metadata.name", Operator: corev1.NodeSelectorOpNotIn, Values: []string{node},
			}}},
		}},
	}}
}

func jobNode(ctx context.Context, t *testing.T, cfg *envconf.Config, job string) string {
	var pods corev1.PodList
	if err := cfg.Client().Resources(namespace(ctx)).List(ctx, &pods, resources.WithLabelSelector("job-name="+job)); err != nil || len(pods.Items) == 0 {
		t.Logf("job %s pods: %v", job, err)
		return "?"
	}
	return pods.Items[0].Spec.NodeName
}
