package nvmftarget

import (
	"bytes"
	"errors"
	"net"
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

// TestHeldRepliesAreBounded checks the bound on what the reader holds
// (maxHeldBytes): with many commands buffered at once, replies must leave
// while later commands are still unread, not all after the last of them.
// Otherwise a small reply queued among a backup's large ones waits for the
// whole burst. The host sends 96 reads of 128 KiB in one write and reads
// nothing, so the target blocks writing once the socket buffers are full.
// The test then pauses the target and reads: a bounded reader stopped at
// the write with most commands unread, and now waits on the pause before
// it reads the next, so fewer than all replies arrive until Resume.
func TestHeldRepliesAreBounded(t *testing.T) {
	const n, size = 96, MaxTransfer // 12 MiB of replies
	tgt, addr := newTestTarget(t, n*size, false, Options{})
	_, q := connected(t, addr, false)
	// Cap the host's receive buffer, which Linux would otherwise grow to
	// tcp_rmem's maximum (32 MiB here), more than the whole burst.
	if err := q.nc.(*net.TCPConn).SetReadBuffer(64 << 10); err != nil {
		t.Fatal(err)
	}
	first := q.cid + 1
	for i := range n {
		q.cid++
		cmd := rwCmd(nvme.IORead, 1, uint64(i*size/512), size/512)
		cmd.CID, cmd.Flags = q.cid, nvme.PSDTSGL
		cmd.SGL = nvme.SGL{Type: nvme.SGLTransport, Length: size}
		q.w.CapsuleCmd(&cmd, nil)
	}
	if err := q.w.Flush(); err != nil {
		t.Fatal(err)
	}
	// Ample time for an unbounded reader to parse all 96 commands (a
	// few ms) and queue their replies before the pause.
	time.Sleep(300 * time.Millisecond)
	tgt.Pause()

	got := 0
	_ = q.nc.SetReadDeadline(time.Now().Add(time.Second))
	for ; got < n; got++ {
		if _, _, err := q.await(first+uint16(got), nil, size); err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("reply %d while paused: %v", got, err)
			}
			break
		}
	}
	if got == n {
		t.Fatalf("all %d replies (%d MiB) arrived while the target was paused: the reader held them all before sending any", n, n*size>>20)
	}
	t.Logf("%d of %d replies left before the pause", got, n)
	tgt.Resume()
	_ = q.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for ; got < n; got++ {
		if cpl, _, err := q.await(first+uint16(got), nil, size); err != nil || !cpl.Status.Success() {
			t.Fatalf("reply %d after Resume: status %v, err %v", got, cpl.Status, err)
		}
	}
}
