// Package nvmftarget is the embedded NVMe/TCP target: subsystems, dynamic
// controllers, namespaces over bdevs, ANA groups per listener, served over
// real TCP sockets.
//
// Everything is changeable at run time (subsystems, namespaces, hosts,
// listeners, ANA states), because an SPDK-compatible JSON-RPC server drives
// it. Wire behaviour follows SPDK's nvmf_tgt where the specification leaves
// room, so the harness sees the same protocol from both.
//
// Concurrency model: each TCP connection (one queue) has a reader goroutine
// that parses PDUs and executes commands, and a writer goroutine that sends
// everything queued since its last write in one writev. I/O to memory bdevs
// runs on the reader goroutine; I/O to bdevs that block (files) goes to a
// small per-connection worker pool so the queue depth reaches the device.
package nvmftarget
