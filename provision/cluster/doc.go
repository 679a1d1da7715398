// Package cluster is the single-machine cluster nvmf-chaos runs scenarios on:
// each node is a network namespace joined by a veth pair to a bridge, with
// addresses from 198.18.0.0/15, and runs one supervised NVMe-oF target (the
// embedded one, or SPDK's nvmf_tgt). Without root or iproute2 the same
// Cluster runs its nodes' targets on 127.0.0.1 with distinct ports instead,
// so everything but network faults works unprivileged.
//
// Everything a Cluster creates is named "<prefix>-<run id>-…" and recorded
// in a state file, and its processes carry RunEnv in their environment, so
// Sweep can remove what a crashed run left behind.
package cluster
