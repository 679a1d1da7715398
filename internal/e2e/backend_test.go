//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
)

// harness runs the nvmf-chaos CLI against the suite's cluster.
type harness struct {
	t   *testing.T
	cfg *envconf.Config
	bin string
}

func newHarness(t *testing.T, cfg *envconf.Config) *harness {
	bin := os.Getenv("NVMF_CHAOS_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "nvmf-chaos")
		if out, err := exec.Command("go", "build", "-o", bin, "github.com/nvmf-chaos/nvmf-chaos/cmd/nvmf-chaos").CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	return &harness{t: t, cfg: cfg, bin: bin}
}

// command is `nvmf-chaos args... --kubeconfig K` writing into out; report
// and the other commands that never reach a cluster take no kubeconfig.
func (h *harness) command(out *bytes.Buffer, args ...string) *exec.Cmd {
	if args[0] == "run" || args[0] == "cleanup" {
		args = append(args, "--kubeconfig", h.cfg.KubeconfigFile())
	}
	cmd := exec.Command(h.bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	return cmd
}

// run runs the CLI to the end and returns its exit code and output.
func (h *harness) run(args ...string) (int, string) {
	var out bytes.Buffer
	err := h.command(&out, args...).Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String()
	}
	h.t.Fatalf("nvmf-chaos %v: %v", args, err)
	return -1, ""
}

// runNamespaces lists the namespaces nvmf-chaos runs own.
func (h *harness) runNamespaces(ctx context.Context) []string {
	var nss corev1.NamespaceList
	if err := h.cfg.Client().Resources().List(ctx, &nss, func(o *metav1.ListOptions) {
		o.LabelSelector = "app.kubernetes.io/managed-by=nvmf-chaos"
	}); err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, ns := range nss.Items {
		out = append(out, ns.Name+" ("+string(ns.Status.Phase)+")")
	}
	return out
}

// checkNothingLeft fails when a run left a namespace, or its targets' data
// folder on this machine (the test cluster's nodes share its filesystem).
func (h *harness) checkNothingLeft(ctx context.Context, runID string) {
	h.t.Helper()
	if left := h.runNamespaces(ctx); len(left) > 0 {
		h.t.Errorf("namespaces left in the cluster: %v", left)
	}
	if runID != "" {
		if _, err := os.Stat(filepath.Join("/var/lib/nvmf-chaos", runID)); err == nil {
			h.t.Errorf("the run's data folder /var/lib/nvmf-chaos/%s is left on the node", runID)
		}
	}
}

// The k8s built-ins pass through `nvmf-chaos run` as a user runs them,
// their results render, and nothing of them stays in the cluster.
func TestKubernetesBuiltinsPass(t *testing.T) {
	cases := []struct{ name, duration string }{
		{"k8s-baseline", "10s"},
		{"k8s-target-kill", "20s"},
		{"k8s-target-restart", "20s"},
	}
	f := features.New("k8s built-ins")
	for _, c := range cases {
		f = f.Assess(c.name, func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			h := newHarness(t, cfg)
			out := t.TempDir()
			code, text := h.run("run", c.name, "--duration", c.duration, "--out", out, "--quiet")
			t.Log(text)
			if code != 0 {
				t.Fatalf("nvmf-chaos run %s exited %d", c.name, code)
			}
			results, _ := filepath.Glob(filepath.Join(out, c.name+"-*", "results.json"))
			if len(results) != 1 {
				t.Fatalf("results.json: %v", results)
			}
			res := readResult(t, results[0])
			if res.Environment.Target.Backend != "kubernetes" || len(res.Environment.Workers) != 1 {
				t.Errorf("environment %+v: want the kubernetes backend and one worker", res.Environment)
			}
			if w := res.Environment.Workers[0]; w.ClockErrorNs <= 0 || w.Pod == "" {
				t.Errorf("worker %+v: want its pod and a measured clock bound", w)
			}
			if code, text := h.run("report", results[0]); code != 0 {
				t.Errorf("report: exit %d: %s", code, text)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(results[0]), "report.html")); err != nil {
				t.Error(err)
			}
			if c.name != "k8s-baseline" {
				checkFailover(t, res)
			}
			h.checkNothingLeft(ctx, res.runID())
			return ctx
		})
	}
	testenv.Test(t, f.Feature())
}

// result is the part of results.json the tests read.
type result struct {
	Environment struct {
		Target struct {
			Kind    string `json:"kind"`
			Backend string `json:"backend"`
		} `json:"target"`
		Workers []struct {
			Pod          string `json:"pod"`
			ClockErrorNs int64  `json:"clockErrorNs"`
		} `json:"workers"`
	} `json:"environment"`
	Faults []struct {
		Phase         string `json:"phase"`
		AtNs          int64  `json:"atNs"`
		EngineAtNs    *int64 `json:"engineAtNs"`
		EngineErrorNs int64  `json:"engineErrorNs"`
		Err           string `json:"error"`
	} `json:"faults"`
	PathEvents []struct {
		Kind string `json:"kind"`
		Path string `json:"path"`
	} `json:"pathEvents"`
	Metrics json.RawMessage `json:"metrics"`
	dir     string
}

func (r result) runID() string {
	i := strings.LastIndexByte(r.dir, '-')
	return r.dir[i+1:]
}

func readResult(t *testing.T, path string) result {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	r.dir = filepath.Base(filepath.Dir(path))
	return r
}

// checkFailover wants the kill injected and recovered, and the host to
// have seen its optimized path go down and come back.
func checkFailover(t *testing.T, r result) {
	t.Helper()
	var phases []string
	for _, f := range r.Faults {
		phases = append(phases, f.Phase)
		if f.Err != "" {
			t.Errorf("fault %s: %s", f.Phase, f.Err)
		}
	}
	if strings.Join(phases, ",") != "inject,recover" {
		t.Errorf("fault phases %v, want inject,recover", phases)
	}
	var kinds []string
	for _, e := range r.PathEvents {
		kinds = append(kinds, e.Kind)
	}
	if !strings.Contains(strings.Join(kinds, ","), "down") || !strings.Contains(strings.Join(kinds, ","), "up") {
		t.Errorf("path events %v: want the killed path down and up again", kinds)
	}
}

// waitPod waits until a pod of the run's component is Running and returns
// its namespace and name.
func (h *harness) waitPod(ctx context.Context, component string, timeout time.Duration) (string, string) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var pods corev1.PodList
		err := h.cfg.Client().Resources().List(ctx, &pods, func(o *metav1.ListOptions) {
			o.LabelSelector = "app.kubernetes.io/managed-by=nvmf-chaos,app.kubernetes.io/component=" + component
		})
		if err == nil {
			for _, p := range pods.Items {
				if p.Status.Phase == corev1.PodRunning {
					return p.Namespace, p.Name
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	h.t.Fatalf("no running %s pod after %s", component, timeout)
	return "", ""
}

// A worker pod killed mid-run makes the run an error (exit 2) that names
// the worker, and the run still removes everything it made.
func TestKubernetesWorkerKilledIsAnError(t *testing.T) {
	f := features.New("worker killed").Assess("exit 2 with the reason", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
		h := newHarness(t, cfg)
		var out bytes.Buffer
		cmd := h.command(&out, "run", "k8s-baseline", "--duration", "30s", "--out", t.TempDir(), "--quiet")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ns, pod := h.waitPod(ctx, "worker", 2*time.Minute)
		time.Sleep(3 * time.Second) // well into the run
		grace := int64(0)
		cs, err := clientset(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := cs.CoreV1().Pods(ns).Delete(ctx, pod, metav1.DeleteOptions{GracePeriodSeconds: &grace}); err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Fatalf("run after its worker was killed: %v, want exit 2\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "worker pod "+pod) {
			t.Errorf("the error does not name the worker pod %s:\n%s", pod, out.String())
		}
		h.checkNothingLeft(ctx, strings.TrimPrefix(ns, "nvmf-chaos-"))
		return ctx
	}).Feature()
	testenv.Test(t, f)
}

// Ctrl-C mid-run stops the run and leaves nothing in the cluster; kill -9
// of the harness leaves its run for `cleanup --kubeconfig`, which removes
// it whole.
func TestKubernetesInterruptAndCrash(t *testing.T) {
	f := features.New("interrupted runs").
		Assess("Ctrl-C leaves nothing", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			h := newHarness(t, cfg)
			var out bytes.Buffer
			cmd := h.command(&out, "run", "k8s-target-kill", "--duration", "30s", "--out", t.TempDir(), "--quiet")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			ns, _ := h.waitPod(ctx, "worker", 2*time.Minute)
			_ = cmd.Process.Signal(syscall.SIGINT)
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Errorf("interrupted run: %v, want exit 2\n%s", err, out.String())
			}
			h.checkNothingLeft(ctx, strings.TrimPrefix(ns, "nvmf-chaos-"))
			return ctx
		}).
		Assess("cleanup removes a kill -9'd run", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
			h := newHarness(t, cfg)
			var out bytes.Buffer
			cmd := h.command(&out, "run", "k8s-target-kill", "--duration", "30s", "--out", t.TempDir(), "--quiet")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			ns, _ := h.waitPod(ctx, "worker", 2*time.Minute)
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			if left := h.runNamespaces(ctx); len(left) == 0 {
				t.Fatal("a killed harness left nothing to clean up: the test proves nothing")
			}
			code, text := h.run("cleanup")
			t.Log(text)
			if code != 0 || !strings.Contains(text, "namespace "+ns) {
				t.Fatalf("cleanup: exit %d", code)
			}
			deadline := time.Now().Add(time.Minute)
			for len(h.runNamespaces(ctx)) > 0 && time.Now().Before(deadline) {
				time.Sleep(500 * time.Millisecond)
			}
			h.checkNothingLeft(ctx, strings.TrimPrefix(ns, "nvmf-chaos-"))
			return ctx
		}).Feature()
	testenv.Test(t, f)
}
