// Package spdkrpc is SPDK's JSON-RPC 2.0 dialect, shared by the provisioner's
// client (provision/rpc) and the embedded target's server (internal/nvmftarget).
//
// It owns three things:
//
//   - the wire framing as SPDK v24.01 speaks it (lib/jsonrpc/jsonrpc_server.c):
//     requests are JSON objects sent back to back on a stream socket, with or
//     without whitespace between them; each reply is one JSON object followed
//     by "\n"; errors are {"code","message"} objects using the JSON-RPC codes
//     plus SPDK's negative errno codes with glibc strerror text;
//   - typed parameter and result structs for the methods the harness uses,
//     with SPDK's exact JSON field names (checked against lib/nvmf/nvmf_rpc.c,
//     module/bdev/*/*_rpc.c, lib/bdev/bdev_rpc.c, lib/event/app_rpc.c and
//     python/spdk/rpc/*.py at tag v24.01);
//   - a small Server that serves those frames on unix and TCP listeners, and
//     the same method table over HTTP with basic auth as SPDK's HTTP proxy
//     (scripts/rpc_http_proxy.py) does, and dispatches to registered
//     handlers.
//
// Nothing here knows what a bdev or a subsystem is: the embedded target
// registers the handlers that give the methods meaning.
package spdkrpc
