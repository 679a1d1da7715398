// Package catalog is the registry of fault kinds. One file per kind holds
// everything the harness knows of it: its name, its summary, its
// parameters as a typed struct (parsed once, when the scenario is
// validated, with errors that name the parameter), what it needs of the
// machine and the target, and a builder for each engine that can inject
// it: the local engine (faults/local), the target's JSON-RPC
// (faults/rpcfault), the Kubernetes API alone (faults/kubeapi) and Chaos
// Mesh (faults/chaosmesh). registry.go lists the kinds.
//
// Adding a kind is one file here and one line in registry.go: validate,
// sweep, `list --faults`, the run's preflight, the Kubernetes permission
// check and the Chaos Mesh preflight read the kind from its Spec.
//
// The engines' packages hold mechanisms (a SIGKILL, an nftables table, a
// PodChaos); the catalog decides which mechanism, with which values, a kind
// is on each engine. It imports them, never the other way.
package catalog
