package local

import (
	"context"
	"fmt"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
)

// MaxDelay bounds a latency fault's delay: longer is an outage, which the
// partition faults model better.
const MaxDelay = 10 * time.Second

// Delayer is what the latency fault drives: a Proxy in the host's path to
// the node.
type Delayer interface {
	SetDelay(d time.Duration)
	// Delay is the delay in force, for the fault's took-effect check.
	Delay() time.Duration
}

// Latency is latency: it sets the delay of the proxy the host reaches the
// node through, and clears it on recovery.
type Latency struct {
	node  string
	d     Delayer
	delay time.Duration
}

var _ faults.Fault = (*Latency)(nil)

// NewLatency returns a latency fault adding delay to each direction.
func NewLatency(node string, d Delayer, delay time.Duration) (*Latency, error) {
	if d == nil {
		return nil, fmt.Errorf("latency %s: no proxy in the host's path to the node", node)
	}
	if delay <= 0 || delay > MaxDelay {
		return nil, fmt.Errorf("latency %s: delay %s: want (0, %s]", node, delay, MaxDelay)
	}
	return &Latency{node: node, d: d, delay: delay}, nil
}

// Available needs nothing: the proxy is in user space.
func (l *Latency) Available() error { return nil }

// Describe names the fault, node and delay.
func (l *Latency) Describe() string { return fmt.Sprintf("latency %s %s", l.node, l.delay) }

// Inject sets the delay.
func (l *Latency) Inject(context.Context) error { l.d.SetDelay(l.delay); return nil }

// Recover clears the delay.
func (l *Latency) Recover(context.Context) error { l.d.SetDelay(0); return nil }
