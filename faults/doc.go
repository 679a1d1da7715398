// Package faults defines the Fault interface, the vocabulary of fault kinds
// both engines share, and the Schedule that fires faults on the run's
// timeline.
//
// A Fault is a value bound to its target with four methods: Available (what
// the machine lacks, checked before a run), Inject, Recover and Describe.
// Lifecycle wraps one to refuse out-of-order calls. Schedule runs each timed
// fault's inject/recover cycles, logs every call as an Event in nanoseconds
// since the run's start, and recovers whatever is still injected when the
// run ends, is cancelled or fails. The engines live in subpackages:
// faults/local for processes and network namespaces on this machine.
package faults
