package local

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
)

// tbfHandle marks the harness's qdiscs ("NV") so CleanupNetns can tell them
// from anyone else's.
const tbfHandle = "4e56:"

// Link is a network interface in a namespace ("" for the harness's own).
type Link struct {
	Netns string
	Dev   string
}

func (l Link) String() string {
	if l.Netns == "" {
		return l.Dev
	}
	return l.Netns + "/" + l.Dev
}

// Bandwidth is bandwidth: a tc tbf qdisc as the root of each given link
// limits what leaves it to the rate. tbf shapes egress only: give the node's
// veth end to squeeze reads, the host's end to squeeze writes, both for
// both.
type Bandwidth struct {
	node  string
	links []Link
	rate  uint64 // bits per second
}

var _ faults.Fault = (*Bandwidth)(nil)

// NewBandwidth returns a bandwidth fault limiting links to rate (tc syntax,
// e.g. "10mbit").
func NewBandwidth(node string, rate string, links ...Link) (*Bandwidth, error) {
	if len(links) == 0 {
		return nil, fmt.Errorf("bandwidth %s: no link to shape", node)
	}
	for _, l := range links {
		if l.Dev == "" || strings.ContainsAny(l.Dev+l.Netns, "/ \x00") {
			return nil, fmt.Errorf("bandwidth %s: bad link %q", node, l)
		}
	}
	bits, err := ParseRate(rate)
	if err != nil {
		return nil, fmt.Errorf("bandwidth %s: %w", node, err)
	}
	return &Bandwidth{node: node, links: links, rate: bits}, nil
}

// Available needs root, ip and tc.
func (b *Bandwidth) Available() error {
	return errors.Join(needRoot("tc qdiscs on the node's links"), needBinaries("ip", "tc"))
}

// Describe names the fault, node and rate.
func (b *Bandwidth) Describe() string {
	return fmt.Sprintf("bandwidth %s %dkbit", b.node, b.rate/1000)
}

// tbfArgs are the tc arguments after "dev DEV": the burst holds 10 ms at
// the rate (at least 16 KiB, so a TSO segment passes), the queue 100 ms.
func (b *Bandwidth) tbfArgs() []string {
	burst := max(b.rate/8/100, 16<<10)
	return []string{"root", "handle", tbfHandle, "tbf",
		"rate", fmt.Sprintf("%dbit", b.rate), "burst", fmt.Sprint(burst), "latency", "100ms"}
}

// Inject replaces each link's root qdisc with the tbf.
func (b *Bandwidth) Inject(ctx context.Context) error {
	for _, l := range b.links {
		argv := append([]string{"tc", "qdisc", "replace", "dev", l.Dev}, b.tbfArgs()...)
		if _, err := runIn(ctx, l.Netns, "", argv...); err != nil {
			return fmt.Errorf("%s: %w", b.Describe(), err)
		}
	}
	return nil
}

// Recover deletes the tbf where it is still there, restoring the link's
// default qdisc. Every link is tried even when one fails.
func (b *Bandwidth) Recover(ctx context.Context) error {
	var errs []error
	for _, l := range b.links {
		if err := deleteTBF(ctx, l); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", b.Describe(), err))
		}
	}
	return errors.Join(errs...)
}

// deleteTBF removes the harness's root qdisc of a link, if present.
func deleteTBF(ctx context.Context, l Link) error {
	out, err := runIn(ctx, l.Netns, "", "tc", "qdisc", "show", "dev", l.Dev, "root")
	if err != nil {
		return err
	}
	if !strings.Contains(out, "tbf "+tbfHandle+" ") {
		return nil
	}
	_, err = runIn(ctx, l.Netns, "", "tc", "qdisc", "del", "dev", l.Dev, "root", "handle", tbfHandle)
	return err
}

// tbfLinks lists the links of a namespace carrying the harness's tbf, from
// `tc qdisc show` lines "qdisc tbf 4e56: dev DEV root ...".
func tbfLinks(out string) []string {
	var devs []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && f[0] == "qdisc" && f[1] == "tbf" && f[2] == tbfHandle && f[3] == "dev" {
			devs = append(devs, f[4])
		}
	}
	return devs
}
