// Package nvmetcp is a user-space NVMe/TCP host (initiator): admin and I/O
// queues over TCP, keep-alive, and an asynchronous submission API.
package nvmetcp
