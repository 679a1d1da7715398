package bdev

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func newMalloc(t *testing.T, size int64) *Malloc {
	t.Helper()
	m, err := NewMalloc("m", size, 512, [16]byte{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLvolThinProvisioning(t *testing.T) {
	const cluster = 64 << 10
	store, err := NewLvstore("lvs", newMalloc(t, 16*cluster), cluster)
	if err != nil {
		t.Fatal(err)
	}
	thin, err := store.CreateLvol("thin", 10*cluster, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := store.FreeClusters(); got != 16 {
		t.Fatalf("thin lvol took clusters at creation: %d free", got)
	}
	data := bytes.Repeat([]byte{0xAB}, 4096)
	// A write straddling a cluster boundary allocates two clusters.
	if _, err := thin.WriteAt(data, cluster-2048); err != nil {
		t.Fatal(err)
	}
	if got := thin.AllocatedClusters(); got != 2 {
		t.Fatalf("allocated clusters %d, want 2", got)
	}
	got := make([]byte, 4096)
	if _, err := thin.ReadAt(got, cluster-2048); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back differs (err %v)", err)
	}
	if _, err := thin.ReadAt(got, 5*cluster); err != nil || !bytes.Equal(got, make([]byte, 4096)) {
		t.Fatalf("unwritten range is not zeros (err %v)", err)
	}
	thick, err := store.CreateLvol("thick", 14*cluster, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateLvol("more", cluster, false); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("over-allocation: %v, want ErrNoSpace", err)
	}
	// Freed clusters are zeroed before a thin lvol reuses them.
	if _, err := thick.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	store.DeleteLvol(thick)
	if _, err := thin.WriteAt(data[:512], 9*cluster); err != nil {
		t.Fatal(err)
	}
	if _, err := thin.ReadAt(got, 9*cluster+512); err != nil || !bytes.Equal(got, make([]byte, 4096)) {
		t.Fatalf("reused cluster leaked old data (err %v)", err)
	}
	if err := thin.Resize(2 * cluster); err != nil || thin.NumBlocks() != 2*cluster/512 {
		t.Fatalf("resize: %v, %d blocks", err, thin.NumBlocks())
	}
}

func TestErrorInjection(t *testing.T) {
	tests := []struct {
		name      string
		inj       Injection
		op        func(e *Error, p []byte) error
		wantFails int
	}{
		{"two write failures", Injection{Kinds: IOWrite, Failure: FailIO, Count: 2},
			func(e *Error, p []byte) error { _, err := e.WriteAt(p, 0); return err }, 2},
		{"reads unaffected by write injection", Injection{Kinds: IOWrite, Failure: FailIO, Count: 2},
			func(e *Error, p []byte) error { _, err := e.ReadAt(p, 0); return err }, 0},
		{"all kinds", Injection{Kinds: IOAll, Failure: FailIO, Count: 1},
			func(e *Error, p []byte) error { return e.Flush() }, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := NewError(newMalloc(t, 1<<20), [16]byte{})
			e.Inject(tc.inj)
			fails := 0
			for range 5 {
				if err := tc.op(e, make([]byte, 512)); errors.Is(err, ErrInjected) {
					fails++
				} else if err != nil {
					t.Fatal(err)
				}
			}
			if fails != tc.wantFails {
				t.Fatalf("%d failures, want %d", fails, tc.wantFails)
			}
		})
	}
	t.Run("corrupt read", func(t *testing.T) {
		e := NewError(newMalloc(t, 1<<20), [16]byte{})
		e.Inject(Injection{Kinds: IORead, Failure: FailCorrupt, Count: 1, CorruptOffset: 7, CorruptValue: 0xFF})
		p := make([]byte, 512)
		if _, err := e.ReadAt(p, 0); err != nil || p[7] != 0xFF {
			t.Fatalf("byte 7 = %#x err %v, want corrupted to 0xff", p[7], err)
		}
	})
	t.Run("pending until cleared", func(t *testing.T) {
		e := NewError(newMalloc(t, 1<<20), [16]byte{})
		e.Inject(Injection{Kinds: IORead, Failure: FailPending, Count: 1})
		done := make(chan error, 1)
		go func() { _, err := e.ReadAt(make([]byte, 512), 0); done <- err }()
		select {
		case <-done:
			t.Fatal("pending I/O completed before the injection was cleared")
		case <-time.After(50 * time.Millisecond):
		}
		e.Release()
		if err := <-done; !errors.Is(err, ErrInjected) {
			t.Fatalf("released pending I/O: %v, want ErrInjected", err)
		}
	})
}

func TestDelayAddsLatency(t *testing.T) {
	d := NewDelay("d", newMalloc(t, 1<<20), Latencies{AvgRead: 20 * time.Millisecond}, [16]byte{})
	start := time.Now()
	if _, err := d.ReadAt(make([]byte, 512), 0); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 20*time.Millisecond {
		t.Fatalf("read took %v, want at least the 20ms average latency", el)
	}
	d.SetLatencies(Latencies{})
	if d.Latencies().AvgRead != 0 {
		t.Fatal("SetLatencies did not apply")
	}
}
