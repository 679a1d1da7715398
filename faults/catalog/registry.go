package catalog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
)

// registry lists every fault kind, each defined in its own file. Adding a
// kind is that file and one line here.
var registry = []*Spec{
	processKill,
	processPause,
	processRestart,
	nodeDown,
	networkPartition,
	packetLoss,
	bandwidth,
	latency,
	anaChange,
	listenerRemove,
	listenerFlap,
	bdevDelay,
	bdevError,
	cpuStress,
	nodeDrain,
	driverKill,
	podFailure,
	containerKill,
	memoryStress,
	kubeletStop,
	runtimeStop,
}

// byKind indexes the registry; registry_test checks names are unique.
var byKind = func() map[faults.Kind]*Spec {
	m := make(map[faults.Kind]*Spec, len(registry))
	for _, s := range registry {
		m[s.Kind] = s
	}
	return m
}()

// Lookup returns the spec of a kind.
func Lookup(k faults.Kind) (*Spec, bool) {
	s, ok := byKind[k]
	return s, ok
}

// Kinds lists every kind, sorted.
func Kinds() []faults.Kind {
	out := make([]faults.Kind, 0, len(registry))
	for _, s := range registry {
		out = append(out, s.Kind)
	}
	slices.Sort(out)
	return out
}

// ParseKind finds a kind by its name, listing the known ones when there is
// none.
func ParseKind(name string) (*Spec, error) {
	if s, ok := byKind[faults.Kind(name)]; ok {
		return s, nil
	}
	names := make([]string, 0, len(registry))
	for _, k := range Kinds() {
		names = append(names, string(k))
	}
	return nil, fmt.Errorf("unknown fault kind %q (known: %s)", name, strings.Join(names, ", "))
}
