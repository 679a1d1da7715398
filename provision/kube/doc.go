// Package kube deploys a scenario's targets and workers on a Kubernetes
// cluster with typed objects (k8s.io/api) through e2e-framework's klient:
// the run's namespace, one target pod and Service per scenario node, the
// harness's port-forwards to the targets' JSON-RPC and the workers' control
// port, worker Jobs, and the sweep of what a crashed run left.
//
// Everything it creates carries app.kubernetes.io/managed-by=nvmf-chaos and
// the run's ID, and lives in the run's namespace, so deleting the namespace
// removes it; the one thing outside the API, the targets' backing files on
// the nodes (a hostPath per run), is removed by a janitor pod per node.
package kube
