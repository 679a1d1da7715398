// Package nvmetcp is a user-space NVMe/TCP host (initiator): admin and I/O
// queues over TCP, controller bring-up, keep-alive, async events, discovery,
// and an asynchronous submission API built for benchmarking.
//
// Dial connects a Controller (ICReq/ICResp, Fabrics Connect, CC.EN,
// Identify, Set Features Number of Queues, one AER, keep-alive) and its I/O
// queues, each a TCP connection. I/O goes through Queue.Submit: the caller
// owns a Request, Submit never waits for the target, and Request.Done runs
// on the queue's single reader goroutine when the command completes. Writes
// go in-capsule when they fit the controller's IOCCSZ and by R2T/H2CData
// otherwise; reads accept C2HData with and without the SUCCESS flag. No
// allocation happens per I/O. ReadAt, WriteAt, Flush, WriteZeroes and
// Deallocate wrap Submit for callers that want to wait.
//
// Failure model: a command that outlives its timeout, a keep-alive not
// answered within KATO, a malformed PDU, a C2HTermReq or a lost connection
// fails the whole Controller: its connections are closed, every outstanding
// command completes with an error wrapping ErrControllerDown and the cause
// (errors.Is(err, ErrTimeout) for timeouts), Done is closed and Err says
// why. A failed controller is not reconnected: dial a new one.
//
// The package speaks the NVMe/TCP transport specification rather than one
// target's habits; it is tested against SPDK's and Linux's defaults as far
// as a scripted peer can reproduce them (in-capsule sizes, MAXH2CDATA, CPDA,
// digests, several R2Ts and C2HData PDUs per command, C2H SUCCESS).
package nvmetcp
