package bdev

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
)

func devices(t *testing.T) map[string]Bdev {
	t.Helper()
	m, err := NewMalloc("m0", 1<<20, 4096, [16]byte{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "disk.img")
	f, err := OpenFile(path, FileOptions{Size: 1 << 20, BlockSize: 512})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return map[string]Bdev{"malloc": m, "file": f}
}

func TestReadWriteZeroes(t *testing.T) {
	for name, b := range devices(t) {
		t.Run(name, func(t *testing.T) {
			bs := int64(b.BlockSize())
			data := bytes.Repeat([]byte{0xA5}, int(3*bs))
			if _, err := b.WriteAt(data, 5*bs); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(data))
			if _, err := b.ReadAt(got, 5*bs); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read back: %v", err)
			}
			if err := WriteZeroes(b, 6*bs, bs); err != nil {
				t.Fatal(err)
			}
			if err := b.(Unmapper).Unmap(7*bs, bs); err != nil {
				t.Fatal(err)
			}
			if _, err := b.ReadAt(got, 5*bs); err != nil {
				t.Fatal(err)
			}
			want := append(bytes.Repeat([]byte{0xA5}, int(bs)), make([]byte, 2*bs)...)
			if !bytes.Equal(got, want) {
				t.Fatal("zeroed/unmapped blocks do not read back as zeros")
			}
			if _, err := b.ReadAt(got, Size(b)-bs); !errors.Is(err, ErrOutOfRange) {
				t.Fatalf("read past the end: got %v, want ErrOutOfRange", err)
			}
			if err := b.Flush(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestFileSharedBetweenOpens proves there is no private cache: a write
// through one open is visible through another, as two target processes
// sharing a file need.
func TestFileSharedBetweenOpens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.img")
	a, err := OpenFile(path, FileOptions{Size: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenFile(path, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.UUID() != b.UUID() || b.NumBlocks() != 16 {
		t.Fatalf("second open: uuid equal %v, blocks %d", a.UUID() == b.UUID(), b.NumBlocks())
	}
	data := bytes.Repeat([]byte{7}, 4096)
	if _, err := a.WriteAt(data, 8192); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4096)
	if _, err := b.ReadAt(got, 8192); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("write through one open not seen through the other: %v", err)
	}
}

func TestMallocConcurrent(t *testing.T) {
	m, err := NewMalloc("m", 1<<20, 512, [16]byte{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			buf := make([]byte, 128<<10)
			for range 200 {
				off := int64(rng.IntN(1<<20-len(buf))) &^ 511
				if g%2 == 0 {
					_, _ = m.WriteAt(buf, off)
				} else {
					_, _ = m.ReadAt(buf, off)
				}
			}
		})
	}
	wg.Wait()
}

func TestBadGeometry(t *testing.T) {
	for _, tc := range []struct {
		size int64
		bs   int
	}{{4096, 1000}, {1000, 512}, {0, 512}, {4096, 256}} {
		if _, err := NewMalloc("x", tc.size, tc.bs, [16]byte{}); err == nil {
			t.Errorf("size %d block %d accepted", tc.size, tc.bs)
		}
	}
}
