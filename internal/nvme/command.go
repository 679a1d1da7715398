package nvme

import "encoding/binary"

// CommandSize and CompletionSize are the fixed sizes of an SQE and a CQE.
const (
	CommandSize    = 64
	CompletionSize = 16
)

// PSDTSGL is the flags byte every fabrics command carries: PSDT=01b (SGLs,
// metadata buffer contiguous), no fused operation. Linux nvmet rejects others.
const PSDTSGL = 0x40

// SGL descriptor type bytes (byte 15 of SGL1) used by NVMe/TCP.
const (
	// SGLInCapsule is a Data Block descriptor, Offset subtype: data follows the
	// command in the same capsule.
	SGLInCapsule = 0x01
	// SGLTransport is a Transport Data Block descriptor: data moves through
	// R2T/H2CData or C2HData PDUs.
	SGLTransport = 0x5A
)

// SGL is SGL1 of a fabrics command.
type SGL struct {
	Addr   uint64
	Length uint32
	Type   uint8
}

// Command is a 64-byte submission queue entry. The command dwords are kept
// as raw values; accessors give the meaning for the commands this project uses.
type Command struct {
	Opcode uint8
	Flags  uint8
	CID    uint16
	NSID   uint32
	CDW2   uint32
	CDW3   uint32
	MPTR   uint64
	SGL    SGL
	CDW10  uint32
	CDW11  uint32
	CDW12  uint32
	CDW13  uint32
	CDW14  uint32
	CDW15  uint32
}

// Marshal writes c into b, which must hold CommandSize bytes.
func (c *Command) Marshal(b []byte) {
	_ = b[CommandSize-1]
	b[0] = c.Opcode
	b[1] = c.Flags
	le.PutUint16(b[2:], c.CID)
	le.PutUint32(b[4:], c.NSID)
	le.PutUint32(b[8:], c.CDW2)
	le.PutUint32(b[12:], c.CDW3)
	le.PutUint64(b[16:], c.MPTR)
	le.PutUint64(b[24:], c.SGL.Addr)
	le.PutUint32(b[32:], c.SGL.Length)
	b[36], b[37], b[38] = 0, 0, 0
	b[39] = c.SGL.Type
	le.PutUint32(b[40:], c.CDW10)
	le.PutUint32(b[44:], c.CDW11)
	le.PutUint32(b[48:], c.CDW12)
	le.PutUint32(b[52:], c.CDW13)
	le.PutUint32(b[56:], c.CDW14)
	le.PutUint32(b[60:], c.CDW15)
}

// Unmarshal reads c from b, which must hold CommandSize bytes.
func (c *Command) Unmarshal(b []byte) {
	_ = b[CommandSize-1]
	c.Opcode = b[0]
	c.Flags = b[1]
	c.CID = le.Uint16(b[2:])
	c.NSID = le.Uint32(b[4:])
	c.CDW2 = le.Uint32(b[8:])
	c.CDW3 = le.Uint32(b[12:])
	c.MPTR = le.Uint64(b[16:])
	c.SGL.Addr = le.Uint64(b[24:])
	c.SGL.Length = le.Uint32(b[32:])
	c.SGL.Type = b[39]
	c.CDW10 = le.Uint32(b[40:])
	c.CDW11 = le.Uint32(b[44:])
	c.CDW12 = le.Uint32(b[48:])
	c.CDW13 = le.Uint32(b[52:])
	c.CDW14 = le.Uint32(b[56:])
	c.CDW15 = le.Uint32(b[60:])
}

// SLBA is the starting LBA of a Read, Write, Write Zeroes or Compare.
func (c *Command) SLBA() uint64 { return uint64(c.CDW11)<<32 | uint64(c.CDW10) }

// NLB is the number of logical blocks of a Read/Write (stored 0's based).
func (c *Command) NLB() uint32 { return c.CDW12&0xFFFF + 1 }

// SetLBARange sets SLBA and NLB (nlb is 1-based, 1..65536).
func (c *Command) SetLBARange(slba uint64, nlb uint32) {
	c.CDW10 = uint32(slba)
	c.CDW11 = uint32(slba >> 32)
	c.CDW12 = c.CDW12&^0xFFFF | (nlb-1)&0xFFFF
}

// FabricsType is the FCTYPE of a fabrics command (opcode 0x7F).
func (c *Command) FabricsType() uint8 { return uint8(c.NSID) }

// Completion is a 16-byte completion queue entry.
type Completion struct {
	DW0    uint32
	DW1    uint32
	SQHD   uint16
	SQID   uint16
	CID    uint16
	Status Status
}

// Marshal writes c into b, which must hold CompletionSize bytes.
func (c *Completion) Marshal(b []byte) {
	_ = b[CompletionSize-1]
	le.PutUint32(b[0:], c.DW0)
	le.PutUint32(b[4:], c.DW1)
	le.PutUint16(b[8:], c.SQHD)
	le.PutUint16(b[10:], c.SQID)
	le.PutUint16(b[12:], c.CID)
	le.PutUint16(b[14:], uint16(c.Status)<<1)
}

// Unmarshal reads c from b, which must hold CompletionSize bytes. The phase
// bit is dropped: it carries no meaning over TCP.
func (c *Completion) Unmarshal(b []byte) {
	_ = b[CompletionSize-1]
	c.DW0 = le.Uint32(b[0:])
	c.DW1 = le.Uint32(b[4:])
	c.SQHD = le.Uint16(b[8:])
	c.SQID = le.Uint16(b[10:])
	c.CID = le.Uint16(b[12:])
	c.Status = Status(le.Uint16(b[14:]) >> 1)
}

var le = binary.LittleEndian
