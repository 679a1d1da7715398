// Package faults defines the Fault interface and the Schedule that fires faults
// on the run timeline and logs inject/recover events.
package faults
