package workloads

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileBackendOpen(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing")
	if err := os.WriteFile(existing, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	tiny := filepath.Join(dir, "tiny")
	if err := os.WriteFile(tiny, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		target    string
		opts      OpenOptions
		wantBytes int64
		wantErr   string
	}{
		{"creates missing file", "file://" + dir + "/new", OpenOptions{MinSize: 64 << 10, Direct: true}, 64 << 10, ""},
		{"keeps a larger file", "file://" + existing, OpenOptions{MinSize: 4096}, 1 << 20, ""},
		{"bs override", "file://" + existing + "?bs=8192", OpenOptions{}, 1 << 20, ""},
		{"extends a short file", "file://" + existing, OpenOptions{MinSize: 2 << 20}, 2 << 20, ""},
		{"bad bs", "file://" + existing + "?bs=1000", OpenOptions{}, 0, "bs="},
		{"host given", "file://somehost/x", OpenOptions{}, 0, "host"},
		{"directory", "file://" + dir, OpenOptions{}, 0, "file:"},
		{"smaller than a block", "file://" + tiny, OpenOptions{}, 0, "smaller than one block"},
		{"unknown engine", "file://" + existing + "?engine=aio", OpenOptions{}, 0, "engine="},
		{"unknown scheme", "ftp://x/y", OpenOptions{}, 0, "unknown target scheme"},
		{"nvme+tcp not built in", "nvme+tcp://127.0.0.1:4420/nqn.x", OpenOptions{}, 0, "not built in"},
		{"null size", "null://1g", OpenOptions{}, 1 << 30, ""},
		{"null bad size", "null://lots", OpenOptions{}, 0, "null://SIZE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Open(context.Background(), tc.target, tc.opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if got := d.Blocks() * int64(d.BlockSize()); got != tc.wantBytes {
				t.Errorf("capacity %d, want %d", got, tc.wantBytes)
			}
		})
	}
}

// TestFileBackendRoundTrip writes and reads back through the async API on
// every queue, with each file engine, with and without O_DIRECT.
func TestFileBackendRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		engine   string
		wantNote string // in the device's notes
	}{
		{fileEngineAuto, "file engine: "}, // io_uring, or psync and why
		{fileEngineURing, "io_uring"},     // used, or why not
		{fileEnginePsync, "file engine: psync (asked for"},
	} {
		for _, direct := range []bool{true, false} {
			t.Run(fmt.Sprintf("engine=%s/direct=%v", tc.engine, direct), func(t *testing.T) {
				testFileRoundTrip(t, tc.engine, tc.wantNote, direct)
			})
		}
	}
}

func testFileRoundTrip(t *testing.T, engine, wantNote string, direct bool) {
	d, err := Open(context.Background(), "file://"+t.TempDir()+"/rt?engine="+engine, OpenOptions{Queues: 3, QueueDepth: 4, MinSize: 1 << 20, Direct: direct})
	if err != nil && engine == fileEngineURing && strings.Contains(err.Error(), "io_uring_setup") {
		t.Skipf("the kernel refuses io_uring here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(d.(Noter).Notes(), "; ")
	if !strings.Contains(notes, wantNote) {
		t.Errorf("notes %q, want %q in them", notes, wantNote)
	}
	done := make(chan *Op, 1)
	do := func(kind OpKind, off int64, b []byte, q int) error {
		d.Submit(&Op{Kind: kind, Offset: off, Buf: b, Queue: q, Done: func(op *Op) { done <- op }})
		return (<-done).Err
	}
	for q := range d.Queues() {
		want := bytes.Repeat([]byte{byte(q + 1)}, 8192)
		w, r := alignedSlab(8192), alignedSlab(8192)
		copy(w, want)
		off := int64(q) * 65536
		if err := do(OpWrite, off, w, q); err != nil {
			t.Fatal(err)
		}
		if err := do(OpRead, off, r, q); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(r, want) {
			t.Errorf("direct=%v queue %d: read back differs", direct, q)
		}
	}
	if err := do(OpRead, 1<<20, alignedSlab(4096), 0); err == nil {
		t.Error("read past the end succeeded")
	}
	if err := do(OpRead, 0, alignedSlab(4096), 99); err == nil {
		t.Error("bad queue accepted")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestFileBackendURingFallsBack: io_uring asked for but refused (here a
// queue deeper than a ring may be) runs on psync and says why.
func TestFileBackendURingFallsBack(t *testing.T) {
	d, err := Open(context.Background(), "file://"+t.TempDir()+"/fb?engine=io_uring",
		OpenOptions{QueueDepth: maxURingEntries, MinSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if notes := strings.Join(d.(Noter).Notes(), "; "); !strings.Contains(notes, "file engine: psync (io_uring unavailable") {
		t.Errorf("notes %q: want the fallback to psync explained", notes)
	}
	if fd := d.(*fileDevice); fd.loops != nil || len(fd.queues) == 0 {
		t.Errorf("rings %d, pools %d: want psync pools only", len(fd.loops), len(fd.queues))
	}
}

// TestFileBackendDIOAlign: with O_DIRECT the file's block size is the
// alignment the kernel reports for it, so where that is 512 bytes, jobs of
// 512-byte blocks (fio's iometer and JESD219 examples) run, verified.
func TestFileBackendDIOAlign(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	j := job(t, "small", "rw", "randwrite", "bssplit", "512/50:4k/50", "size", "256k", "verify", "crc32c", "norandommap", "1")
	d := openT(t, "file://"+path, j)
	if n, ok := d.(Noter); ok && strings.Contains(strings.Join(n.Notes(), " "), "O_DIRECT") {
		t.Skipf("no O_DIRECT here: %v", n.Notes())
	}
	want := dioAlign(path)
	if d.BlockSize() != want {
		t.Fatalf("block size %d, want the O_DIRECT alignment %d", d.BlockSize(), want)
	}
	if want != 512 {
		t.Skipf("the filesystem under %s needs %d-byte O_DIRECT alignment", path, want)
	}
	r := runT(t, d, []Job{j})
	jr := r.Jobs[0]
	if jr.Write.Errors != 0 || jr.Write.IOs == 0 || jr.Verify.failed() || !jr.Verify.FinalPass {
		t.Fatalf("writes %d, errors %d, verify %+v", jr.Write.IOs, jr.Write.Errors, jr.Verify)
	}
}
