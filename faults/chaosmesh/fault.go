package chaosmesh

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/internal/poll"
)

// NewClient is a client that knows the Chaos Mesh types.
func NewClient(cfg *rest.Config) (client.Client, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		return nil, fmt.Errorf("chaos-mesh client: %w", err)
	}
	return c, nil
}

// pollEvery is how often the fault reads the object's status.
const pollEvery = 100 * time.Millisecond

// injectTimeout bounds the wait for AllInjected: a controller acts within
// a second when it can (0.2-0.4 s measured for pod-kill).
const injectTimeout = time.Minute

// Fault is one Chaos Mesh object on the run's timeline: Inject creates it
// and returns once the controller reports every selected pod injected;
// Recover deletes it and returns once it is gone, which the controller's
// finalizer holds back until the chaos is undone.
type Fault struct {
	C    client.Client
	Kind faults.Kind
	// New builds a fresh object for each firing (a machine-level kind
	// looks up where the target pod runs now).
	New func(ctx context.Context) (Object, error)
	// What names the object in Describe: "PodChaos ns/name".
	What string
	// Node is the scenario node hit.
	Node string
	// AfterRecover runs once the object is gone: a pod the chaos killed
	// is brought back by the run, as on the local backend.
	AfterRecover func(ctx context.Context) error

	obj Object
	// injected and recovered are the controller's own timestamps of the
	// last firing (second resolution, from the object's records).
	injected, recovered time.Time
}

var _ faults.Fault = (*Fault)(nil)

func (f *Fault) Available() error { return nil }

func (f *Fault) Describe() string {
	return fmt.Sprintf("%s %s (chaos-mesh %s)", f.Kind, f.Node, f.What)
}

// Inject creates the object and waits for AllInjected; a Failed record
// event ends the wait with the controller's message.
func (f *Fault) Inject(ctx context.Context) error {
	obj, err := f.New(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Describe(), err)
	}
	f.obj = obj
	f.injected, f.recovered = time.Time{}, time.Time{}
	if err := f.C.Create(ctx, f.obj); err != nil {
		return fmt.Errorf("%s: creating: %w", f.Describe(), err)
	}
	return poll.Until(ctx, f.Describe()+": AllInjected", func(ctx context.Context) error {
		if err := f.C.Get(ctx, client.ObjectKeyFromObject(f.obj), f.obj); err != nil {
			return err
		}
		st := f.obj.GetStatus()
		if condition(st, v1alpha1.ConditionAllInjected) {
			f.injected = lastEvent(st, v1alpha1.Apply)
			return nil
		}
		// The controller retries a failed apply: a Failed record is the
		// reason so far, not the end.
		if msg := failed(st, v1alpha1.Apply); msg != "" {
			return fmt.Errorf("the controller could not inject it yet: %s", msg)
		}
		return errors.New(describe(f.obj))
	}, poll.Every(pollEvery), poll.Within(injectTimeout))
}

// Recover deletes the object and waits until it is gone.
func (f *Fault) Recover(ctx context.Context) error {
	if f.obj == nil {
		return nil // never created: nothing to undo
	}
	if err := f.C.Delete(ctx, f.obj); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("%s: deleting: %w", f.Describe(), err)
	}
	err := poll.Until(ctx, f.Describe()+": gone (is chaos-controller-manager running?)", func(ctx context.Context) error {
		err := f.C.Get(ctx, client.ObjectKeyFromObject(f.obj), f.obj)
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return err
		}
		if t := lastEvent(f.obj.GetStatus(), v1alpha1.Recover); !t.IsZero() {
			f.recovered = t
		}
		return errors.New(describe(f.obj))
	}, poll.Every(pollEvery), poll.Within(0))
	if err != nil {
		return err
	}
	f.obj = nil
	if f.AfterRecover != nil {
		return f.AfterRecover(ctx)
	}
	return nil
}

// EngineAt is when the controller says it applied (inject) or undid
// (recover) the chaos, at the second resolution its records keep.
func (f *Fault) EngineAt(ph faults.Phase) (time.Time, time.Duration, bool) {
	t := f.injected
	if ph == faults.PhaseRecover {
		t = f.recovered
	}
	return t, time.Second, !t.IsZero()
}

func condition(st *v1alpha1.ChaosStatus, t v1alpha1.ChaosConditionType) bool {
	for _, c := range st.Conditions {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// failed returns the message of a Failed event of the operation, if any.
func failed(st *v1alpha1.ChaosStatus, op v1alpha1.RecordEventOperation) string {
	var msgs []string
	for _, r := range st.Experiment.Records {
		for _, e := range r.Events {
			if e.Operation == op && e.Type == v1alpha1.TypeFailed {
				msgs = append(msgs, r.Id+": "+e.Message)
			}
		}
	}
	return strings.Join(msgs, "; ")
}

// lastEvent is the latest Succeeded event time of the operation.
func lastEvent(st *v1alpha1.ChaosStatus, op v1alpha1.RecordEventOperation) time.Time {
	var last time.Time
	for _, r := range st.Experiment.Records {
		for _, e := range r.Events {
			if e.Operation == op && e.Type == v1alpha1.TypeSucceeded && e.Timestamp != nil && e.Timestamp.After(last) {
				last = e.Timestamp.Time
			}
		}
	}
	return last
}

// describe sums up an object's status for errors.
func describe(o Object) string {
	st := o.GetStatus()
	var parts []string
	for _, c := range st.Conditions {
		parts = append(parts, fmt.Sprintf("%s=%s", c.Type, c.Status))
	}
	if len(st.Experiment.Records) == 0 {
		parts = append(parts, "no pod selected yet")
	}
	for _, r := range st.Experiment.Records {
		parts = append(parts, fmt.Sprintf("%s: %s", r.Id, r.Phase))
	}
	if len(parts) == 0 {
		return "no status yet"
	}
	return strings.Join(parts, ", ")
}

// ErrNotInstalled says Chaos Mesh is missing from the cluster.
var ErrNotInstalled = errors.New("chaos mesh is not installed")

var _ faults.EffectChecker = (*Fault)(nil)

// TookEffect confirms the object is still there with every selected pod
// injected: a one-shot kill whose controller deleted the object, or an
// injection the controller undid, would not be.
func (f *Fault) TookEffect(ctx context.Context) error {
	if f.obj == nil {
		return fmt.Errorf("%s: nothing injected", f.Describe())
	}
	o := f.obj.DeepCopyObject().(Object)
	if err := f.C.Get(ctx, client.ObjectKeyFromObject(o), o); err != nil {
		return fmt.Errorf("%s: %w", f.Describe(), err)
	}
	if !condition(o.GetStatus(), v1alpha1.ConditionAllInjected) {
		return fmt.Errorf("%s: not injected (%s)", f.Describe(), describe(o))
	}
	return nil
}
