// Package scenarios owns the scenario and suite schema, loading, validation,
// the built-in scenario library and the Runner that drives a run through its phases.
package scenarios
