// Package provision creates and removes SPDK-backed NVMe-oF volumes through SPDK
// JSON-RPC, and the local cluster of network-namespace nodes they run on.
package provision
