package catalog

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	authv1 "k8s.io/api/authorization/v1"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/chaosmesh"
	"github.com/nvmf-chaos/nvmf-chaos/faults/kubeapi"
	"github.com/nvmf-chaos/nvmf-chaos/faults/local"
	"github.com/nvmf-chaos/nvmf-chaos/faults/rpcfault"
	"github.com/nvmf-chaos/nvmf-chaos/provision/kube"
)

// Def defines a fault kind whose parameters parse into a P. A kind's file
// declares one with Define; a builder left nil means the engine cannot
// inject the kind.
type Def[P any] struct {
	Kind faults.Kind
	// Summary is one line for `nvmf-chaos list --faults` and errors.
	Summary string
	// Params are the params keys a scenario may give, with their
	// defaults; any other key is refused.
	Params []Param
	// Parse reads the params (defaults filled in) into a P, reporting
	// each bad value through v. Nil for a kind that takes none.
	Parse func(v *Values) P
	// NeedsDuration means the fault has a recover step and a scenario
	// must say how long it lasts.
	NeedsDuration bool
	// Immediate means the fault acts on I/O the moment it is injected (a
	// dead, stopped or unreachable path): a stall it causes starts then,
	// however long it lasts. The others degrade I/O while they last and
	// may cause a stall at any point.
	Immediate bool
	// NeedsRoot means the local engine acts in the node's network
	// namespace (nftables, tc), which needs root.
	NeedsRoot bool
	// OnProcess means the kind acts on the node's target process, which
	// the harness must run: an external target cannot take it.
	OnProcess bool
	// OnCluster means the kind acts on the cluster around the targets
	// (the storage driver), so it runs beside external targets too.
	OnCluster bool
	// Fits refuses, at validation, a use of the kind its engine cannot
	// do with these params (a *ParamError points at the param). Nil:
	// every use its engines allow fits.
	Fits func(w Where, p P) error

	// Local builds the fault on this machine; d is its scheduled
	// duration, bounding what must stop by itself.
	Local func(n *local.Node, p P, d time.Duration) (faults.Fault, error)
	// LocalNeeds reports what this machine lacks to inject the kind
	// locally (root, a tool), before any fault is built.
	LocalNeeds func() error
	// LocalProxy means the local builder acts through the delaying proxy
	// (local.Node.Proxy), which the run then puts on the host's path to
	// the node.
	LocalProxy bool

	// RPC builds the fault on one volume's listener and bdevs through the
	// target's JSON-RPC; a node exporting several volumes gets one per
	// volume, grouped.
	RPC func(v Volume, p P, d time.Duration) (faults.Fault, error)
	// Stack is what the volume's bdev stack must hold for the RPC fault.
	Stack Stack

	// Native builds the fault through the Kubernetes API alone.
	Native func(run kubeapi.Run, node string, p P) (faults.Fault, error)
	// NativeAccess is what the native fault does through the API beyond
	// what every run does, for the permission check before a run.
	NativeAccess func(p P) []authv1.ResourceAttributes
	// NativeCheck looks, before a run, for what the native fault acts on
	// and the cluster may lack.
	NativeCheck func(ctx context.Context, c *kube.Client, p P) error

	// Chaos makes the kind a Chaos Mesh object.
	Chaos *Chaos[P]
}

// Chaos is how a kind is injected as a Chaos Mesh object.
type Chaos[P any] struct {
	// Object builds the object acting on t.
	Object func(t chaosmesh.Target, p P) (chaosmesh.Object, error)
	// Needs is what the object needs of the cluster.
	Needs chaosmesh.Needs
	// BringBack means the chaos leaves the node's target pod gone or
	// dead: the run brings it back, provisioned, once it is recovered.
	BringBack bool
}

// Where is where a scenario injects a fault, for a kind's Fits.
type Where struct {
	// Kube is the kubernetes backend; else the local one.
	Kube bool
	// SPDK is SPDK's nvmf_tgt as the target; External a target the
	// harness does not run.
	SPDK, External bool
	// Engine is the engine chosen (on the local backend: local or rpc).
	Engine Engine
}

// Volume is one volume's share on a node: what the target-RPC kinds act
// on.
type Volume struct {
	// L is the node's listener of the volume's subsystem.
	L rpcfault.Listener
	// DelayBdev and ErrorBdev name the volume's delay and error bdevs,
	// there when a fault on the node asked for them (Stack).
	DelayBdev, ErrorBdev string
}

// Stack is what a volume's bdev stack holds beside its backing.
type Stack struct {
	// Delay is a delay bdev (bdev_delay); Errors an error bdev.
	Delay, Errors bool
}

// Spec is one registered kind: what validation, the run and the CLI know
// of it. It is made by Define and never changed.
type Spec struct {
	Kind          faults.Kind
	Summary       string
	Params        []Param
	NeedsDuration bool
	Immediate     bool
	NeedsRoot     bool
	OnProcess     bool
	OnCluster     bool
	LocalProxy    bool
	// Engines can inject the kind, in the order local, rpc, native,
	// chaos-mesh; on Kubernetes the first of native and chaos-mesh is
	// the default.
	Engines []Engine
	// Stack is what the kind's volumes need (RPC kinds).
	Stack Stack
	// ChaosNeeds is what the kind's Chaos Mesh objects need.
	ChaosNeeds chaosmesh.Needs

	parse        func(v *Values) any
	fits         func(w Where, p any) error
	local        func(n *local.Node, p any, d time.Duration) (faults.Fault, error)
	localNeeds   func() error
	rpc          func(v Volume, p any, d time.Duration) (faults.Fault, error)
	native       func(run kubeapi.Run, node string, p any) (faults.Fault, error)
	nativeAccess func(p any) []authv1.ResourceAttributes
	nativeCheck  func(ctx context.Context, c *kube.Client, p any) error
	chaos        func(t chaosmesh.Target, p any) (chaosmesh.Object, error)
	bringBack    bool
}

// Define turns a kind's Def into its Spec, the typed builders wrapped to
// take the params Spec.Parse returns.
func Define[P any](d Def[P]) *Spec {
	s := &Spec{Kind: d.Kind, Summary: d.Summary, Params: d.Params, NeedsDuration: d.NeedsDuration,
		Immediate: d.Immediate, NeedsRoot: d.NeedsRoot, OnProcess: d.OnProcess, OnCluster: d.OnCluster,
		LocalProxy: d.LocalProxy,
		Stack:      d.Stack, localNeeds: d.LocalNeeds}
	s.parse = func(v *Values) any {
		var p P
		if d.Parse != nil {
			p = d.Parse(v)
		}
		return p
	}
	if d.Fits != nil {
		s.fits = func(w Where, p any) error { return d.Fits(w, p.(P)) }
	}
	if d.Local != nil {
		s.Engines = append(s.Engines, EngineLocal)
		s.local = func(n *local.Node, p any, dur time.Duration) (faults.Fault, error) { return d.Local(n, p.(P), dur) }
	}
	if d.RPC != nil {
		s.Engines = append(s.Engines, EngineRPC)
		s.rpc = func(v Volume, p any, dur time.Duration) (faults.Fault, error) { return d.RPC(v, p.(P), dur) }
	}
	if d.Native != nil {
		s.Engines = append(s.Engines, EngineNative)
		s.native = func(run kubeapi.Run, node string, p any) (faults.Fault, error) { return d.Native(run, node, p.(P)) }
	}
	if d.NativeAccess != nil {
		s.nativeAccess = func(p any) []authv1.ResourceAttributes { return d.NativeAccess(p.(P)) }
	}
	if d.NativeCheck != nil {
		s.nativeCheck = func(ctx context.Context, c *kube.Client, p any) error { return d.NativeCheck(ctx, c, p.(P)) }
	}
	if c := d.Chaos; c != nil {
		s.Engines = append(s.Engines, EngineChaosMesh)
		s.chaos = func(t chaosmesh.Target, p any) (chaosmesh.Object, error) { return c.Object(t, p.(P)) }
		s.ChaosNeeds, s.bringBack = c.Needs, c.BringBack
	}
	return s
}

// ParamNames lists the params keys the kind accepts, sorted.
func (s *Spec) ParamNames() []string {
	out := make([]string, len(s.Params))
	for i, p := range s.Params {
		out[i] = p.Name
	}
	sort.Strings(out)
	return out
}

// Parse checks a scenario's params for the kind and reads them, defaults
// filled in, into the Config every builder takes. The error joins one
// *ParamError per bad parameter (ParamErrors lists them).
func (s *Spec) Parse(given map[string]string) (Config, error) {
	v := &Values{m: make(map[string]string, len(s.Params))}
	for _, p := range s.Params {
		v.m[p.Name] = p.Default
	}
	for _, k := range slices.Sorted(maps.Keys(given)) {
		if _, ok := v.m[k]; !ok {
			v.errs = append(v.errs, &ParamError{Name: k, Value: given[k],
				Msg: fmt.Sprintf("%s takes no parameter %q (allowed: %s)", s.Kind, k, strings.Join(s.ParamNames(), ", "))})
			continue
		}
		v.m[k] = given[k]
	}
	p := s.parse(v)
	if len(v.errs) > 0 {
		return Config{}, errors.Join(v.errs...)
	}
	return Config{Spec: s, p: p}, nil
}

// CheckParam checks one parameter's value for the kind, the others left
// at their defaults: a sweep's value before its cell is built.
func (s *Spec) CheckParam(name, value string) error {
	_, err := s.Parse(map[string]string{name: value})
	for _, pe := range ParamErrors(err) {
		if pe.Name == name {
			return pe
		}
	}
	return nil
}
