// Package e2e holds the end-to-end suite that runs against a real
// Kubernetes cluster (build tag e2e; `make k8s-up && make e2e-k8s` starts
// the project's test cluster and runs it). It uses
// sigs.k8s.io/e2e-framework: each test gets its own namespace, deleted
// after it, and the cluster is the one $KUBECONFIG or --kubeconfig names.
package e2e
