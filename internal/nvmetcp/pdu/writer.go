package pdu

import (
	"io"
	"net"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// copyThreshold is the data size below which data is copied next to its
// header instead of being sent as its own iovec.
const copyThreshold = 512

// Writer assembles PDUs and sends everything queued since the last Flush in
// one vectored write (writev on a TCP connection). Data slices of at least
// copyThreshold bytes are not copied: the caller must leave them untouched
// until Flush returns. Not safe for concurrent use.
type Writer struct {
	w            io.Writer
	hdgst, ddgst bool
	align        int // data alignment of PDUs this side sends, in bytes
	arena        []byte
	bufs         net.Buffers
	pending      net.Buffers // what WriteTo consumes; a field so it does not escape per call
	size         int
}

// NewWriter wraps w. Digests are off and data unaligned until set.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, align: 4, arena: make([]byte, 0, 16<<10)}
}

// SetDigests records the digests negotiated by ICReq/ICResp.
func (w *Writer) SetDigests(header, data bool) { w.hdgst, w.ddgst = header, data }

// SetDataAlignment sets the PDU data alignment from a 0's based dword count
// (CPDA for a host, HPDA for a controller).
func (w *Writer) SetDataAlignment(pda uint8) { w.align = (int(pda) + 1) * 4 }

// Buffered is the number of bytes queued and not yet flushed.
func (w *Writer) Buffered() int { return w.size }

// ICReq queues an initialize connection request.
func (w *Writer) ICReq(ic IC) { w.ic(TypeICReq, ic) }

// ICResp queues an initialize connection response.
func (w *Writer) ICResp(ic IC) { w.ic(TypeICResp, ic) }

func (w *Writer) ic(t Type, ic IC) {
	start := w.begin(t, 0, ICLen, false)
	b := w.arena[start:]
	le.PutUint16(b[8:], ic.PFV)
	b[10] = ic.PDA
	if ic.HeaderDigest {
		b[11] |= 1
	}
	if ic.DataDigest {
		b[11] |= 2
	}
	le.PutUint32(b[12:], ic.MaxData)
	w.finish(start, ICLen, nil, false)
}

// TermReq queues a termination request (t is TypeH2CTermReq or
// TypeC2HTermReq) carrying up to MaxTermReqData bytes of the offending header.
func (w *Writer) TermReq(t Type, fes uint16, fei uint32, offending []byte) {
	if len(offending) > MaxTermReqData {
		offending = offending[:MaxTermReqData]
	}
	start := w.begin(t, 0, TermReqHdrLen, false)
	b := w.arena[start:]
	le.PutUint16(b[8:], fes)
	le.PutUint32(b[10:], fei)
	le.PutUint32(b[4:], uint32(TermReqHdrLen+len(offending)))
	w.arena = append(w.arena, offending...)
	w.put(w.arena[start:])
}

// CapsuleCmd queues a command capsule with optional in-capsule data.
func (w *Writer) CapsuleCmd(cmd *nvme.Command, data []byte) {
	start := w.begin(TypeCapsuleCmd, 0, CapsuleCmdLen, true)
	cmd.Marshal(w.arena[start+8 : start+72])
	w.finish(start, CapsuleCmdLen, data, true)
}

// CapsuleResp queues a response capsule.
func (w *Writer) CapsuleResp(cpl *nvme.Completion) {
	start := w.begin(TypeCapsuleResp, 0, CapsuleRespLen, true)
	cpl.Marshal(w.arena[start+8 : start+24])
	w.finish(start, CapsuleRespLen, nil, true)
}

// Data queues an H2CData or C2HData PDU carrying data at dh.Offset of the
// command's buffer. flags may hold FlagLast and FlagSuccess.
func (w *Writer) Data(t Type, dh DataHeader, flags uint8, data []byte) {
	start := w.begin(t, flags, DataHdrLen, true)
	putDataHeader(w.arena[start:], dh.CCCID, dh.TTag, dh.Offset, uint32(len(data)))
	w.finish(start, DataHdrLen, data, true)
}

// R2T queues a ready-to-transfer PDU.
func (w *Writer) R2T(dh DataHeader) {
	start := w.begin(TypeR2T, 0, R2THdrLen, true)
	putDataHeader(w.arena[start:], dh.CCCID, dh.TTag, dh.Offset, dh.Length)
	w.finish(start, R2THdrLen, nil, true)
}

func putDataHeader(b []byte, cccid, ttag uint16, off, n uint32) {
	le.PutUint16(b[8:], cccid)
	le.PutUint16(b[10:], ttag)
	le.PutUint32(b[12:], off)
	le.PutUint32(b[16:], n)
}

// begin appends hlen zeroed header bytes to the arena, fills the first
// three common header bytes and returns where the PDU starts in the arena.
func (w *Writer) begin(t Type, flags uint8, hlen int, digestable bool) int {
	if digestable && w.hdgst {
		flags |= FlagHDGST
	}
	start := len(w.arena)
	w.arena = append(w.arena, make([]byte, hlen)...)
	w.arena[start], w.arena[start+1], w.arena[start+2] = byte(t), flags, byte(hlen)
	return start
}

// finish sets PDO and PLEN of the PDU begun at start, appends its header
// digest, padding, data and data digest, and queues it.
func (w *Writer) finish(start, hlen int, data []byte, digestable bool) {
	b := w.arena[start : start+hlen]
	hd := 0
	if b[1]&FlagHDGST != 0 {
		hd = DigestLen
	}
	pdo, pad, dd := 0, 0, 0
	if len(data) > 0 {
		pdo = (hlen + hd + w.align - 1) / w.align * w.align
		pad = pdo - hlen - hd
		if digestable && w.ddgst {
			b[1] |= FlagDDGST
			dd = DigestLen
		}
	}
	b[3] = byte(pdo)
	le.PutUint32(b[4:], uint32(hlen+hd+pad+len(data)+dd))
	if hd != 0 {
		w.arena = le.AppendUint32(w.arena, Digest(b))
	}
	for range pad {
		w.arena = append(w.arena, 0)
	}
	copied := len(data) > 0 && len(data) < copyThreshold
	if copied {
		w.arena = append(w.arena, data...)
	}
	w.put(w.arena[start:])
	if len(data) > 0 && !copied {
		w.put(data)
	}
	if dd != 0 {
		at := len(w.arena)
		w.arena = le.AppendUint32(w.arena, Digest(data))
		w.put(w.arena[at:])
	}
}

// put queues b, merging it into the previous chunk when b continues it in
// the same arena, so a batch of small PDUs becomes one iovec.
func (w *Writer) put(b []byte) {
	w.size += len(b)
	if n := len(w.bufs); n > 0 {
		prev := w.bufs[n-1]
		if cap(prev) > len(prev) && &prev[:len(prev)+1][len(prev)] == &b[0] {
			w.bufs[n-1] = prev[:len(prev)+len(b)]
			return
		}
	}
	w.bufs = append(w.bufs, b)
}

// Reset discards everything queued and not yet flushed.
func (w *Writer) Reset() {
	clear(w.bufs)
	w.bufs = w.bufs[:0]
	w.arena = w.arena[:0]
	w.size = 0
}

// Flush writes everything queued. After an error the Writer must not be used
// again: part of a PDU may have been sent.
func (w *Writer) Flush() error {
	if w.size == 0 {
		return nil
	}
	w.pending = w.bufs
	_, err := w.pending.WriteTo(w.w)
	w.pending = nil
	w.Reset()
	return err
}
