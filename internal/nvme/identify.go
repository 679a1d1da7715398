package nvme

import "strings"

// Controller types (Identify Controller CNTRLTYPE).
const (
	ControllerTypeIO        = 1
	ControllerTypeDiscovery = 2
)

// CMIC bits.
const (
	CMICMultiPort  = 1 << 0
	CMICMultiCtrl  = 1 << 1
	CMICANAReports = 1 << 3
)

// ONCS bits.
const (
	ONCSDatasetMgmt = 1 << 2
	ONCSWriteZeroes = 1 << 3
)

// OAES bits.
const (
	OAESNSAttribute  = 1 << 8
	OAESANAChange    = 1 << 11
	OAESDiscoveryLog = 1 << 31
)

// IdentifyController holds the Identify Controller fields hosts check.
// Fields not listed are zero on the wire.
type IdentifyController struct {
	VID, SSVID     uint16
	Serial         string // SN, 20 bytes space padded
	Model          string // MN, 40 bytes
	Firmware       string // FR, 8 bytes
	CMIC           uint8
	MDTS           uint8 // log2 of max transfer in 4 KiB units, 0 = unlimited
	CNTLID         uint16
	Version        uint32
	OAES           uint32
	CTRATT         uint32
	ControllerType uint8
	ACL, AERL      uint8
	LPA            uint8
	ELPE           uint8
	KAS            uint16 // keep alive granularity, 100 ms units
	ANATT          uint8
	ANACAP         uint8
	ANAGRPMAX      uint32
	NANAGRPID      uint32
	MaxCmd         uint16
	NN             uint32
	ONCS           uint16
	VWC            uint8
	SGLS           uint32
	MNAN           uint32
	SubNQN         string
	IOCCSZ         uint32 // in 16-byte units
	IORCSZ         uint32
	ICDOFF         uint16
	MSDBD          uint8
}

// Marshal writes c into b (IdentifySize bytes, zeroed first).
func (c *IdentifyController) Marshal(b []byte) {
	clear(b[:IdentifySize])
	le.PutUint16(b[0:], c.VID)
	le.PutUint16(b[2:], c.SSVID)
	putPadded(b[4:24], c.Serial, ' ')
	putPadded(b[24:64], c.Model, ' ')
	putPadded(b[64:72], c.Firmware, ' ')
	b[72] = 6 // RAB
	b[76] = c.CMIC
	b[77] = c.MDTS
	le.PutUint16(b[78:], c.CNTLID)
	le.PutUint32(b[80:], c.Version)
	le.PutUint32(b[92:], c.OAES)
	le.PutUint32(b[96:], c.CTRATT)
	b[111] = c.ControllerType
	b[258] = c.ACL
	b[259] = c.AERL
	b[261] = c.LPA
	b[262] = c.ELPE
	le.PutUint16(b[320:], c.KAS)
	b[342] = c.ANATT
	b[343] = c.ANACAP
	le.PutUint32(b[344:], c.ANAGRPMAX)
	le.PutUint32(b[348:], c.NANAGRPID)
	b[512] = 0x66 // SQES
	b[513] = 0x44 // CQES
	le.PutUint16(b[514:], c.MaxCmd)
	le.PutUint32(b[516:], c.NN)
	le.PutUint16(b[520:], c.ONCS)
	b[525] = c.VWC
	le.PutUint32(b[536:], c.SGLS)
	le.PutUint32(b[540:], c.MNAN)
	putPadded(b[768:1024], c.SubNQN, 0)
	le.PutUint32(b[1792:], c.IOCCSZ)
	le.PutUint32(b[1796:], c.IORCSZ)
	le.PutUint16(b[1800:], c.ICDOFF)
	b[1803] = c.MSDBD
}

// Unmarshal reads c from b (IdentifySize bytes).
func (c *IdentifyController) Unmarshal(b []byte) {
	_ = b[IdentifySize-1]
	c.VID = le.Uint16(b[0:])
	c.SSVID = le.Uint16(b[2:])
	c.Serial = strings.TrimSpace(cString(b[4:24]))
	c.Model = strings.TrimSpace(cString(b[24:64]))
	c.Firmware = strings.TrimSpace(cString(b[64:72]))
	c.CMIC = b[76]
	c.MDTS = b[77]
	c.CNTLID = le.Uint16(b[78:])
	c.Version = le.Uint32(b[80:])
	c.OAES = le.Uint32(b[92:])
	c.CTRATT = le.Uint32(b[96:])
	c.ControllerType = b[111]
	c.ACL = b[258]
	c.AERL = b[259]
	c.LPA = b[261]
	c.ELPE = b[262]
	c.KAS = le.Uint16(b[320:])
	c.ANATT = b[342]
	c.ANACAP = b[343]
	c.ANAGRPMAX = le.Uint32(b[344:])
	c.NANAGRPID = le.Uint32(b[348:])
	c.MaxCmd = le.Uint16(b[514:])
	c.NN = le.Uint32(b[516:])
	c.ONCS = le.Uint16(b[520:])
	c.VWC = b[525]
	c.SGLS = le.Uint32(b[536:])
	c.MNAN = le.Uint32(b[540:])
	c.SubNQN = cString(b[768:1024])
	c.IOCCSZ = le.Uint32(b[1792:])
	c.IORCSZ = le.Uint32(b[1796:])
	c.ICDOFF = le.Uint16(b[1800:])
	c.MSDBD = b[1803]
}

// MaxTransfer returns the largest data transfer in bytes the controller
// accepts (MDTS), or 0 for no limit.
func (c *IdentifyController) MaxTransfer() int {
	if c.MDTS == 0 {
		return 0
	}
	return 4096 << c.MDTS
}

// InCapsuleDataSize returns the I/O queue in-capsule data limit in bytes.
func (c *IdentifyController) InCapsuleDataSize() int {
	if c.IOCCSZ < 4 {
		return 0
	}
	return int(c.IOCCSZ)*16 - CommandSize
}

// IdentifyNamespace holds the Identify Namespace fields this project uses.
type IdentifyNamespace struct {
	NSZE, NCAP, NUSE uint64
	NMIC             uint8
	ANAGRPID         uint32
	NGUID            [16]byte
	EUI64            [8]byte
	LBADS            uint8 // log2 of the block size of LBA format 0
}

// NMICShared marks a namespace reachable through several controllers.
const NMICShared = 1

// Marshal writes n into b (IdentifySize bytes, zeroed first).
func (n *IdentifyNamespace) Marshal(b []byte) {
	clear(b[:IdentifySize])
	le.PutUint64(b[0:], n.NSZE)
	le.PutUint64(b[8:], n.NCAP)
	le.PutUint64(b[16:], n.NUSE)
	b[30] = n.NMIC
	le.PutUint32(b[92:], n.ANAGRPID)
	copy(b[104:120], n.NGUID[:])
	copy(b[120:128], n.EUI64[:])
	le.PutUint32(b[128:], uint32(n.LBADS)<<16)
}

// Unmarshal reads n from b (IdentifySize bytes), using the LBA format that
// FLBAS selects.
func (n *IdentifyNamespace) Unmarshal(b []byte) {
	_ = b[IdentifySize-1]
	n.NSZE = le.Uint64(b[0:])
	n.NCAP = le.Uint64(b[8:])
	n.NUSE = le.Uint64(b[16:])
	n.NMIC = b[30]
	n.ANAGRPID = le.Uint32(b[92:])
	copy(n.NGUID[:], b[104:120])
	copy(n.EUI64[:], b[120:128])
	format := int(b[26]&0xF) | int(b[26]>>5&3)<<4
	if format > 63 {
		format = 0
	}
	n.LBADS = uint8(le.Uint32(b[128+4*format:]) >> 16)
}

// BlockSize is the logical block size in bytes, 0 when the namespace is
// inactive (all-zero Identify data).
func (n *IdentifyNamespace) BlockSize() int {
	if n.LBADS < 9 || n.LBADS > 16 {
		return 0
	}
	return 1 << n.LBADS
}

// Namespace identification descriptor types (Identify CNS 3).
const (
	NIDTEUI64 = 1
	NIDTNGUID = 2
	NIDTUUID  = 3
	NIDTCSI   = 4
)

// NamespaceIDs are the identifiers a multipath host matches paths by.
type NamespaceIDs struct {
	NGUID [16]byte
	UUID  [16]byte
}

// Marshal writes the descriptor list for ids into b (IdentifySize bytes).
func (ids *NamespaceIDs) Marshal(b []byte) {
	clear(b[:IdentifySize])
	b[0], b[1] = NIDTNGUID, 16
	copy(b[4:20], ids.NGUID[:])
	b[20], b[21] = NIDTUUID, 16
	copy(b[24:40], ids.UUID[:])
	b[40], b[41] = NIDTCSI, 1 // NVM command set (CSI 0)
}

// Unmarshal parses a descriptor list, ignoring descriptor types it does not know.
func (ids *NamespaceIDs) Unmarshal(b []byte) {
	for off := 0; off+4 <= len(b); {
		typ, n := b[off], int(b[off+1])
		if typ == 0 || off+4+n > len(b) {
			return
		}
		val := b[off+4 : off+4+n]
		switch {
		case typ == NIDTNGUID && n == 16:
			copy(ids.NGUID[:], val)
		case typ == NIDTUUID && n == 16:
			copy(ids.UUID[:], val)
		}
		off += 4 + n
	}
}

// ActiveNamespaceList encodes the active NSIDs greater than after into b
// (IdentifySize bytes, up to 1024 entries, zero terminated). nsids must be
// sorted ascending.
func ActiveNamespaceList(b []byte, nsids []uint32, after uint32) {
	clear(b[:IdentifySize])
	i := 0
	for _, id := range nsids {
		if id > after && i < IdentifySize/4 {
			le.PutUint32(b[4*i:], id)
			i++
		}
	}
}

// ParseNamespaceList decodes an active namespace list.
func ParseNamespaceList(b []byte) []uint32 {
	var ids []uint32
	for i := 0; i+4 <= len(b); i += 4 {
		id := le.Uint32(b[i:])
		if id == 0 {
			break
		}
		ids = append(ids, id)
	}
	return ids
}
