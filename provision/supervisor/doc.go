// Package supervisor runs one long-lived child process (a node's NVMe-oF
// target) and lets the harness crash, pause, resume, terminate and restart
// it. Each process runs in its own process group, dies with the harness
// (parent-death signal) and writes stdout and stderr to one log file that
// every restart appends to, so a fault's effect stays readable afterwards.
package supervisor
