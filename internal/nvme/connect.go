package nvme

import (
	"bytes"
	"fmt"
)

// ConnectDataSize is the length of the Connect command's data.
const ConnectDataSize = 1024

// DynamicCNTLID asks the target to allocate a controller (dynamic model).
const DynamicCNTLID = 0xFFFF

// ConnectData is the data of a fabrics Connect command.
type ConnectData struct {
	HostID  [16]byte
	CNTLID  uint16
	SubNQN  string
	HostNQN string
}

// Marshal writes d into b (ConnectDataSize bytes). NQNs longer than
// MaxNQNLength are an error: the target would truncate them silently.
func (d *ConnectData) Marshal(b []byte) error {
	if len(d.SubNQN) > MaxNQNLength || len(d.HostNQN) > MaxNQNLength {
		return fmt.Errorf("nqn longer than %d bytes", MaxNQNLength)
	}
	clear(b[:ConnectDataSize])
	copy(b[0:16], d.HostID[:])
	le.PutUint16(b[16:], d.CNTLID)
	copy(b[256:512], d.SubNQN)
	copy(b[512:768], d.HostNQN)
	return nil
}

// Unmarshal reads d from b (ConnectDataSize bytes).
func (d *ConnectData) Unmarshal(b []byte) {
	copy(d.HostID[:], b[0:16])
	d.CNTLID = le.Uint16(b[16:])
	d.SubNQN = cString(b[256:512])
	d.HostNQN = cString(b[512:768])
}

// ConnectCommand fields live in CDW10..CDW12 of the SQE.
type ConnectCommand struct {
	RecFmt uint16
	QID    uint16
	SQSize uint16 // 0's based
	CATTR  uint8
	KATO   uint32 // milliseconds
}

// Apply stores the connect fields into a fabrics command.
func (c ConnectCommand) Apply(cmd *Command) {
	cmd.Opcode = OpcodeFabrics
	cmd.NSID = FabricsConnect
	cmd.CDW10 = uint32(c.RecFmt) | uint32(c.QID)<<16
	cmd.CDW11 = uint32(c.SQSize) | uint32(c.CATTR)<<16
	cmd.CDW12 = c.KATO
}

// ParseConnectCommand reads the connect fields of cmd.
func ParseConnectCommand(cmd *Command) ConnectCommand {
	return ConnectCommand{
		RecFmt: uint16(cmd.CDW10),
		QID:    uint16(cmd.CDW10 >> 16),
		SQSize: uint16(cmd.CDW11),
		CATTR:  uint8(cmd.CDW11 >> 16),
		KATO:   cmd.CDW12,
	}
}

// CATTRDisableSQFlowControl is Connect CATTR bit 2.
const CATTRDisableSQFlowControl = 1 << 2

// PropertyCommand builds a fabrics Property Get (set=false) or Set.
func PropertyCommand(set bool, off uint32, size int, value uint64) Command {
	cmd := Command{Opcode: OpcodeFabrics, NSID: FabricsPropertyGet}
	if set {
		cmd.NSID = FabricsPropertySet
		cmd.CDW12 = uint32(value)
		cmd.CDW13 = uint32(value >> 32)
	}
	if size == 8 {
		cmd.CDW10 = 1
	}
	cmd.CDW11 = off
	return cmd
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(bytes.TrimRight(b, " "))
}

func putPadded(dst []byte, s string, pad byte) {
	n := copy(dst, s)
	for i := n; i < len(dst); i++ {
		dst[i] = pad
	}
}
