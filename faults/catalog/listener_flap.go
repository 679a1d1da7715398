package catalog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/rpcfault"
	"github.com/nvmf-chaos/nvmf-chaos/internal/poll"
)

// ListenerFlap removes the node's listener and adds it back, over and
// over, for the fault's duration: a path that keeps dropping and coming
// back, faster than a link flap a scenario repeats. It finds a host that
// gives up on a path that keeps failing, stalls behind reconnects, or
// ping-pongs between paths.
const ListenerFlap faults.Kind = "listener-flap"

// Each flip is an RPC to the target and a reconnect for the hosts: a
// phase shorter than minFlapPhase measures the RPC, not the host.
const (
	minFlapPhase = 50 * time.Millisecond
	maxFlapPhase = time.Minute
	// flapMargin is how long the flapping may outlive the fault's
	// duration before it stops by itself, should Recover never come.
	flapMargin = 30 * time.Second
)

type listenerFlapParams struct {
	// Down is how long the listener stays removed each time, Up how long
	// it stays back before the next removal.
	Down, Up time.Duration
}

var listenerFlap = Define(Def[listenerFlapParams]{
	Kind:    ListenerFlap,
	Summary: "remove the node's listener and add it back, over and over, for the duration",
	Params: []Param{
		{Name: "down", Help: "how long the listener stays removed each time, Go duration", Default: "500ms"},
		{Name: "up", Help: "how long it stays back before the next removal, Go duration", Default: "1s"}},
	Parse: func(v *Values) listenerFlapParams {
		p := listenerFlapParams{Down: v.Duration("down", maxFlapPhase), Up: v.Duration("up", maxFlapPhase)}
		for name, d := range map[string]time.Duration{"down": p.Down, "up": p.Up} {
			if d > 0 && d < minFlapPhase {
				v.Fail(name, fmt.Errorf("want at least %s: each flip is an RPC and a reconnect", minFlapPhase))
			}
		}
		return p
	},
	NeedsDuration: true,
	Immediate:     true,
	RPC: func(v Volume, p listenerFlapParams, d time.Duration) (faults.Fault, error) {
		return &listenerFlapFault{lr: rpcfault.ListenerRemove{L: v.L}, down: p.Down, up: p.Up, limit: d + flapMargin}, nil
	},
})

// listenerFlapFault flips one listener: Inject removes it and starts a
// goroutine that adds it back after down and removes it again after up,
// until Recover stops it and adds the listener back for good.
type listenerFlapFault struct {
	lr       rpcfault.ListenerRemove
	down, up time.Duration
	limit    time.Duration

	// mu is held for each flip and while TookEffect looks, so what it
	// sees is the phase the flapper says it is in.
	mu     sync.Mutex
	isDown bool
	flips  int   // removals and re-adds applied since Inject
	err    error // the flip that failed, which ended the flapping
	stop   context.CancelFunc
	done   chan struct{}
}

var (
	_ faults.Fault         = (*listenerFlapFault)(nil)
	_ faults.EffectChecker = (*listenerFlapFault)(nil)
)

func (f *listenerFlapFault) Available() error { return f.lr.Available() }

func (f *listenerFlapFault) Describe() string {
	return fmt.Sprintf("listener-flap %s %s (down %s, up %s)", f.lr.L.Node, f.lr.L.Addr, f.down, f.up)
}

// Inject removes the listener and starts the flapping.
func (f *listenerFlapFault) Inject(ctx context.Context) error {
	if err := f.lr.Inject(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	f.isDown, f.flips, f.err = true, 1, nil
	f.mu.Unlock()
	lctx, cancel := context.WithTimeout(context.Background(), f.limit)
	f.stop, f.done = cancel, make(chan struct{})
	go f.flap(lctx)
	return nil
}

// flap flips the listener at each phase's end until ctx ends or a flip
// fails.
func (f *listenerFlapFault) flap(ctx context.Context) {
	defer close(f.done)
	for {
		f.mu.Lock()
		wait := f.up
		if f.isDown {
			wait = f.down
		}
		f.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err := f.flip(ctx); err != nil {
			return
		}
	}
}

// flip adds the listener back (with its ANA state) when it is down, and
// removes it when it is up.
func (f *listenerFlapFault) flip(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var err error
	if f.isDown {
		err = f.lr.Recover(ctx)
	} else {
		err = f.lr.Inject(ctx)
	}
	switch {
	case err == nil:
		f.isDown = !f.isDown
		f.flips++
	case ctx.Err() == nil: // not Recover cutting an RPC short
		f.err = fmt.Errorf("flip %d: %w", f.flips+1, err)
	}
	return err
}

// Recover stops the flapping and adds the listener back, whichever phase
// it was in (adding an existing listener succeeds). A flip that failed
// during the fault is reported: the fault was not what was asked.
func (f *listenerFlapFault) Recover(ctx context.Context) error {
	var flapErr error
	if f.stop != nil {
		f.stop()
		<-f.done
		f.stop = nil
		f.mu.Lock()
		flapErr = f.err
		f.mu.Unlock()
	}
	return errors.Join(flapErr, f.lr.Recover(ctx))
}

// TookEffect confirms, during a down phase, that the target no longer
// lists the listener: the flapping acts on the target, not only in the
// harness's calls. The flapper cannot flip while it looks.
func (f *listenerFlapFault) TookEffect(ctx context.Context) error {
	return poll.Until(ctx, f.Describe()+" down at the target", func(ctx context.Context) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		switch {
		case f.err != nil:
			return poll.Stop(f.err)
		case !f.isDown:
			return errors.New("the listener is back (an up phase)")
		}
		if err := f.lr.TookEffect(ctx); err != nil {
			return poll.Stop(err)
		}
		return nil
	}, poll.Every(10*time.Millisecond), poll.Within(0))
}
