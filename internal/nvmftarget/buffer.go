package nvmftarget

import "sync"

// buffer is pooled command data. Sizes are powers of two from 4 KiB to
// MaxTransfer, aligned to 4 KiB so O_DIRECT file bdevs can use them as is.
type buffer struct {
	b     []byte
	class int // index into bufferPools, -1 when not pooled
}

const (
	minBufferShift = 12
	bufferClasses  = MDTS + 1 // 4 KiB .. 128 KiB
	bufferAlign    = 4096
)

var bufferPools [bufferClasses]sync.Pool

// getBuffer returns a buffer of at least n bytes; its contents are stale.
func getBuffer(n int) *buffer {
	class := 0
	for (1<<(minBufferShift+class)) < n && class < bufferClasses {
		class++
	}
	if class == bufferClasses {
		return &buffer{b: alignedBytes(n), class: -1}
	}
	if v := bufferPools[class].Get(); v != nil {
		return v.(*buffer)
	}
	return &buffer{b: alignedBytes(1 << (minBufferShift + class)), class: class}
}

// putBuffer returns b to its pool; b must not be used afterwards.
func putBuffer(b *buffer) {
	if b != nil && b.class >= 0 {
		bufferPools[b.class].Put(b)
	}
}

func alignedBytes(n int) []byte {
	raw := make([]byte, n+bufferAlign)
	off := 0
	if r := int(uintptrOf(raw) % bufferAlign); r != 0 {
		off = bufferAlign - r
	}
	return raw[off : off+n : off+n]
}
