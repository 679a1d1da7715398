package bdev

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// FileOptions configure OpenFile.
type FileOptions struct {
	// Name is the bdev name; empty means the file's base name.
	Name string
	// BlockSize defaults to 4096.
	BlockSize int
	// Size, when non-zero, creates the file if missing and extends it to at
	// least Size bytes (never shrinks). Zero uses the file's current size.
	Size int64
	// Direct opens with O_DIRECT (Linux): every buffer must then be aligned
	// to the block size, which the target's buffer pool guarantees.
	Direct bool
	// UUID identifies the bdev; zero derives one from the absolute path, so
	// two processes opening one file agree on it.
	UUID [16]byte
}

// File is a bdev over a regular file or block device. It keeps no cache of
// its own: every read and write is a pread/pwrite, so two processes sharing
// the file see each other's completed writes.
type File struct {
	name      string
	f         *os.File
	blockSize int
	blocks    uint64
	uuid      [16]byte
}

var _ Bdev = (*File)(nil)

// OpenFile opens (and with opts.Size creates or extends) path as a bdev.
// The caller closes it with Close.
func OpenFile(path string, opts FileOptions) (*File, error) {
	if opts.BlockSize == 0 {
		opts.BlockSize = 4096
	}
	flags := os.O_RDWR
	if opts.Size > 0 {
		flags |= os.O_CREATE
	}
	if opts.Direct {
		flags |= directFlag
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("file bdev: %w", err)
	}
	b, err := newFile(f, path, opts)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("file bdev %s: %w", path, err)
	}
	return b, nil
}

func newFile(f *os.File, path string, opts FileOptions) (*File, error) {
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	if opts.Size > size {
		if err := f.Truncate(opts.Size); err != nil {
			return nil, fmt.Errorf("extend to %d bytes: %w", opts.Size, err)
		}
		size = opts.Size
	}
	size -= size % int64(opts.BlockSize)
	if err := checkGeometry(opts.BlockSize, size); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if opts.Name == "" {
		opts.Name = filepath.Base(path)
	}
	if opts.UUID == ([16]byte{}) {
		sum := sha256.Sum256([]byte("nvmf-chaos file bdev\x00" + abs))
		copy(opts.UUID[:], sum[:])
		opts.UUID[6] = opts.UUID[6]&0x0F | 0x50 // name-based, as RFC 4122 version 5
		opts.UUID[8] = opts.UUID[8]&0x3F | 0x80
	}
	return &File{name: opts.Name, f: f, blockSize: opts.BlockSize,
		blocks: uint64(size / int64(opts.BlockSize)), uuid: opts.UUID}, nil
}

func (b *File) Name() string      { return b.name }
func (b *File) BlockSize() int    { return b.blockSize }
func (b *File) NumBlocks() uint64 { return b.blocks }
func (b *File) UUID() [16]byte    { return b.uuid }

// ReadAt is one pread (looped by the os package on short reads).
func (b *File) ReadAt(p []byte, off int64) (int, error) {
	if err := checkRange(b, off, int64(len(p))); err != nil {
		return 0, err
	}
	n, err := b.f.ReadAt(p, off)
	if errors.Is(err, io.EOF) && n < len(p) {
		// A block device or file shrunk under us: report it, never return
		// stale buffer contents as data.
		return n, fmt.Errorf("file bdev %s: short read at %d: %w", b.name, off, io.ErrUnexpectedEOF)
	}
	return n, err
}

// WriteAt is one pwrite.
func (b *File) WriteAt(p []byte, off int64) (int, error) {
	if err := checkRange(b, off, int64(len(p))); err != nil {
		return 0, err
	}
	return b.f.WriteAt(p, off)
}

// Flush is fdatasync (fsync where that is all there is).
func (b *File) Flush() error { return datasync(b.f) }

// WriteZeroes zeroes a range with fallocate where the filesystem supports
// it, and with writes otherwise.
func (b *File) WriteZeroes(off, n int64) error {
	if err := checkRange(b, off, n); err != nil {
		return err
	}
	if zeroRange(b.f, off, n) == nil {
		return nil
	}
	return WriteZeroes(struct{ Bdev }{b}, off, n)
}

// Unmap punches a hole where the filesystem supports it and zeroes the range
// otherwise: deallocated blocks must read back as zeros either way.
func (b *File) Unmap(off, n int64) error {
	if err := checkRange(b, off, n); err != nil {
		return err
	}
	if punchHole(b.f, off, n) == nil {
		return nil
	}
	return b.WriteZeroes(off, n)
}

// Close closes the file. Safe to call once.
func (b *File) Close() error { return b.f.Close() }
