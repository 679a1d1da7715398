package pdu

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Type is the PDU-TYPE field of the common header.
type Type uint8

// PDU types (NVMe/TCP transport specification, figure "PDU Type").
const (
	TypeICReq       Type = 0x00
	TypeICResp      Type = 0x01
	TypeH2CTermReq  Type = 0x02
	TypeC2HTermReq  Type = 0x03
	TypeCapsuleCmd  Type = 0x04
	TypeCapsuleResp Type = 0x05
	TypeH2CData     Type = 0x06
	TypeC2HData     Type = 0x07
	TypeR2T         Type = 0x09
)

func (t Type) String() string {
	switch t {
	case TypeICReq:
		return "ICReq"
	case TypeICResp:
		return "ICResp"
	case TypeH2CTermReq:
		return "H2CTermReq"
	case TypeC2HTermReq:
		return "C2HTermReq"
	case TypeCapsuleCmd:
		return "CapsuleCmd"
	case TypeCapsuleResp:
		return "CapsuleResp"
	case TypeH2CData:
		return "H2CData"
	case TypeC2HData:
		return "C2HData"
	case TypeR2T:
		return "R2T"
	}
	return fmt.Sprintf("pdu-type(%#02x)", uint8(t))
}

// Common header flag bits.
const (
	FlagHDGST   = 0x01
	FlagDDGST   = 0x02
	FlagLast    = 0x04
	FlagSuccess = 0x08
)

// Header lengths (HLEN) per PDU type.
const (
	CommonHeaderLen = 8
	ICLen           = 128
	TermReqHdrLen   = 24
	CapsuleCmdLen   = 72
	CapsuleRespLen  = 24
	DataHdrLen      = 24
	R2THdrLen       = 24
	DigestLen       = 4
	// MaxTermReqData is how much of the offending PDU header a TermReq carries.
	MaxTermReqData = 128
)

// spec describes what the wire format allows for each type.
type spec struct {
	hlen     uint8
	hdgst    bool // may carry a header digest
	ddgst    bool // may carry a data digest
	data     bool // may carry data
	fromHost bool
}

var specs = [...]spec{
	TypeICReq:       {hlen: ICLen, fromHost: true},
	TypeICResp:      {hlen: ICLen},
	TypeH2CTermReq:  {hlen: TermReqHdrLen, data: true, fromHost: true},
	TypeC2HTermReq:  {hlen: TermReqHdrLen, data: true},
	TypeCapsuleCmd:  {hlen: CapsuleCmdLen, hdgst: true, ddgst: true, data: true, fromHost: true},
	TypeCapsuleResp: {hlen: CapsuleRespLen, hdgst: true},
	TypeH2CData:     {hlen: DataHdrLen, hdgst: true, ddgst: true, data: true, fromHost: true},
	TypeC2HData:     {hlen: DataHdrLen, hdgst: true, ddgst: true, data: true},
	0x08:            {},
	TypeR2T:         {hlen: R2THdrLen, hdgst: true},
}

func specOf(t Type) (spec, bool) {
	if int(t) >= len(specs) || specs[t].hlen == 0 {
		return spec{}, false
	}
	return specs[t], true
}

// Fatal error status values (FES) of a termination request.
const (
	FESInvalidHeaderField   = 0x01
	FESPDUSequenceError     = 0x02
	FESHeaderDigestError    = 0x03
	FESDataOutOfRange       = 0x04
	FESDataLimitExceeded    = 0x05
	FESUnsupportedParameter = 0x06
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Digest is the CRC32C NVMe/TCP uses for header and data digests.
func Digest(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// UpdateDigest extends a running digest (start with 0) by b.
func UpdateDigest(crc uint32, b []byte) uint32 { return crc32.Update(crc, castagnoli, b) }

var le = binary.LittleEndian
