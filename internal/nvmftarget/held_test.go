package nvmftarget

import (
	"bytes"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp/pdu"
)

// TestHeldRepliesLeaveBeforeTheReaderWaits checks the reader's batching
// (conn.held): replies it holds must leave before it waits for input,
// including when what it waits for is the rest of a PDU already begun. A
// host may stop mid-PDU (a full send buffer, a segment in flight) until
// it hears back; a target that held replies then would stall both sides.
func TestHeldRepliesLeaveBeforeTheReaderWaits(t *testing.T) {
	tests := []struct {
		name string
		cut  int // bytes of the second PDU sent with the first
	}{
		{"nothing of the next PDU", 0},
		{"part of its common header", pdu.CommonHeaderLen / 2},
		{"its header, not its data", 72},
		{"all but its last byte", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, addr := newTestTarget(t, 1<<20, false, Options{})
			_, q := connected(t, addr, false)
			data := bytes.Repeat([]byte{0xA5}, 4096)

			// Two in-capsule writes laid out as the host would send them.
			var wire bytes.Buffer
			w := pdu.NewWriter(&wire)
			for i, slba := range []uint64{0, 8} {
				cmd := rwCmd(nvme.IOWrite, 1, slba, 8)
				cmd.CID, cmd.Flags = uint16(100+i), nvme.PSDTSGL
				cmd.SGL = nvme.SGL{Type: nvme.SGLInCapsule, Length: uint32(len(data))}
				w.CapsuleCmd(&cmd, data)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			b := wire.Bytes()
			first := len(b) / 2
			cut := tt.cut
			if cut < 0 {
				cut = first - 1
			}
			if _, err := q.nc.Write(b[:first+cut]); err != nil {
				t.Fatal(err)
			}
			_ = q.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
			cpl, _, err := q.await(100, nil, 0)
			if err != nil {
				t.Fatalf("first write's completion, with %d bytes of the next PDU sent: %v", cut, err)
			}
			if !cpl.Status.Success() {
				t.Fatalf("first write: status %v", cpl.Status)
			}
			if _, err := q.nc.Write(b[first+cut:]); err != nil {
				t.Fatal(err)
			}
			if cpl, _, err := q.await(101, nil, 0); err != nil || !cpl.Status.Success() {
				t.Fatalf("second write: status %v, err %v", cpl.Status, err)
			}
			_ = q.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
			for _, slba := range []uint64{0, 8} {
				if _, got := q.must(rwCmd(nvme.IORead, 1, slba, 8), nil, len(data)); !bytes.Equal(got, data) {
					t.Fatalf("LBA %d reads back other data", slba)
				}
			}
		})
	}
}
