package nvmftarget

import (
	"bytes"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// fuzzMaxData bounds the data a fuzzed command carries or asks for: twice
// the largest transfer the target accepts, so oversized ones are tried.
const fuzzMaxData = 2 * MaxTransfer

// FuzzCommand sends one command of random opcode, NSID and CDW10..15 on
// the admin or an I/O queue of an enabled controller, with an SGL of random
// length whose data travels in the capsule or by transfer, whatever the
// opcode's direction says, so mismatches are tried too; the host answers
// any R2T and takes any C2HData within that length. The target must
// complete the command (an Asynchronous Event Request once an event is
// due), and both queues must keep serving: a Keep Alive on the admin queue
// and a Read of a written block on the I/O queue still succeed, the block
// unchanged unless the command was one that writes. The seeds (the
// commands of the conformance fixes, the usual bring-up, edge lengths) run
// on every `go test`; `go test -fuzz FuzzCommand ./internal/nvmftarget`
// explores further.
//
// Left out, because they end the association by design: Fabrics commands
// (Property Set CC.EN=0 resets the controller, Disconnect drops a queue;
// TestConnectRejections and TestMalformedPDU cover them) and a Keep Alive
// Timer short enough to expire before the check.
func FuzzCommand(f *testing.F) {
	type seed struct {
		admin                      bool
		op                         uint8
		nsid                       uint32
		cdw10, cdw11, cdw12, cdw13 uint32
		cdw14, cdw15, data         uint32
		inCapsule                  bool
	}
	for _, s := range []seed{
		{admin: true, op: nvme.AdminIdentify, cdw10: nvme.CNSController, data: nvme.IdentifySize},
		{admin: true, op: nvme.AdminIdentify, nsid: 1, cdw10: nvme.CNSNamespace, data: 512}, // short buffer
		{admin: true, op: nvme.AdminGetLogPage, cdw10: nvme.LogANA | 0x3FF<<16, data: 4096},
		{admin: true, op: nvme.AdminGetLogPage, cdw10: nvme.LogSMART | 0xFFFF<<16, cdw11: 0xFFFF, data: 4096},
		{admin: true, op: nvme.AdminSetFeatures, cdw10: nvme.FeatureNumberOfQueues, cdw11: 0x30003},
		{admin: true, op: nvme.AdminSetFeatures, cdw10: nvme.FeatureNumberOfQueues | 1<<31, cdw11: 0xFFFF},
		{admin: true, op: nvme.AdminSetFeatures, cdw10: nvme.FeatureAsyncEventConfig, cdw11: 0xFFFFFFFF},
		{admin: true, op: nvme.AdminGetFeatures, cdw10: 0xFF},
		{admin: true, op: nvme.AdminAsyncEventReq},
		{admin: true, op: nvme.AdminAbort, cdw10: 0xFFFF},
		{admin: true, op: nvme.AdminKeepAlive},
		{admin: true, op: 0xC1, nsid: 0xFFFFFFFF, data: 4096, inCapsule: true},
		{op: nvme.IORead, nsid: 1, cdw12: 7, data: 4096},
		{op: nvme.IORead, nsid: 1, cdw10: 0xFFFFFFFF, cdw11: 0xFFFFFFFF, cdw12: 0xFFFF, data: 512},
		{op: nvme.IOWrite, nsid: 1, cdw10: 8, cdw12: 255, data: MaxTransfer},
		{op: nvme.IOWrite, nsid: 1, cdw12: 0xFFFF, data: fuzzMaxData},
		{op: nvme.IOWrite, nsid: 1, cdw12: 15, data: 16 * 512}, // by R2T
		{op: nvme.IORead, nsid: 1, data: 512, inCapsule: true}, // data the wrong way
		{admin: true, op: 0x05, data: 4096},                    // host-to-controller opcode, R2T
		{op: nvme.IOWriteZeroes, nsid: 1, cdw10: 16, cdw12: 0xFFFF},
		{op: nvme.IODatasetMgmt, nsid: 1, cdw11: 1},                          // hints, no data
		{op: nvme.IODatasetMgmt, nsid: 1, cdw10: 0xFF, cdw11: dsmDeallocate}, // ranges missing
		{op: nvme.IODatasetMgmt, nsid: 1, cdw11: dsmDeallocate, data: 16, inCapsule: true},
		{op: nvme.IOFlush, nsid: allNamespaces},
		{op: nvme.IOCompare, nsid: 1, data: 512, inCapsule: true},
		{op: 0x7E, nsid: 2},
	} {
		f.Add(s.admin, s.op, s.nsid, s.cdw10, s.cdw11, s.cdw12, s.cdw13, s.cdw14, s.cdw15, s.data, s.inCapsule)
	}
	f.Fuzz(func(t *testing.T, admin bool, op uint8, nsid, cdw10, cdw11, cdw12, cdw13, cdw14, cdw15, dataLen uint32, inCapsule bool) {
		if op == nvme.OpcodeFabrics || (admin && op == nvme.AdminSetFeatures && uint8(cdw10) == nvme.FeatureKeepAliveTimer) {
			t.Skip("ends the association by design")
		}
		tgt, addr := newTestTarget(t, 1<<20, true, Options{})
		a, q := connected(t, addr, false)
		known := bytes.Repeat([]byte{0xC3}, 512)
		q.must(rwCmd(nvme.IOWrite, 1, 100, 1), known, 0)

		h := q
		if admin {
			h = a
		}
		cmd := nvme.Command{Opcode: op, NSID: nsid, CDW10: cdw10, CDW11: cdw11, CDW12: cdw12, CDW13: cdw13, CDW14: cdw14, CDW15: cdw15}
		n := int(dataLen % (fuzzMaxData + 1))
		data := bytes.Repeat([]byte{0xE7}, n)
		_ = h.nc.SetDeadline(time.Now().Add(10 * time.Second))
		aer := admin && op == nvme.AdminAsyncEventReq
		if aer {
			// Held until an event is due: enable one and cause it.
			a.must(nvme.Command{Opcode: nvme.AdminSetFeatures, CDW10: nvme.FeatureAsyncEventConfig, CDW11: nvme.AsyncConfigANAChange}, nil, 0)
		}
		cid, err := sendAnyWay(h, cmd, data, inCapsule)
		if err != nil {
			t.Fatalf("send %#x: %v", op, err)
		}
		if aer {
			setANA(t, tgt, addr, nvme.ANANonOptimized)
		}
		cpl, _, err := h.await(cid, data, n)
		if err != nil {
			t.Fatalf("%s opcode %#x: no completion: %v", queueName(admin), op, err)
		}
		t.Logf("%s opcode %#x: %v", queueName(admin), op, cpl.Status)

		// Both queues still serve.
		_ = a.nc.SetDeadline(time.Now().Add(10 * time.Second))
		_ = q.nc.SetDeadline(time.Now().Add(10 * time.Second))
		if cpl, _, err := a.exec(nvme.Command{Opcode: nvme.AdminKeepAlive}, nil, 0); err != nil || !cpl.Status.Success() {
			t.Fatalf("keep alive after %s opcode %#x: %v %v", queueName(admin), op, cpl.Status, err)
		}
		cpl, got, err := q.exec(rwCmd(nvme.IORead, 1, 100, 1), nil, 512)
		if err != nil || !cpl.Status.Success() {
			t.Fatalf("read after %s opcode %#x: %v %v", queueName(admin), op, cpl.Status, err)
		}
		if !bytes.Equal(got, known) && !(!admin && writesMedia(op)) {
			t.Fatalf("block 100 changed by %s opcode %#x: starts %x", queueName(admin), op, got[:8])
		}
	})
}

// sendAnyWay sends cmd with an SGL of len(data) bytes: in the capsule
// when inCapsule and the data fits there, else for the target to move by
// R2T or C2HData as the opcode says.
func sendAnyWay(h *rawHost, cmd nvme.Command, data []byte, inCapsule bool) (uint16, error) {
	h.cid++
	cmd.CID, cmd.Flags = h.cid, nvme.PSDTSGL
	if inCapsule && len(data) > 0 && len(data) <= h.inline {
		cmd.SGL = nvme.SGL{Type: nvme.SGLInCapsule, Length: uint32(len(data))}
		h.w.CapsuleCmd(&cmd, data)
	} else {
		cmd.SGL = nvme.SGL{Type: nvme.SGLTransport, Length: uint32(len(data))}
		h.w.CapsuleCmd(&cmd, nil)
	}
	return cmd.CID, h.w.Flush()
}

func queueName(admin bool) string {
	if admin {
		return "admin"
	}
	return "I/O"
}

// writesMedia reports whether an I/O opcode may change a block's data, so
// the check does not blame it for doing its job.
func writesMedia(op uint8) bool {
	return op == nvme.IOWrite || op == nvme.IOWriteZeroes || op == nvme.IODatasetMgmt
}
