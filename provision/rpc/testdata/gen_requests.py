#!/usr/bin/env python3
"""Regenerate testdata/requests/*.json from SPDK's own python RPC client.

Usage:
    git -C SPDK archive v24.01 python | tar -x -C /tmp/spdkpy
    python3 testdata/gen_requests.py /tmp/spdkpy/python testdata/requests

Each file is the request object exactly as SPDK's JSONRPCClient builds it
(add_request: jsonrpc, method, id, and params only when non-empty) for the
call listed below. The Go golden test makes the same calls through
provision/rpc.Client with the same arguments and compares the JSON. Nothing
of SPDK is copied into this repository: the script imports it from the path
given on the command line.
"""
import json
import logging
import os
import sys

sys.path.insert(0, sys.argv[1])
from spdk.rpc import app, bdev, lvol, nvmf, spdk_get_version  # noqa: E402
from spdk.rpc.client import JSONRPCClient  # noqa: E402

NQN = "nqn.2016-06.io.spdk:cnode1"
HOST = "nqn.2014-08.org.nvmexpress:uuid:2a9c3a6e-1f8b-4a4e-9e53-0c1d2e3f4a5b"
UUID = "8b7d3d3c-6a36-4a5c-9a1b-2f0e4c6d8e10"
LISTEN = dict(trtype="TCP", traddr="198.18.0.2", trsvcid="4420", adrfam="IPv4")


class Recorder(JSONRPCClient):
    """A JSONRPCClient that records the request instead of sending it."""

    def __init__(self):  # no socket: skip the parent's connect
        self.sock = None
        self.timeout = 1.0
        self._request_id = 0
        self._recv_buf = ""
        self._reqs = []
        self._logger = logging.getLogger("recorder")
        self.sent = []

    def flush(self):
        self.sent.extend(self._reqs)
        self._reqs = []

    def recv(self):
        return {"jsonrpc": "2.0", "id": self._request_id, "result": True}


CALLS = {
    "nvmf_create_transport": lambda c: nvmf.nvmf_create_transport(
        c, trtype="TCP", max_queue_depth=128, max_io_qpairs_per_ctrlr=127,
        in_capsule_data_size=4096, max_io_size=131072, io_unit_size=131072,
        max_aq_depth=128, num_shared_buffers=511, buf_cache_size=32,
        dif_insert_or_strip=True, abort_timeout_sec=1, zcopy=True,
        acceptor_poll_rate=10000, c2h_success=False, control_msg_num=32,
        sock_priority=1),
    "nvmf_get_transports": lambda c: nvmf.nvmf_get_transports(c, trtype="TCP", tgt_name="tgt1"),
    "nvmf_create_subsystem": lambda c: nvmf.nvmf_create_subsystem(
        c, nqn=NQN, serial_number="SPDK00000000000001", model_number="nvmf-chaos",
        allow_any_host=True, max_namespaces=32, ana_reporting=True, min_cntlid=1,
        max_cntlid=0xffef, max_discard_size_kib=1024, max_write_zeroes_size_kib=1024),
    "nvmf_delete_subsystem": lambda c: nvmf.nvmf_delete_subsystem(c, nqn=NQN),
    "nvmf_get_subsystems": lambda c: nvmf.nvmf_get_subsystems(c, nqn=NQN),
    "nvmf_subsystem_add_ns": lambda c: nvmf.nvmf_subsystem_add_ns(
        c, nqn=NQN, bdev_name="lvs0/lvol0", ptpl_file="/tmp/ptpl.json", nsid=1,
        nguid="0123456789ABCDEF0123456789ABCDEF", eui64="ABCDEF0123456789",
        uuid=UUID, anagrpid=1),
    "nvmf_subsystem_remove_ns": lambda c: nvmf.nvmf_subsystem_remove_ns(c, nqn=NQN, nsid=1),
    "nvmf_subsystem_add_listener": lambda c: nvmf.nvmf_subsystem_add_listener(
        c, nqn=NQN, secure_channel=True, ana_state="non_optimized", **LISTEN),
    "nvmf_subsystem_remove_listener": lambda c: nvmf.nvmf_subsystem_remove_listener(
        c, nqn=NQN, **LISTEN),
    "nvmf_subsystem_listener_set_ana_state": lambda c: nvmf.nvmf_subsystem_listener_set_ana_state(
        c, nqn=NQN, ana_state="inaccessible", anagrpid=1, **LISTEN),
    "nvmf_subsystem_add_host": lambda c: nvmf.nvmf_subsystem_add_host(
        c, nqn=NQN, host=HOST, psk="/tmp/psk.txt"),
    "bdev_malloc_create": lambda c: bdev.bdev_malloc_create(
        c, num_blocks=262144, block_size=4096, physical_block_size=4096, name="Malloc0",
        uuid=UUID, optimal_io_boundary=16, md_size=8, md_interleave=True, dif_type=1,
        dif_is_head_of_md=True),
    "bdev_malloc_delete": lambda c: bdev.bdev_malloc_delete(c, name="Malloc0"),
    "bdev_aio_create": lambda c: bdev.bdev_aio_create(
        c, filename="/tmp/aio.img", name="aio0", block_size=512, readonly=True),
    "bdev_null_create": lambda c: bdev.bdev_null_create(
        c, num_blocks=2097152, block_size=512, name="null0", physical_block_size=4096,
        uuid=UUID, md_size=8, dif_type=1, dif_is_head_of_md=True),
    "bdev_get_bdevs": lambda c: bdev.bdev_get_bdevs(c, name="Malloc0", timeout=1000),
    "bdev_lvol_create_lvstore": lambda c: lvol.bdev_lvol_create_lvstore(
        c, bdev_name="Malloc0", lvs_name="lvs0", cluster_sz=4194304, clear_method="unmap",
        num_md_pages_per_cluster_ratio=100),
    "bdev_lvol_get_lvstores": lambda c: lvol.bdev_lvol_get_lvstores(c, lvs_name="lvs0"),
    "bdev_lvol_create": lambda c: lvol.bdev_lvol_create(
        c, lvol_name="lvol0", size_in_mib=1024, thin_provision=True, lvs_name="lvs0",
        clear_method="none"),
    "bdev_lvol_resize": lambda c: lvol.bdev_lvol_resize(c, name="lvs0/lvol0", size_in_mib=2048),
    "bdev_lvol_delete": lambda c: lvol.bdev_lvol_delete(c, name="lvs0/lvol0"),
    "bdev_delay_create": lambda c: bdev.bdev_delay_create(
        c, base_bdev_name="Malloc0", name="Delay0", avg_read_latency=100,
        p99_read_latency=1000, avg_write_latency=200, p99_write_latency=2000, uuid=UUID),
    "bdev_delay_update_latency": lambda c: bdev.bdev_delay_update_latency(
        c, delay_bdev_name="Delay0", latency_type="avg_read", latency_us=500),
    "bdev_delay_delete": lambda c: bdev.bdev_delay_delete(c, name="Delay0"),
    "bdev_error_create": lambda c: bdev.bdev_error_create(c, base_name="Malloc0", uuid=UUID),
    "bdev_error_inject_error": lambda c: bdev.bdev_error_inject_error(
        c, name="EE_Malloc0", io_type="write", error_type="failure", num=5,
        queue_depth=0, corrupt_offset=0, corrupt_value=0),
    "bdev_error_delete": lambda c: bdev.bdev_error_delete(c, name="EE_Malloc0"),
    "spdk_get_version": lambda c: spdk_get_version(c),
    "spdk_kill_instance": lambda c: app.spdk_kill_instance(c, sig_name="SIGTERM"),
}


def main():
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for method, call in sorted(CALLS.items()):
        c = Recorder()
        call(c)
        (req,) = c.sent
        assert req["method"] == method, (method, req["method"])
        with open(os.path.join(out, method + ".json"), "w") as f:
            json.dump(req, f, indent=2, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
