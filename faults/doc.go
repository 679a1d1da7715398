// Package faults defines the Fault interface, the Kind a fault is named
// by, and the Schedule that fires faults on the run's timeline.
//
// A Fault is a value bound to its target with four methods: Available (what
// the machine lacks, checked before a run), Inject, Recover and Describe.
// Lifecycle wraps one to refuse out-of-order calls. Schedule runs each timed
// fault's inject/recover cycles, logs every call as an Event in nanoseconds
// since the run's start, and recovers whatever is still injected when the
// run ends, is cancelled or fails. The engines' mechanisms live in
// subpackages (faults/local, faults/rpcfault, faults/kubeapi,
// faults/chaosmesh); faults/catalog registers the kinds and builds each
// kind's fault on each engine.
package faults
