package faults

// Kind names a fault in the one vocabulary every engine (local processes
// and namespaces, the target's RPC, Kubernetes with or without Chaos Mesh)
// understands. Scenario files use these strings verbatim. The kinds, each
// with its parameters and builders, are registered in faults/catalog.
type Kind string
