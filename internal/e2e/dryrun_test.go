//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/e2e-framework/klient/k8s"
	"sigs.k8s.io/e2e-framework/klient/wait"
	"sigs.k8s.io/e2e-framework/klient/wait/conditions"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"
)

// run --dry-run prints what a run would create and creates nothing; the
// printed objects, applied as kubectl apply would, are accepted and the
// target pods among them come up Ready.
func TestDryRunPrintsApplicableObjects(t *testing.T) {
	f := features.New("run --dry-run").Assess("prints objects the cluster accepts, creates none", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
		h := newHarness(t, cfg)
		before := h.runNamespaces(ctx)
		code, text := h.run("run", "k8s-target-kill", "--dry-run")
		if code != 0 {
			t.Fatalf("--dry-run exited %d:\n%s", code, text)
		}
		if after := h.runNamespaces(ctx); len(after) != len(before) {
			t.Fatalf("--dry-run created namespaces: %v", after)
		}
		decode := clientgoscheme.Codecs.UniversalDeserializer().Decode
		var objs []k8s.Object
		for _, doc := range strings.Split(strings.TrimPrefix(text, "---\n"), "\n---\n") {
			o, _, err := decode([]byte(doc), nil, nil)
			if err != nil {
				t.Fatalf("a printed document does not decode: %v\n%s", err, doc)
			}
			objs = append(objs, o.(k8s.Object))
		}
		ns, ok := objs[0].(*corev1.Namespace)
		if !ok {
			t.Fatalf("first object %T, want the run's namespace", objs[0])
		}
		res := cfg.Client().Resources()
		defer func() {
			_ = res.Delete(context.WithoutCancel(ctx), ns)
			runID := ns.Labels["nvmf-chaos.io/run-id"]
			_ = wait.For(conditions.New(res).ResourceDeleted(ns), wait.WithTimeout(2*time.Minute))
			_ = os.RemoveAll(filepath.Join("/var/lib/nvmf-chaos", runID)) // the nodes are this machine
		}()
		var pods []*corev1.Pod
		for _, o := range objs {
			if err := res.Create(ctx, o); err != nil {
				t.Fatalf("%s %s: refused: %v", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), err)
			}
			if p, ok := o.(*corev1.Pod); ok {
				pods = append(pods, p)
			}
		}
		if len(pods) != 2 {
			t.Fatalf("%d target pods printed, want 2", len(pods))
		}
		for _, p := range pods {
			if err := wait.For(conditions.New(res).PodConditionMatch(p, corev1.PodReady, corev1.ConditionTrue), wait.WithTimeout(2*time.Minute)); err != nil {
				t.Errorf("target pod %s from the printed objects not Ready: %v", p.Name, err)
			}
		}
		return ctx
	}).Feature()
	testenv.Test(t, f)
}
