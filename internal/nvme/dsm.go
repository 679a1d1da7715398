package nvme

// DSMRangeSize is the size of one Dataset Management range descriptor.
const DSMRangeSize = 16

// MaxDSMRanges is the most ranges one Dataset Management command carries
// (CDW10 NR is 8 bits, 0's based).
const MaxDSMRanges = 256

// DSM attribute bits of CDW11.
const (
	DSMIntegralRead  = 1 << 0
	DSMIntegralWrite = 1 << 1
	DSMDeallocate    = 1 << 2
)

// DSMRange is one Dataset Management range: NLB blocks (1-based, unlike the
// Read/Write NLB field) starting at SLBA.
type DSMRange struct {
	Attributes uint32
	NLB        uint32
	SLBA       uint64
}

// MarshalDSMRanges encodes ranges into b, which must hold
// DSMRangeSize*len(ranges) bytes.
func MarshalDSMRanges(b []byte, ranges []DSMRange) {
	for i, r := range ranges {
		d := b[i*DSMRangeSize : (i+1)*DSMRangeSize]
		le.PutUint32(d[0:], r.Attributes)
		le.PutUint32(d[4:], r.NLB)
		le.PutUint64(d[8:], r.SLBA)
	}
}

// ParseDSMRanges decodes the ranges in b (trailing partial bytes ignored).
func ParseDSMRanges(b []byte) []DSMRange {
	ranges := make([]DSMRange, 0, len(b)/DSMRangeSize)
	for off := 0; off+DSMRangeSize <= len(b); off += DSMRangeSize {
		ranges = append(ranges, DSMRange{
			Attributes: le.Uint32(b[off:]),
			NLB:        le.Uint32(b[off+4:]),
			SLBA:       le.Uint64(b[off+8:]),
		})
	}
	return ranges
}

// AsyncEvent is the decoded DW0 of an Asynchronous Event Request completion.
type AsyncEvent struct {
	Type    uint8 // bits 2:0: 0 error, 1 SMART, 2 notice, 6 I/O command set, 7 vendor
	Info    uint8 // bits 15:8, e.g. AsyncNoticeANAChange
	LogPage uint8 // bits 23:16: the log page to read (with RAE=0) to re-arm the event
}

// ParseAsyncEvent decodes an AER completion's DW0.
func ParseAsyncEvent(dw0 uint32) AsyncEvent {
	return AsyncEvent{Type: uint8(dw0) & 7, Info: uint8(dw0 >> 8), LogPage: uint8(dw0 >> 16)}
}

// DW0 encodes e as an AER completion carries it.
func (e AsyncEvent) DW0() uint32 {
	return uint32(e.Type&7) | uint32(e.Info)<<8 | uint32(e.LogPage)<<16
}
