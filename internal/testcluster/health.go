package testcluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Client returns a clientset for the cluster's admin kubeconfig.
func Client(l Layout) (*kubernetes.Clientset, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", l.Kubeconfig())
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", l.Kubeconfig(), err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", l.Kubeconfig(), err)
	}
	return cs, nil
}

// healthChecks maps each component (without its node suffix) to the check
// that says it serves.
func healthChecks(l Layout, cp Node) map[string]func(context.Context, Node) error {
	return map[string]func(context.Context, Node) error{
		"etcd": func(ctx context.Context, _ Node) error {
			return httpOK(ctx, fmt.Sprintf("http://%s:%d/health", cp.IP, etcdPort), `"health":"true"`)
		},
		"kube-apiserver": func(ctx context.Context, _ Node) error {
			cs, err := Client(l)
			if err != nil {
				return err
			}
			body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
			if err != nil {
				return fmt.Errorf("readyz: %w: %s", err, body)
			}
			return nil
		},
		"kube-controller-manager": func(ctx context.Context, _ Node) error {
			return httpOK(ctx, fmt.Sprintf("https://%s:10257/healthz", cp.IP), "ok")
		},
		"kube-scheduler": func(ctx context.Context, _ Node) error {
			return httpOK(ctx, fmt.Sprintf("https://%s:10259/healthz", cp.IP), "ok")
		},
		"kubelet": func(ctx context.Context, n Node) error {
			cs, err := Client(l)
			if err != nil {
				return err
			}
			_, err = cs.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("node %s not registered: %w", n.Name, err)
			}
			return nil
		},
		"kube-proxy": func(ctx context.Context, n Node) error {
			return httpOK(ctx, fmt.Sprintf("http://%s:10256/healthz", n.IP), "")
		},
	}
}

// containerdReady checks that a node's containerd answers its ctr client.
func containerdReady(l Layout, n Node) func(context.Context, Node) error {
	return func(ctx context.Context, _ Node) error {
		out, err := exec.CommandContext(ctx, l.Bin("ctr"), "--address", l.containerdSocket(n), "version").CombinedOutput()
		if err != nil {
			return fmt.Errorf("ctr version: %w: %s", err, strings.TrimSpace(string(out)))
		}
		return nil
	}
}

// insecureHTTP reads the health endpoints of components that serve them
// with self-signed certificates; only on the cluster's own bridge.
var insecureHTTP = &http.Client{Transport: &http.Transport{
	TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // self-signed health endpoints on the test cluster's bridge
}}

// httpOK GETs url and wants 200 and, if want is set, want in the body.
func httpOK(ctx context.Context, url, want string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := insecureHTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	if want != "" && !strings.Contains(string(body), want) {
		return fmt.Errorf("GET %s: %q lacks %q", url, body, want)
	}
	return nil
}
