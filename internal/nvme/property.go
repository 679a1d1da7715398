package nvme

// Controller property offsets (fabrics Property Get/Set).
const (
	PropCAP  = 0x00
	PropVS   = 0x08
	PropCC   = 0x14
	PropCSTS = 0x1C
	PropNSSR = 0x20
	PropCRTO = 0x68
)

// PropertySize returns the size in bytes of the property at off, or 0 if
// this project does not know it.
func PropertySize(off uint32) int {
	switch off {
	case PropCAP:
		return 8
	case PropVS, PropCC, PropCSTS, PropNSSR, PropCRTO:
		return 4
	}
	return 0
}

// CC (controller configuration) fields.
const (
	CCEnable     = 1 << 0
	CCShnMask    = 3 << 14
	CCShnNormal  = 1 << 14
	CCShnAbrupt  = 2 << 14
	CCIOSQES     = 6 << 16
	CCIOCQES     = 4 << 20
	CCIOSQESMask = 0xF << 16
	CCIOCQESMask = 0xF << 20
)

// CSTS (controller status) fields.
const (
	CSTSReady         = 1 << 0
	CSTSFatal         = 1 << 1
	CSTSShstMask      = 3 << 2
	CSTSShstOccurring = 1 << 2
	CSTSShstComplete  = 2 << 2
)

// Capabilities is the decoded CAP property.
type Capabilities struct {
	MQES    uint16 // maximum queue entries supported, 0's based
	Timeout uint8  // worst-case time to ready, in 500 ms units
	CSSNVM  bool
}

// Encode packs c into the 64-bit CAP value (CQR set, NVM command set,
// MPSMIN=MPSMAX=0 i.e. 4 KiB pages).
func (c Capabilities) Encode() uint64 {
	v := uint64(c.MQES) | 1<<16 | uint64(c.Timeout)<<24
	if c.CSSNVM {
		v |= 1 << 37
	}
	return v
}

// DecodeCapabilities unpacks a CAP value.
func DecodeCapabilities(v uint64) Capabilities {
	return Capabilities{MQES: uint16(v), Timeout: uint8(v >> 24), CSSNVM: v&(1<<37) != 0}
}

// Version encodes an NVMe version as the VS property does.
func Version(major, minor, tertiary uint8) uint32 {
	return uint32(major)<<16 | uint32(minor)<<8 | uint32(tertiary)
}
