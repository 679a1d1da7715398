package pdu

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// ProtocolError is a malformed or unexpected PDU. FES and FEI are what a
// termination request reporting it carries; Header is a copy of the
// offending header (at most MaxTermReqData bytes).
type ProtocolError struct {
	FES    uint16
	FEI    uint32
	Header []byte
	Reason string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("nvme/tcp protocol error (fes %d, fei %d): %s", e.FES, e.FEI, e.Reason)
}

// ErrDataDigest is returned by ReadData when the data digest does not match.
var ErrDataDigest = errors.New("nvme/tcp data digest mismatch")

// Role says which side reads: a host reads controller-to-host PDUs, a
// controller reads host-to-controller PDUs.
type Role uint8

// Roles.
const (
	RoleHost Role = iota
	RoleController
)

// Reader reads PDUs from a byte stream and validates them against the
// negotiated digests and data limits. It never allocates per PDU: data is
// read into buffers the caller supplies. Not safe for concurrent use.
type Reader struct {
	br           *bufio.Reader
	role         Role
	hdgst, ddgst bool
	maxData      int
	hdr          Header
	dataPending  bool
	hdrValid     int // bytes of hdr.raw read for the current PDU
	scratch      [DigestLen]byte
}

// DefaultMaxData bounds the data one PDU may carry until SetMaxData says
// otherwise (MAXH2CDATA, in-capsule limits and MDTS are all far below it).
const DefaultMaxData = 4 << 20

// NewReader wraps r. bufSize is the read buffer size (0 picks 64 KiB).
func NewReader(r io.Reader, role Role, bufSize int) *Reader {
	if bufSize <= 0 {
		bufSize = 64 << 10
	}
	return &Reader{br: bufio.NewReaderSize(r, bufSize), role: role, maxData: DefaultMaxData}
}

// SetDigests records the digests negotiated by ICReq/ICResp.
func (r *Reader) SetDigests(header, data bool) { r.hdgst, r.ddgst = header, data }

// SetMaxData sets the largest data length one PDU may carry.
func (r *Reader) SetMaxData(n int) { r.maxData = n }

// Buffered is the number of bytes already read from the stream and not yet
// consumed: 0 means the next Next or ReadData will block on the stream.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// WholePDUBuffered reports whether the next PDU is buffered entirely, so
// that Next and the ReadData after it will not wait on the stream. A
// reader that holds replies sends them before it would wait.
func (r *Reader) WholePDUBuffered() bool {
	n := r.br.Buffered()
	if n < CommonHeaderLen {
		return false
	}
	ch, err := r.br.Peek(CommonHeaderLen)
	return err == nil && n >= int(le.Uint32(ch[4:8]))
}

// Fill waits until at least one byte is buffered, reading the stream
// when none is. An error (a read deadline, say) leaves the reader as it
// was: no byte of a PDU is consumed, so it may be retried.
func (r *Reader) Fill() error {
	if r.br.Buffered() > 0 {
		return nil
	}
	_, err := r.br.Peek(1)
	return err
}

// Next reads and validates the next PDU header. Data that the previous PDU
// carried and the caller did not read is discarded first. The returned
// Header is reused by the next call.
func (r *Reader) Next() (*Header, error) {
	if r.dataPending {
		if err := r.Discard(); err != nil {
			return nil, err
		}
	}
	h := &r.hdr
	r.hdrValid = 0
	if _, err := io.ReadFull(r.br, h.raw[:CommonHeaderLen]); err != nil {
		return nil, err
	}
	r.hdrValid = CommonHeaderLen
	sp, err := r.checkCommon(h)
	if err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(r.br, h.raw[CommonHeaderLen:sp.hlen]); err != nil {
		return nil, unexpectedEOF(err)
	}
	r.hdrValid = int(sp.hlen)
	hd := 0
	if h.Flags()&FlagHDGST != 0 {
		hd = DigestLen
		if _, err := io.ReadFull(r.br, r.scratch[:]); err != nil {
			return nil, unexpectedEOF(err)
		}
		if le.Uint32(r.scratch[:]) != Digest(h.raw[:sp.hlen]) {
			return nil, r.protoErr(h, FESHeaderDigestError, 0, "header digest mismatch")
		}
	}
	if err := r.checkLengths(h, sp, hd); err != nil {
		return nil, err
	}
	r.dataPending = h.DataLen > 0 || h.pad > 0 || h.ddgst
	return h, nil
}

// checkCommon validates type, direction, HLEN and digest flags.
func (r *Reader) checkCommon(h *Header) (spec, error) {
	sp, ok := specOf(h.Type())
	if !ok || sp.fromHost != (r.role == RoleController) {
		return sp, r.protoErr(h, FESInvalidHeaderField, 0, fmt.Sprintf("unexpected PDU type %v", h.Type()))
	}
	if h.HLen() != int(sp.hlen) {
		return sp, r.protoErr(h, FESInvalidHeaderField, 2, fmt.Sprintf("%v with HLEN %d, want %d", h.Type(), h.HLen(), sp.hlen))
	}
	wantHD := r.hdgst && sp.hdgst
	if (h.Flags()&FlagHDGST != 0) != wantHD {
		return sp, r.protoErr(h, FESInvalidHeaderField, 1, fmt.Sprintf("%v header digest flag %v, negotiated %v", h.Type(), !wantHD, wantHD))
	}
	if h.Flags()&FlagDDGST != 0 && !(r.ddgst && sp.ddgst) {
		return sp, r.protoErr(h, FESInvalidHeaderField, 1, fmt.Sprintf("%v data digest flag without negotiation", h.Type()))
	}
	if h.Type() == TypeC2HData && h.Flags()&FlagSuccess != 0 && h.Flags()&FlagLast == 0 {
		return sp, r.protoErr(h, FESInvalidHeaderField, 1, "C2HData SUCCESS flag without LAST_PDU")
	}
	return sp, nil
}

// checkLengths validates PLEN and PDO and works out data length and padding.
func (r *Reader) checkLengths(h *Header, sp spec, hd int) error {
	plen := int64(h.PLen())
	min := int64(sp.hlen) + int64(hd)
	h.DataLen, h.pad, h.ddgst = 0, 0, false
	switch {
	case plen < min:
		return r.protoErr(h, FESInvalidHeaderField, 4, fmt.Sprintf("PLEN %d shorter than header %d", plen, min))
	case !sp.data:
		if plen != min {
			return r.protoErr(h, FESInvalidHeaderField, 4, fmt.Sprintf("%v PLEN %d, want %d", h.Type(), plen, min))
		}
		return nil
	case h.Type() == TypeH2CTermReq || h.Type() == TypeC2HTermReq:
		if plen > min+MaxTermReqData {
			return r.protoErr(h, FESInvalidHeaderField, 4, fmt.Sprintf("termination request PLEN %d too long", plen))
		}
		h.DataLen = int(plen - min)
		return nil
	case plen == min:
		return nil
	}
	pdo := int64(h.PDO())
	if pdo < min || pdo > plen {
		return r.protoErr(h, FESInvalidHeaderField, 3, fmt.Sprintf("PDO %d outside [%d, %d]", pdo, min, plen))
	}
	dd := int64(0)
	if h.Flags()&FlagDDGST != 0 {
		dd = DigestLen
	}
	n := plen - pdo - dd
	if n <= 0 {
		return r.protoErr(h, FESInvalidHeaderField, 4, fmt.Sprintf("PLEN %d leaves no data after PDO %d", plen, pdo))
	}
	if r.ddgst && sp.ddgst && dd == 0 {
		return r.protoErr(h, FESInvalidHeaderField, 1, "data without the negotiated data digest")
	}
	if n > int64(r.maxData) {
		return r.protoErr(h, FESDataLimitExceeded, 4, fmt.Sprintf("%d data bytes exceed limit %d", n, r.maxData))
	}
	h.DataLen, h.pad, h.ddgst = int(n), int(pdo-min), dd != 0
	return nil
}

// ReadData reads the current PDU's data into dst, which must be exactly
// Header.DataLen bytes, and checks the data digest. On ErrDataDigest the
// stream is still in sync and the connection may continue.
func (r *Reader) ReadData(dst []byte) error {
	h := &r.hdr
	if !r.dataPending || len(dst) != h.DataLen {
		return fmt.Errorf("pdu: ReadData of %d bytes, PDU carries %d", len(dst), h.DataLen)
	}
	r.dataPending = false
	if _, err := r.br.Discard(h.pad); err != nil {
		return unexpectedEOF(err)
	}
	if _, err := io.ReadFull(r.br, dst); err != nil {
		return unexpectedEOF(err)
	}
	if !h.ddgst {
		return nil
	}
	if _, err := io.ReadFull(r.br, r.scratch[:]); err != nil {
		return unexpectedEOF(err)
	}
	if le.Uint32(r.scratch[:]) != Digest(dst) {
		return ErrDataDigest
	}
	return nil
}

// Discard skips the current PDU's data.
func (r *Reader) Discard() error {
	h := &r.hdr
	r.dataPending = false
	n := h.pad + h.DataLen
	if h.ddgst {
		n += DigestLen
	}
	_, err := r.br.Discard(n)
	return unexpectedEOF(err)
}

func (r *Reader) protoErr(h *Header, fes uint16, fei uint32, reason string) error {
	n := min(r.hdrValid, MaxTermReqData)
	return &ProtocolError{FES: fes, FEI: fei, Header: append([]byte(nil), h.raw[:n]...), Reason: reason}
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
