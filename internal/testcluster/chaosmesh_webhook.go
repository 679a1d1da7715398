package testcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// chaosMeshWebhookKinds are the kinds upstream's Helm chart registers
// webhooks for (values.yaml webhook.CRDS), lower-case kind to plural. Its
// remotecluster entry is left out: the chart names a resource that does
// not exist for it.
var chaosMeshWebhookKinds = [][2]string{
	{"podchaos", "podchaos"}, {"iochaos", "iochaos"}, {"timechaos", "timechaos"},
	{"networkchaos", "networkchaos"}, {"kernelchaos", "kernelchaos"}, {"stresschaos", "stresschaos"},
	{"awschaos", "awschaos"}, {"azurechaos", "azurechaos"}, {"gcpchaos", "gcpchaos"},
	{"dnschaos", "dnschaos"}, {"jvmchaos", "jvmchaos"}, {"schedule", "schedules"},
	{"workflow", "workflows"}, {"httpchaos", "httpchaos"}, {"blockchaos", "blockchaos"},
	{"physicalmachinechaos", "physicalmachinechaos"}, {"physicalmachine", "physicalmachines"},
	{"statuscheck", "statuschecks"},
}

// chaosMeshWebhookConfig names both webhook configurations.
const chaosMeshWebhookConfig = "chaos-mesh"

// registerWebhooks creates the mutating and validating webhook
// configurations the Helm chart would, calling the controller by URL on
// the node's address (there is no Service in front of a host process)
// with the cluster CA as the trust anchor, instead of cert-manager.
func registerWebhooks(ctx context.Context, l Layout, cp Node) error {
	caPEM, err := os.ReadFile(l.pki("ca.crt"))
	if err != nil {
		return fmt.Errorf("webhook CA: %w", err)
	}
	cs, err := Client(l)
	if err != nil {
		return err
	}
	base := fmt.Sprintf("https://%s:%d", cp.IP, chaosMeshWebhookPort)
	// The API server stops waiting after this and, the policy being Fail,
	// refuses the object: a Chaos object is never stored unchecked.
	timeout := ptr.To[int32](5)
	fail := ptr.To(admissionv1.Fail)
	none := ptr.To(admissionv1.SideEffectClassNone)
	mutating := &admissionv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: chaosMeshWebhookConfig}}
	validating := &admissionv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: chaosMeshWebhookConfig}}
	for _, k := range chaosMeshWebhookKinds {
		kind, plural := k[0], k[1]
		rules := []admissionv1.RuleWithOperations{{
			Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update},
			Rule: admissionv1.Rule{
				APIGroups: []string{v1alpha1.SchemeGroupVersion.Group}, APIVersions: []string{v1alpha1.SchemeGroupVersion.Version},
				Resources: []string{plural},
			},
		}}
		// controller-runtime's path for a kind's webhook.
		suffix := "-chaos-mesh-org-v1alpha1-" + kind
		mutating.Webhooks = append(mutating.Webhooks, admissionv1.MutatingWebhook{
			Name:                    "m" + kind + ".kb.io",
			ClientConfig:            admissionv1.WebhookClientConfig{URL: ptr.To(base + "/mutate" + suffix), CABundle: caPEM},
			Rules:                   rules,
			FailurePolicy:           fail,
			SideEffects:             none,
			TimeoutSeconds:          timeout,
			AdmissionReviewVersions: []string{"v1"},
		})
		validating.Webhooks = append(validating.Webhooks, admissionv1.ValidatingWebhook{
			Name:                    "v" + kind + ".kb.io",
			ClientConfig:            admissionv1.WebhookClientConfig{URL: ptr.To(base + "/validate" + suffix), CABundle: caPEM},
			Rules:                   rules,
			FailurePolicy:           fail,
			SideEffects:             none,
			TimeoutSeconds:          timeout,
			AdmissionReviewVersions: []string{"v1"},
		})
	}
	api := cs.AdmissionregistrationV1()
	if _, err := api.MutatingWebhookConfigurations().Create(ctx, mutating, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("mutating webhooks: %w", err)
	}
	if _, err := api.ValidatingWebhookConfigurations().Create(ctx, validating, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("validating webhooks: %w", err)
	}
	return nil
}

// probeWebhooks checks both webhooks end to end with dry-run creates: a
// PodChaos without namespaces comes back with its own (the mutating
// webhook's default), and a container-kill without container names is
// refused (the validating webhook's rule).
func probeWebhooks(ctx context.Context, l Layout) error {
	c, err := chaosClient(l)
	if err != nil {
		return err
	}
	probe := func(action v1alpha1.PodChaosAction) *v1alpha1.PodChaos {
		return &v1alpha1.PodChaos{
			ObjectMeta: metav1.ObjectMeta{Name: "nck8s-webhook-probe", Namespace: ChaosMeshNamespace},
			Spec: v1alpha1.PodChaosSpec{
				Action: action,
				ContainerSelector: v1alpha1.ContainerSelector{PodSelector: v1alpha1.PodSelector{
					Mode:     v1alpha1.OneMode,
					Selector: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{LabelSelectors: map[string]string{"nck8s-probe": "none"}}},
				}},
			},
		}
	}
	pc := probe(v1alpha1.PodKillAction)
	if err := c.Create(ctx, pc, client.DryRunAll); err != nil {
		return fmt.Errorf("dry-run PodChaos: %w", err)
	}
	if got := pc.Spec.Selector.Namespaces; !slices.Equal(got, []string{ChaosMeshNamespace}) {
		return fmt.Errorf("dry-run PodChaos: selector namespaces %v, want [%s] set by the mutating webhook", got, ChaosMeshNamespace)
	}
	err = c.Create(ctx, probe(v1alpha1.ContainerKillAction), client.DryRunAll)
	var status apierrors.APIStatus
	if err == nil || !errors.As(err, &status) || !strings.Contains(err.Error(), "containerNames") {
		return fmt.Errorf("dry-run container-kill without container names: want refused by the validating webhook, got %v", err)
	}
	return nil
}

// chaosClient is a client for the typed Chaos Mesh API and the core one.
func chaosClient(l Layout) (client.Client, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", l.Kubeconfig())
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", l.Kubeconfig(), err)
	}
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("chaos mesh scheme: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("chaos mesh client: %w", err)
	}
	return c, nil
}
