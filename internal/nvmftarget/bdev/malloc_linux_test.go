package bdev

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// rssBytes is the process's resident set (/proc/self/statm).
func rssBytes(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skipf("no /proc/self/statm: %v", err)
	}
	f := strings.Fields(string(b))
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatalf("statm %q: %v", b, err)
	}
	return pages * int64(os.Getpagesize())
}

// TestMallocCommitsItsMemory: a malloc bdev is resident from creation, as
// SPDK's is, so that reads of blocks never written cost no page fault.
func TestMallocCommitsItsMemory(t *testing.T) {
	const size = 64 << 20
	before := rssBytes(t)
	m, err := NewMalloc("m", size, 4096, [16]byte{})
	if err != nil {
		t.Fatal(err)
	}
	grew := rssBytes(t) - before
	runtime.KeepAlive(m)
	if grew < size*9/10 {
		t.Fatalf("resident set grew %d bytes creating a %d-byte malloc bdev: its memory is not committed", grew, size)
	}
	buf := make([]byte, 4096)
	if _, err := m.ReadAt(buf, size-4096); err != nil || strings.Trim(string(buf), "\x00") != "" {
		t.Fatalf("last block: err %v, want zeros", err)
	}
}
