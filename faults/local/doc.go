// Package local injects faults into nodes that live on this machine: target
// processes (kill, pause, graceful restart, CPU starvation) and network
// namespaces (silent node loss, partition, packet loss and bandwidth through
// nftables and tc, latency through a userspace TCP proxy, as this kernel has
// no netem).
//
// Every nftables rule set lives in its own table named by TableName, with
// the prefix nvmfchaos_<runid>_, so CleanupNetns can remove what an
// interrupted run left behind. Faults needing root or a tool say so in
// Available before a run starts.
package local
