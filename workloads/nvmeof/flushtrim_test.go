package nvmeof

import (
	"bytes"
	"sync/atomic"
	"testing"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/bdev"
	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

// countingBdev counts the Flush and Unmap calls the target makes.
type countingBdev struct {
	*bdev.Malloc
	flushes, unmapped atomic.Int64
}

func (c *countingBdev) Flush() error { c.flushes.Add(1); return c.Malloc.Flush() }

func (c *countingBdev) Unmap(off, n int64) error {
	c.unmapped.Add(n)
	return c.Malloc.Unmap(off, n)
}

// TestFlushAndTrim drives fsync=, end_fsync and the trim patterns through
// the Go host into the embedded target: every sync is one NVMe Flush, every
// trim one Dataset Management deallocate of its range, and trimmed blocks
// read back as zeros.
func TestFlushAndTrim(t *testing.T) {
	const size = 1 << 20
	tests := []struct {
		name             string
		opts             []string
		flushes, trimmed int64
		zeros            bool // the first 1 MiB reads back as zeros
	}{
		{"fsync", []string{"rw", "write", "fsync", "16", "end_fsync", "1"}, 256 / 16, 0, false},
		{"fdatasync", []string{"rw", "randwrite", "fdatasync", "100", "end_fsync", "1"}, 2 + 1, 0, false},
		{"trim", []string{"rw", "trim"}, 0, size, true},
		{"randtrim", []string{"rw", "randtrim", "bs", "16k", "iodepth", "16"}, 0, size, true},
		{"trimwrite with fsync", []string{"rw", "trimwrite", "fsync", "64"}, 4, size, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := bdev.NewMalloc("m", 4<<20, 512, [16]byte{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.WriteAt(bytes.Repeat([]byte{0xa5}, 2*size), 0); err != nil {
				t.Fatal(err)
			}
			b := &countingBdev{Malloc: m}
			r := run(t, serve(t, b), newJob(t, append([]string{"bs", "4k", "size", "1m", "iodepth", "8"}, tc.opts...)...))
			jr := r.Jobs[0]
			if n := jr.Read.Errors + jr.Write.Errors + jr.Trim.Errors; n != 0 || len(r.Errors) != 0 {
				t.Fatalf("%d errors: %v", n, r.Errors)
			}
			var syncs int64
			if jr.Sync != nil {
				syncs = jr.Sync.IOs
			}
			if got := b.flushes.Load(); got != tc.flushes || syncs != tc.flushes {
				t.Errorf("target flushes %d, reported syncs %d, want %d", got, syncs, tc.flushes)
			}
			if got := b.unmapped.Load(); got != tc.trimmed || jr.Trim.Bytes != tc.trimmed {
				t.Errorf("target deallocated %d bytes, reported %d, want %d", got, jr.Trim.Bytes, tc.trimmed)
			}
			checkZeros(t, m, size, tc.zeros)
		})
	}
}

func checkZeros(t *testing.T, m *bdev.Malloc, size int, want bool) {
	t.Helper()
	buf := make([]byte, 2*size)
	if _, err := m.ReadAt(buf, 0); err != nil {
		t.Fatal(err)
	}
	if got := bytes.Count(buf[:size], []byte{0}) == size; got != want {
		t.Errorf("trimmed region all zeros = %v, want %v", got, want)
	}
	if !bytes.Equal(buf[size:], bytes.Repeat([]byte{0xa5}, size)) {
		t.Error("blocks beyond the job's region changed")
	}
}

var _ workloads.Device = (*device)(nil)
