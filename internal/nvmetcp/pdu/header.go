package pdu

import (
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// Header is a received PDU header: the common header plus the type-specific
// part, kept raw so decoding costs nothing until a field is read.
type Header struct {
	raw     [ICLen]byte
	DataLen int // bytes of data that follow (after padding), digest excluded
	pad     int // padding bytes between header(+digest) and data
	ddgst   bool
}

// Type is the PDU type.
func (h *Header) Type() Type { return Type(h.raw[0]) }

// Flags are the common header flags.
func (h *Header) Flags() uint8 { return h.raw[1] }

// HLen is the header length.
func (h *Header) HLen() int { return int(h.raw[2]) }

// PDO is the PDU data offset.
func (h *Header) PDO() int { return int(h.raw[3]) }

// PLen is the total PDU length.
func (h *Header) PLen() uint32 { return le.Uint32(h.raw[4:]) }

// Raw returns the header bytes (HLEN of them, digest excluded). The slice
// aliases the Header and is valid until it is reused.
func (h *Header) Raw() []byte { return h.raw[:h.HLen()] }

// Command decodes the SQE of a CapsuleCmd.
func (h *Header) Command(c *nvme.Command) { c.Unmarshal(h.raw[8:72]) }

// Completion decodes the CQE of a CapsuleResp.
func (h *Header) Completion(c *nvme.Completion) { c.Unmarshal(h.raw[8:24]) }

// DataHeader is the type-specific part of H2CData, C2HData and R2T PDUs
// (for R2T, Offset and Length are R2TO and R2TL).
type DataHeader struct {
	CCCID  uint16
	TTag   uint16
	Offset uint32
	Length uint32
}

// Data decodes the data-transfer fields of H2CData, C2HData and R2T.
func (h *Header) Data() DataHeader {
	return DataHeader{
		CCCID:  le.Uint16(h.raw[8:]),
		TTag:   le.Uint16(h.raw[10:]),
		Offset: le.Uint32(h.raw[12:]),
		Length: le.Uint32(h.raw[16:]),
	}
}

// IC holds the fields of ICReq and ICResp. PDA is HPDA in an ICReq and CPDA
// in an ICResp; MaxData is MAXR2T (0's based) in an ICReq and MAXH2CDATA in
// an ICResp.
type IC struct {
	PFV          uint16
	PDA          uint8
	HeaderDigest bool
	DataDigest   bool
	MaxData      uint32
}

// IC decodes an ICReq or ICResp.
func (h *Header) IC() IC {
	return IC{
		PFV:          le.Uint16(h.raw[8:]),
		PDA:          h.raw[10],
		HeaderDigest: h.raw[11]&1 != 0,
		DataDigest:   h.raw[11]&2 != 0,
		MaxData:      le.Uint32(h.raw[12:]),
	}
}

// TermReq holds the fields of a termination request.
type TermReq struct {
	FES uint16
	FEI uint32
}

// TermReq decodes an H2CTermReq or C2HTermReq header.
func (h *Header) TermReq() TermReq {
	return TermReq{FES: le.Uint16(h.raw[8:]), FEI: le.Uint32(h.raw[10:])}
}
