package testcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Chaos Mesh in the test cluster (Up with Options.ChaosMesh): the module's
// own CRDs, the chaos-mesh namespace, and chaos-controller-manager run as a
// host process in the first node's namespace, as kube-scheduler is, with
// its admission webhooks registered so Chaos objects are defaulted and
// validated as in a real install. chaos-daemon is not run: its helpers
// are not Go and cannot be built here, so only what the controller does
// through the API alone is injected (PodChaos pod-kill and pod-failure);
// other kinds are accepted, validated and recorded as failing to inject.
const (
	// ChaosMeshNamespace is the controller's namespace: its leader
	// election Lease lives there.
	ChaosMeshNamespace = "chaos-mesh"
	// ChaosMeshLease is the name of the Lease the controller holds while it
	// leads (controller-runtime's LeaderElectionID upstream hard-codes).
	ChaosMeshLease = "chaos-mesh"
	// chaosMeshComponent names the process, its log and its binary.
	chaosMeshComponent = "chaos-controller-manager"
	// The controller's listeners, on the first node's address: its
	// metrics (the health check reads them) and its webhook server (the
	// API server calls it).
	chaosMeshMetricsPort = 10080
	chaosMeshWebhookPort = 9443
)

// ChaosMeshCRDs is the CRD manifest scripts/k8s/build-chaos-mesh.sh copies
// from the chaos-mesh module into the cache.
func (l Layout) ChaosMeshCRDs() string { return filepath.Join(l.Cache, "chaos-mesh", "crd.yaml") }

// chaosMeshCertDir holds the webhook server's tls.crt and tls.key, the
// names controller-runtime's webhook server reads.
func (l Layout) chaosMeshCertDir() string { return filepath.Join(l.Dir, "chaos-mesh", "certs") }

// chaosMeshOf is the controller's process. Chaos Mesh reads its settings
// from the environment only (envconfig, pkg/config/controller.go
// upstream); every listener is on the node's address, never 0.0.0.0.
func chaosMeshOf(l Layout, cp Node) component {
	ip := cp.IP.String()
	return component{
		name: chaosMeshComponent, netns: cp.Netns, bin: l.Bin(chaosMeshComponent),
		env: []string{
			"KUBECONFIG=" + l.Kubeconfig(),
			// The namespace it "runs in": where its Lease is kept.
			"NAMESPACE=" + ChaosMeshNamespace,
			"CLUSTER_SCOPED=true",
			"ENABLE_LEADER_ELECTION=true",
			"METRICS_HOST=" + ip,
			"METRICS_PORT=" + strconv.Itoa(chaosMeshMetricsPort),
			"WEBHOOK_HOST=" + ip,
			"WEBHOOK_PORT=" + strconv.Itoa(chaosMeshWebhookPort),
			"CERTS_DIR=" + l.chaosMeshCertDir(),
			"PPROF_ADDR=0",
			// pod-failure swaps containers' images for this one; the
			// cluster has no registry, but every node has the sandbox image.
			"POD_FAILURE_PAUSE_IMAGE=" + SandboxImage,
			"TZ=UTC",
		},
	}
}

// startChaosMesh installs the CRDs and the namespace, starts the
// controller and waits until it leads, then registers its webhooks and
// waits until a dry-run PodChaos comes back defaulted by them.
func startChaosMesh(ctx context.Context, o Options, st *State) error {
	l := o.Layout
	cp := st.Nodes[0]
	cs, err := Client(l)
	if err != nil {
		return err
	}
	t0 := time.Now()
	n, err := installCRDs(ctx, l, l.ChaosMeshCRDs())
	if err != nil {
		return fmt.Errorf("chaos mesh: %w", err)
	}
	fmt.Fprintf(o.Out, "  chaos mesh: %d CRDs established in %.1f s\n", n, time.Since(t0).Seconds())
	if err := ensureNamespace(ctx, cs, ChaosMeshNamespace); err != nil {
		return fmt.Errorf("chaos mesh: %w", err)
	}
	if err := writeChaosMeshCerts(l); err != nil {
		return fmt.Errorf("chaos mesh: %w", err)
	}
	// A Lease left by an earlier controller names its holder until it
	// expires: ready is when a new holder, this process, has it.
	previous, _ := ChaosMeshLeader(ctx, cs)
	ready := func(ctx context.Context, n Node) error {
		if err := httpOK(ctx, fmt.Sprintf("http://%s:%d/metrics", n.IP, chaosMeshMetricsPort), ""); err != nil {
			return err
		}
		holder, err := ChaosMeshLeader(ctx, cs)
		if err == nil && holder == previous {
			err = fmt.Errorf("lease %s/%s still held by the previous controller %s", ChaosMeshNamespace, ChaosMeshLease, holder)
		}
		return err
	}
	if err := startAndWait(ctx, o, st, chaosMeshOf(l, cp), ready, 2*time.Minute); err != nil {
		return err
	}
	t1 := time.Now()
	if err := registerWebhooks(ctx, l, cp); err != nil {
		return fmt.Errorf("chaos mesh: %w", err)
	}
	err = waitHealthy(ctx, "chaos mesh webhooks", st.proc(chaosMeshComponent), time.Minute, func(ctx context.Context) error {
		return probeWebhooks(ctx, l)
	})
	if err != nil {
		return failure(l, chaosMeshComponent, err)
	}
	fmt.Fprintf(o.Out, "  chaos mesh: webhooks answer in %.1f s (%.1f s in all)\n", time.Since(t1).Seconds(), time.Since(t0).Seconds())
	return nil
}

// ChaosMeshLeader returns the holder of the controller's leader election
// Lease, or an error if nobody holds it: the Lease is missing, has no
// holder, or was not renewed within its duration. The last case is a
// controller that died or stopped: it does not release the Lease
// (upstream leaves LeaderElectionReleaseOnCancel off), so its holder stays
// named until a new controller takes over.
func ChaosMeshLeader(ctx context.Context, cs kubernetes.Interface) (string, error) {
	name := ChaosMeshNamespace + "/" + ChaosMeshLease
	lease, err := cs.CoordinationV1().Leases(ChaosMeshNamespace).Get(ctx, ChaosMeshLease, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("lease %s: %w", name, err)
	}
	spec := lease.Spec
	if spec.HolderIdentity == nil || *spec.HolderIdentity == "" {
		return "", fmt.Errorf("lease %s has no holder", name)
	}
	if spec.RenewTime == nil || spec.LeaseDurationSeconds == nil {
		return "", fmt.Errorf("lease %s held by %s was never renewed", name, *spec.HolderIdentity)
	}
	if age := time.Since(spec.RenewTime.Time); age > time.Duration(*spec.LeaseDurationSeconds)*time.Second {
		return "", fmt.Errorf("lease %s held by %s expired: not renewed for %s", name, *spec.HolderIdentity, age.Round(time.Second))
	}
	return *spec.HolderIdentity, nil
}

func ensureNamespace(ctx context.Context, cs kubernetes.Interface, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   name,
		Labels: map[string]string{"app.kubernetes.io/managed-by": "nvmf-chaos-testcluster"},
	}}
	_, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}

// writeChaosMeshCerts copies the webhook serving certificate writePKI made
// to the file names controller-runtime's webhook server wants.
func writeChaosMeshCerts(l Layout) error {
	dir := l.chaosMeshCertDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	for src, dst := range map[string]string{"chaos-mesh-webhook.crt": "tls.crt", "chaos-mesh-webhook.key": "tls.key"} {
		b, err := os.ReadFile(l.pki(src))
		if err != nil {
			return fmt.Errorf("webhook certificate: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o600); err != nil {
			return fmt.Errorf("webhook certificate: %w", err)
		}
	}
	return nil
}
