package catalog

import (
	"context"
	"errors"
	"fmt"
	"time"

	authv1 "k8s.io/api/authorization/v1"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/chaosmesh"
	"github.com/nvmf-chaos/nvmf-chaos/faults/kubeapi"
	"github.com/nvmf-chaos/nvmf-chaos/faults/local"
	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
)

// Config is a fault of one kind with its params parsed and checked: what
// validation hands the run, and what every engine's builder takes, so the
// params are read once. The zero Config is no fault.
type Config struct {
	*Spec
	p any
}

// Fits refuses what the kind cannot do at w with these params.
func (c Config) Fits(w Where) error {
	if c.fits == nil {
		return nil
	}
	return c.fits(w, c.p)
}

// LocalNeeds reports what this machine lacks to inject the kind locally.
func (c Config) LocalNeeds() error {
	if c.localNeeds == nil {
		return nil
	}
	return c.localNeeds()
}

// BuildLocal builds the fault for the local engine on node n; d is its
// scheduled duration. Errors do not repeat the kind and node, which the
// caller names.
func (c Config) BuildLocal(n *local.Node, d time.Duration) (faults.Fault, error) {
	switch {
	case c.local == nil:
		return nil, fmt.Errorf("%s is not a local fault: its engines are %s", c.Kind, engineList(c.Engines))
	case n == nil:
		return nil, fmt.Errorf("%s: no node", c.Kind)
	}
	return c.local(n, c.p, d)
}

// BuildRPC builds the fault through the target's RPC on each of a node's
// volumes: one fault acting on all of them.
func (c Config) BuildRPC(vols []Volume, d time.Duration) (faults.Fault, error) {
	if c.rpc == nil {
		return nil, fmt.Errorf("%s does not go through the target's RPC: its engines are %s", c.Kind, engineList(c.Engines))
	}
	if len(vols) == 0 {
		return nil, errors.New("the node exports no volume")
	}
	fs := make([]faults.Fault, 0, len(vols))
	for _, v := range vols {
		f, err := c.rpc(v, c.p, d)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	if len(fs) == 1 {
		return fs[0], nil
	}
	return NewGroup(fs), nil
}

// BuildNative builds the fault through the Kubernetes API alone, on the
// target pod of scenario node node.
func (c Config) BuildNative(run kubeapi.Run, node string) (faults.Fault, error) {
	if c.native == nil {
		return nil, fmt.Errorf("%s has no native engine", c.Kind)
	}
	return c.native(run, node, c.p)
}

// NativeAccess is what the native fault does through the API beyond what
// every run does.
func (c Config) NativeAccess() []authv1.ResourceAttributes {
	if c.nativeAccess == nil {
		return nil
	}
	return c.nativeAccess(c.p)
}

// NativeCheck looks, before a run, for what the native fault acts on.
func (c Config) NativeCheck(ctx context.Context, kc *kube.Client) error {
	if c.nativeCheck == nil {
		return nil
	}
	return c.nativeCheck(ctx, kc, c.p)
}

// ChaosObject builds the Chaos Mesh object of the fault acting on t.
func (c Config) ChaosObject(t chaosmesh.Target) (chaosmesh.Object, error) {
	if c.chaos == nil {
		return nil, fmt.Errorf("%s has no Chaos Mesh object", c.Kind)
	}
	return c.chaos(t, c.p)
}

// BringsBack reports whether the run must bring the node's target pod
// back once the kind's Chaos Mesh object is gone.
func (c Config) BringsBack() bool { return c.bringBack }
