// Package rpc is the provisioner's SPDK JSON-RPC client. It reaches a
// target (real SPDK nvmf_tgt or the embedded target) over its unix socket,
// over TCP, or through SPDK's HTTP proxy with basic auth as spdk-csi does,
// and offers one typed method per SPDK method the harness uses, named after
// it (BdevLvolCreate calls bdev_lvol_create) and returning SPDK's result.
//
// Errors the target sends come back as *Error with SPDK's code and message;
// errors.Is(err, ErrNotFound) and the other sentinels classify them the way
// callers need for idempotent create and delete.
package rpc
