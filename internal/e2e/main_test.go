//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
)

var testenv env.Environment

// image is the nvmf-chaos image pods run; the test cluster imports it.
var image = envOr("NVMF_CHAOS_IMAGE", "nvmf-chaos:dev")

func TestMain(m *testing.M) {
	cfg, err := envconf.NewFromFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(2)
	}
	testenv = env.NewWithConfig(cfg)
	testenv.BeforeEachTest(createNamespace)
	testenv.AfterEachTest(deleteNamespace)
	os.Exit(testenv.Run(m))
}

type nsKey struct{}

// createNamespace gives each test a namespace of its own, labelled as the
// project's, and stores its name in the context.
func createNamespace(ctx context.Context, cfg *envconf.Config, t *testing.T) (context.Context, error) {
	name := envconf.RandomName("nvmfc-e2e", 16)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   name,
		Labels: map[string]string{"app.kubernetes.io/managed-by": "nvmf-chaos-e2e"},
	}}
	if err := cfg.Client().Resources().Create(ctx, ns); err != nil {
		return ctx, fmt.Errorf("creating namespace %s: %w", name, err)
	}
	t.Logf("namespace %s", name)
	return context.WithValue(ctx, nsKey{}, name), nil
}

func deleteNamespace(ctx context.Context, cfg *envconf.Config, t *testing.T) (context.Context, error) {
	name, _ := ctx.Value(nsKey{}).(string)
	if name == "" {
		return ctx, nil
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := cfg.Client().Resources().Delete(ctx, ns); err != nil {
		return ctx, fmt.Errorf("deleting namespace %s: %w", name, err)
	}
	return ctx, nil
}

// namespace is the test's own namespace.
func namespace(ctx context.Context) string {
	name, _ := ctx.Value(nsKey{}).(string)
	return name
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
