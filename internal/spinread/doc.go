// Package spinread reads a TCP connection the way a polled-mode driver
// does while it is busy: when no data is waiting, the reader polls the
// socket for a bounded time before it parks in Go's netpoller. The
// embedded target's connections and the host's I/O queues use it, so a
// QD1 stream does not pay a sleeping vCPU's wake-up per I/O. The price is
// CPU: a busy connection spends up to its spin per wait polling.
package spinread
