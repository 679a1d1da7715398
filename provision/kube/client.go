package kube

import (
	"context"
	"fmt"
	"sync"

	"github.com/go-logr/logr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"sigs.k8s.io/e2e-framework/klient"
)

var quietKlog sync.Once

// Client reaches one cluster: klient for typed objects, a clientset for
// what klient lacks (logs, access reviews, port-forward URLs).
type Client struct {
	K      klient.Client
	CS     kubernetes.Interface
	Config *rest.Config
	// Source names the kubeconfig and context, for messages.
	Source string
}

// Connect loads a kubeconfig as kubectl does: the file named (else
// $KUBECONFIG, else ~/.kube/config) and the context named (else its
// current context).
func Connect(kubeconfig, kubeContext string) (*Client, error) {
	quietKlog.Do(func() {
		// client-go logs what it also returns (a port-forward's stream
		// reset when its pod is killed, which a fault does on purpose)
		// straight to stderr, over the run's progress lines.
		klog.SetLogger(logr.Discard())
	})
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: kubeContext}
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := loader.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	raw, _ := loader.RawConfig()
	source := rules.GetDefaultFilename()
	if kubeconfig != "" {
		source = kubeconfig
	}
	ctxName := kubeContext
	if ctxName == "" {
		ctxName = raw.CurrentContext
	}
	source += " (context " + ctxName + ")"
	cfg.QPS, cfg.Burst = 50, 100
	k, err := klient.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", source, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", source, err)
	}
	return &Client{K: k, CS: cs, Config: cfg, Source: source}, nil
}

// Reachable asks the API server for its version.
func (c *Client) Reachable(ctx context.Context) (string, error) {
	type result struct {
		v   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := c.CS.Discovery().ServerVersion()
		if err != nil {
			done <- result{err: err}
			return
		}
		done <- result{v: v.GitVersion}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return "", fmt.Errorf("API server of %s unreachable: %w", c.Source, r.err)
		}
		return r.v, nil
	case <-ctx.Done():
		return "", fmt.Errorf("API server of %s: %w", c.Source, ctx.Err())
	}
}
