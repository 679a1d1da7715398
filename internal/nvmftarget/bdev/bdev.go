// Package bdev holds the block devices the embedded target exports as
// namespaces: Malloc (memory) and File (a regular file or block device read
// and written with pread/pwrite, no private cache, so two target processes
// may share one file as two controllers of one array).
package bdev

import (
	"crypto/rand"
	"errors"
	"fmt"
)

// Bdev is a block device. Offsets and lengths are in bytes and must be
// multiples of BlockSize and inside the device; implementations must be safe
// for concurrent use. A short transfer is always reported with an error.
type Bdev interface {
	Name() string
	BlockSize() int
	NumBlocks() uint64
	// UUID identifies the device; the target derives namespace IDs from it
	// when none are configured. All zero means "none".
	UUID() [16]byte
	ReadAt(p []byte, off int64) (int, error)
	WriteAt(p []byte, off int64) (int, error)
	// Flush makes completed writes durable.
	Flush() error
}

// Unmapper is implemented by bdevs that can deallocate a range; reads of a
// deallocated range return zeros.
type Unmapper interface {
	Unmap(off, n int64) error
}

// Zeroer is implemented by bdevs that zero a range cheaper than writing a
// buffer of zeros.
type Zeroer interface {
	WriteZeroes(off, n int64) error
}

// NonBlocking is implemented by bdevs whose I/O never waits for a device
// (memory). The target runs their I/O on the connection goroutine, which is
// cheaper than handing it to a worker.
type NonBlocking interface {
	NonBlocking() bool
}

// Closer is implemented by bdevs that hold resources (a file descriptor).
type Closer interface {
	Close() error
}

// ErrOutOfRange is returned for an access beyond the end of the device.
var ErrOutOfRange = errors.New("bdev: access out of range")

// IsNonBlocking reports whether b's I/O may run inline.
func IsNonBlocking(b Bdev) bool {
	nb, ok := b.(NonBlocking)
	return ok && nb.NonBlocking()
}

// WriteZeroes zeroes n bytes at off, with the bdev's own method when it has
// one and with writes of a zero buffer otherwise.
func WriteZeroes(b Bdev, off, n int64) error {
	if err := checkRange(b, off, n); err != nil {
		return err
	}
	if z, ok := b.(Zeroer); ok {
		return z.WriteZeroes(off, n)
	}
	zero := make([]byte, min(n, 1<<20))
	for n > 0 {
		chunk := min(n, int64(len(zero)))
		if _, err := b.WriteAt(zero[:chunk], off); err != nil {
			return err
		}
		off += chunk
		n -= chunk
	}
	return nil
}

// Size is the device size in bytes.
func Size(b Bdev) int64 { return int64(b.NumBlocks()) * int64(b.BlockSize()) }

func checkRange(b Bdev, off, n int64) error {
	if off < 0 || n < 0 || off > Size(b) || n > Size(b)-off {
		return fmt.Errorf("%w: [%d, +%d) on %s of %d bytes", ErrOutOfRange, off, n, b.Name(), Size(b))
	}
	return nil
}

func checkGeometry(blockSize int, size int64) error {
	if blockSize < 512 || blockSize > 64<<10 || blockSize&(blockSize-1) != 0 {
		return fmt.Errorf("bdev: block size %d is not a power of two in [512, 65536]", blockSize)
	}
	if size <= 0 || size%int64(blockSize) != 0 {
		return fmt.Errorf("bdev: size %d is not a positive multiple of the block size %d", size, blockSize)
	}
	return nil
}

// NewUUID returns a random RFC 4122 version 4 UUID.
func NewUUID() [16]byte {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0F | 0x40
	u[8] = u[8]&0x3F | 0x80
	return u
}
