package kube

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
)

// Forward is a port-forward from 127.0.0.1 to a pod's port through the API
// server, as `kubectl port-forward` does: it works on every cluster,
// whatever its network, and it ends when the pod goes.
type Forward struct {
	// Addr is the local end, 127.0.0.1:PORT.
	Addr string
	stop chan struct{}
	once sync.Once
	done chan struct{}
	errs *syncBuffer
}

// Forward opens a port-forward to ns/pod:port.
func (c *Client) Forward(ctx context.Context, ns, pod string, port int) (*Forward, error) {
	transport, upgrader, err := spdy.RoundTripperFor(c.Config)
	if err != nil {
		return nil, fmt.Errorf("port-forward to %s/%s: %w", ns, pod, err)
	}
	u := c.CS.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("portforward").URL()
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, u)
	f := &Forward{stop: make(chan struct{}), done: make(chan struct{}), errs: &syncBuffer{}}
	ready := make(chan struct{})
	pf, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{fmt.Sprintf("0:%d", port)}, f.stop, ready, io.Discard, f.errs)
	if err != nil {
		return nil, fmt.Errorf("port-forward to %s/%s:%d: %w", ns, pod, port, err)
	}
	runErr := make(chan error, 1)
	go func() {
		defer close(f.done)
		runErr <- pf.ForwardPorts()
	}()
	select {
	case <-ready:
	case err := <-runErr:
		return nil, fmt.Errorf("port-forward to %s/%s:%d: %w %s", ns, pod, port, err, f.errs.String())
	case <-ctx.Done():
		f.Close()
		return nil, fmt.Errorf("port-forward to %s/%s:%d: %w", ns, pod, port, ctx.Err())
	}
	ports, err := pf.GetPorts()
	if err != nil || len(ports) != 1 {
		f.Close()
		return nil, fmt.Errorf("port-forward to %s/%s:%d: no local port: %v", ns, pod, port, err)
	}
	f.Addr = fmt.Sprintf("127.0.0.1:%d", ports[0].Local)
	return f, nil
}

// Close stops the forward; safe to call twice.
func (f *Forward) Close() {
	f.once.Do(func() { close(f.stop) })
	<-f.done
}

// syncBuffer collects the forwarder's error output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.TrimSpace(s.b.String())
}
