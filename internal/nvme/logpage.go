package nvme

import (
	"errors"
	"fmt"
	"strings"
)

// GetLogPage describes the fields of a Get Log Page command.
type GetLogPage struct {
	LID    uint8
	LSP    uint8
	RAE    bool
	Length int    // bytes, a multiple of 4
	Offset uint64 // bytes, dword aligned
}

// Apply stores the fields into cmd.
func (g GetLogPage) Apply(cmd *Command) {
	numd := uint32(g.Length/4 - 1)
	cmd.Opcode = AdminGetLogPage
	cmd.CDW10 = uint32(g.LID) | uint32(g.LSP&0x7F)<<8 | (numd&0xFFFF)<<16
	if g.RAE {
		cmd.CDW10 |= 1 << 15
	}
	cmd.CDW11 = numd >> 16
	cmd.CDW12 = uint32(g.Offset)
	cmd.CDW13 = uint32(g.Offset >> 32)
}

// ParseGetLogPage reads the fields of a Get Log Page command.
func ParseGetLogPage(cmd *Command) GetLogPage {
	numd := cmd.CDW10>>16 | (cmd.CDW11&0xFFFF)<<16
	return GetLogPage{
		LID:    uint8(cmd.CDW10),
		LSP:    uint8(cmd.CDW10>>8) & 0x7F,
		RAE:    cmd.CDW10&(1<<15) != 0,
		Length: int(numd+1) * 4,
		Offset: uint64(cmd.CDW13)<<32 | uint64(cmd.CDW12),
	}
}

// ANAState is an asymmetric namespace access state.
type ANAState uint8

// ANA states as the ANA log page encodes them.
const (
	ANAOptimized      ANAState = 0x1
	ANANonOptimized   ANAState = 0x2
	ANAInaccessible   ANAState = 0x3
	ANAPersistentLoss ANAState = 0x4
	ANAChange         ANAState = 0xF
)

// String returns SPDK's RPC spelling of the state.
func (s ANAState) String() string {
	switch s {
	case ANAOptimized:
		return "optimized"
	case ANANonOptimized:
		return "non_optimized"
	case ANAInaccessible:
		return "inaccessible"
	case ANAPersistentLoss:
		return "persistent_loss"
	case ANAChange:
		return "change"
	}
	return fmt.Sprintf("ana-state(%d)", uint8(s))
}

// Usable reports whether I/O may be sent to a path in this state.
func (s ANAState) Usable() bool { return s == ANAOptimized || s == ANANonOptimized }

// ParseANAState accepts SPDK's spellings (optimized, non_optimized,
// inaccessible) and the hyphenated forms.
func ParseANAState(s string) (ANAState, error) {
	switch strings.ReplaceAll(strings.ToLower(s), "-", "_") {
	case "optimized":
		return ANAOptimized, nil
	case "non_optimized", "nonoptimized":
		return ANANonOptimized, nil
	case "inaccessible":
		return ANAInaccessible, nil
	case "persistent_loss":
		return ANAPersistentLoss, nil
	case "change":
		return ANAChange, nil
	}
	return 0, fmt.Errorf("unknown ANA state %q (want optimized, non_optimized or inaccessible)", s)
}

// ANAGroup is one ANA group descriptor.
type ANAGroup struct {
	ID     uint32
	Change uint64
	State  ANAState
	NSIDs  []uint32
}

// ANALog is the ANA log page (LID 0x0C).
type ANALog struct {
	Change uint64
	Groups []ANAGroup
}

// LSPReturnGroupsOnly asks for ANA group descriptors without NSID lists.
const LSPReturnGroupsOnly = 1

// Marshal encodes the log; groupsOnly drops the NSID lists (LSP RGO).
func (l *ANALog) Marshal(groupsOnly bool) []byte {
	size := 16
	for _, g := range l.Groups {
		size += 32
		if !groupsOnly {
			size += 4 * len(g.NSIDs)
		}
	}
	b := make([]byte, size)
	le.PutUint64(b[0:], l.Change)
	le.PutUint16(b[8:], uint16(len(l.Groups)))
	off := 16
	for _, g := range l.Groups {
		le.PutUint32(b[off:], g.ID)
		le.PutUint64(b[off+8:], g.Change)
		b[off+16] = byte(g.State) & 0xF
		off += 32
		if groupsOnly {
			continue
		}
		le.PutUint32(b[off-28:], uint32(len(g.NSIDs)))
		for _, id := range g.NSIDs {
			le.PutUint32(b[off:], id)
			off += 4
		}
	}
	return b
}

// ErrShortLog is returned when a log page ends before its header says.
var ErrShortLog = errors.New("log page shorter than its header claims")

// UnmarshalANALog decodes an ANA log page.
func UnmarshalANALog(b []byte) (*ANALog, error) {
	if len(b) < 16 {
		return nil, ErrShortLog
	}
	l := &ANALog{Change: le.Uint64(b[0:])}
	n := int(le.Uint16(b[8:]))
	off := 16
	for i := 0; i < n; i++ {
		if off+32 > len(b) {
			return nil, ErrShortLog
		}
		g := ANAGroup{ID: le.Uint32(b[off:]), Change: le.Uint64(b[off+8:]), State: ANAState(b[off+16] & 0xF)}
		nn := int(le.Uint32(b[off+4:]))
		off += 32
		if nn > (len(b)-off)/4 {
			return nil, ErrShortLog
		}
		for j := 0; j < nn; j++ {
			g.NSIDs = append(g.NSIDs, le.Uint32(b[off:]))
			off += 4
		}
		l.Groups = append(l.Groups, g)
	}
	return l, nil
}

// Transport types, address families and subsystem types of discovery entries.
const (
	TransportTCP            = 3
	AddressFamilyIPv4       = 1
	AddressFamilyIPv6       = 2
	SubtypeReferral         = 1
	SubtypeNVMe             = 2
	SubtypeDiscoveryCurrent = 3
)

// DiscoveryEntry is one record of the discovery log page.
type DiscoveryEntry struct {
	TransportType uint8
	AddressFamily uint8
	Subtype       uint8
	TREQ          uint8
	PortID        uint16
	CNTLID        uint16
	ASQSZ         uint16
	TRSVCID       string
	SubNQN        string
	TRADDR        string
}

// DiscoveryLog is the discovery log page (LID 0x70).
type DiscoveryLog struct {
	GenCtr  uint64
	Entries []DiscoveryEntry
}

const discoveryEntrySize = 1024

// Marshal encodes the whole page: a 1024-byte header and 1024 bytes per entry.
func (l *DiscoveryLog) Marshal() []byte {
	b := make([]byte, discoveryEntrySize*(1+len(l.Entries)))
	le.PutUint64(b[0:], l.GenCtr)
	le.PutUint64(b[8:], uint64(len(l.Entries)))
	for i, e := range l.Entries {
		r := b[discoveryEntrySize*(i+1):]
		r[0], r[1], r[2], r[3] = e.TransportType, e.AddressFamily, e.Subtype, e.TREQ
		le.PutUint16(r[4:], e.PortID)
		le.PutUint16(r[6:], e.CNTLID)
		le.PutUint16(r[8:], e.ASQSZ)
		putPadded(r[32:64], e.TRSVCID, ' ')
		putPadded(r[256:512], e.SubNQN, 0)
		putPadded(r[512:768], e.TRADDR, ' ')
	}
	return b
}

// UnmarshalDiscoveryLog decodes a discovery log page; b may hold fewer
// records than NUMREC when the caller read only part of it.
func UnmarshalDiscoveryLog(b []byte) (*DiscoveryLog, uint64, error) {
	if len(b) < 16 {
		return nil, 0, ErrShortLog
	}
	l := &DiscoveryLog{GenCtr: le.Uint64(b[0:])}
	numrec := le.Uint64(b[8:])
	for i := uint64(0); i < numrec && int(i+2)*discoveryEntrySize <= len(b); i++ {
		r := b[discoveryEntrySize*(i+1):]
		l.Entries = append(l.Entries, DiscoveryEntry{
			TransportType: r[0], AddressFamily: r[1], Subtype: r[2], TREQ: r[3],
			PortID: le.Uint16(r[4:]), CNTLID: le.Uint16(r[6:]), ASQSZ: le.Uint16(r[8:]),
			TRSVCID: strings.TrimSpace(cString(r[32:64])),
			SubNQN:  cString(r[256:512]),
			TRADDR:  strings.TrimSpace(cString(r[512:768])),
		})
	}
	return l, numrec, nil
}
