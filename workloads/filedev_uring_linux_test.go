package workloads

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// openURing opens a file device on io_uring, skipping where the kernel
// refuses it.
func openURing(t testing.TB, path string, opts OpenOptions) *fileDevice {
	t.Helper()
	d, err := Open(context.Background(), "file://"+path+"?engine=io_uring", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	fd := d.(*fileDevice)
	if fd.loops == nil {
		t.Skipf("io_uring unavailable here: %v", fd.notes)
	}
	return fd
}

// driveQueue0 drives queue 0 of d from the calling goroutine, locked to
// its thread as the engine's worker is; release ends both.
func driveQueue0(t *testing.T, d *fileDevice) (drv QueueDriver, release func()) {
	t.Helper()
	runtime.LockOSThread()
	drv, ok := d.Drive(0)
	if !ok {
		runtime.UnlockOSThread()
		t.Fatal("queue 0 cannot be driven")
	}
	return drv, func() {
		drv.Release()
		runtime.UnlockOSThread()
	}
}

// driven runs op through a driver of queue 0 on a locked thread, as the
// engine's worker does, and returns its error.
func driven(t *testing.T, d *fileDevice, kind OpKind, off int64, b []byte) error {
	t.Helper()
	drv, release := driveQueue0(t, d)
	defer release()
	var got *Op
	drv.Hold(&Op{Kind: kind, Offset: off, Buf: b, Done: func(op *Op) { got = op }})
	for got == nil {
		drv.Poll(-1)
	}
	return got.Err
}

// TestURingRoundTrip writes then reads back through io_uring, both the
// driven ring and the Submit loop, with O_DIRECT (aligned) and buffered
// (odd sizes and offsets), and a read that ends past the end of the file:
// short, so an error, as pread's.
func TestURingRoundTrip(t *testing.T) {
	for _, direct := range []bool{true, false} {
		t.Run("direct="+strconv.FormatBool(direct), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rt")
			d := openURing(t, path, OpenOptions{Queues: 2, QueueDepth: 8, MinSize: 1 << 20, Direct: direct})
			direct = direct && !strings.Contains(strings.Join(d.notes, " "), "O_DIRECT")
			sizes := [][2]int64{{0, 4096}, {8192, 65536}, {1<<20 - 4096, 4096}}
			if !direct {
				sizes = append(sizes, [2]int64{1, 1}, [2]int64{4097, 1000}, [2]int64{300000, 12345})
			}
			submitted := func(kind OpKind, off int64, b []byte) error {
				done := make(chan *Op, 1)
				d.Submit(&Op{Kind: kind, Offset: off, Buf: b, Queue: 1, Done: func(op *Op) { done <- op }})
				return (<-done).Err
			}
			for i, c := range sizes {
				off, n := c[0], int(c[1])
				want := alignedSlab(n)
				for k := range want {
					want[k] = byte(i*31 + k*7 + 1)
				}
				if err := driven(t, d, OpWrite, off, want); err != nil {
					t.Fatalf("driven write %d at %d: %v", n, off, err)
				}
				for name, do := range map[string]func(OpKind, int64, []byte) error{
					"driven": func(k OpKind, o int64, b []byte) error { return driven(t, d, k, o, b) }, "submitted": submitted,
				} {
					got := alignedSlab(n)
					if err := do(OpRead, off, got); err != nil {
						t.Fatalf("%s read %d at %d: %v", name, n, off, err)
					}
					if !bytes.Equal(got, want) {
						t.Errorf("%s read %d at %d differs from what was written", name, n, off)
					}
				}
				// And the bytes are in the file, for pread to see.
				if !direct {
					f, _ := os.ReadFile(path)
					if !bytes.Equal(f[off:off+int64(n)], want) {
						t.Errorf("file at %d differs", off)
					}
				}
			}
			short := alignedSlab(8192) // the last 4 KiB of the file, then past its end
			if err := driven(t, d, OpRead, 1<<20-4096, short); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("read past the end: %v, want a short read", err)
			}
			if err := submitted(OpRead, 1<<20, alignedSlab(4096)); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("read at the end: %v, want a short read", err)
			}
		})
	}
}

// TestURingErrors: the kernel's errors reach Done, with the errno.
func TestURingErrors(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// A descriptor no file has (a closed one could be the ring's own).
	r, err := newRing(1<<20-1, 8)
	if err != nil {
		t.Skipf("io_uring unavailable here: %v", err)
	}
	defer r.close()
	var got *Op
	r.push(&Op{Kind: OpRead, Buf: alignedSlab(4096), Done: func(op *Op) { got = op }})
	for got == nil {
		if err := r.submit(true, -1); err != nil {
			t.Fatal(err)
		}
		r.reap()
	}
	if !errors.Is(got.Err, syscall.EBADF) {
		t.Errorf("read on a closed descriptor: %v, want EBADF", got.Err)
	}
}

// TestURingDriveExclusive: a queue has one driver at a time; a second
// goroutine asking gets Submit's path instead, and the queue is free again
// after Release.
func TestURingDriveExclusive(t *testing.T) {
	d := openURing(t, filepath.Join(t.TempDir(), "x"), OpenOptions{QueueDepth: 4, MinSize: 1 << 20})
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	drv, ok := d.Drive(0)
	if !ok {
		t.Fatal("queue 0 cannot be driven")
	}
	if _, ok := d.Drive(0); ok {
		t.Error("queue 0 driven twice")
	}
	if _, ok := d.Drive(1); ok {
		t.Error("queue 1 (of 1) driven")
	}
	drv.Release()
	drv, ok = d.Drive(0)
	if !ok {
		t.Fatal("queue 0 not free after Release")
	}
	drv.Release()
}

// TestURingHoldSendsAtOnce: a driven ring hands an op to the kernel when
// it is held, not at the next Poll, so a worker resubmitting a burst feeds
// the disk one request at a time, as fio does (see ringDriver.Hold). A
// buffered write shows it: its data is in the file, read through another
// descriptor, before any Poll.
func TestURingHoldSendsAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hold")
	d := openURing(t, path, OpenOptions{QueueDepth: 4, MinSize: 1 << 20})
	drv, release := driveQueue0(t, d)
	defer release()
	want := bytes.Repeat([]byte("held"), 1024)
	done := false
	drv.Hold(&Op{Kind: OpWrite, Offset: 8192, Buf: want, Done: func(*Op) { done = true }})

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := make([]byte, len(want))
	deadline := time.Now().Add(5 * time.Second) // an io-wq worker may write it
	for !bytes.Equal(got, want) {
		if time.Now().After(deadline) {
			t.Fatal("the held write did not reach the file without a Poll")
		}
		if _, err := f.ReadAt(got, 8192); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	for !done {
		drv.Poll(-1)
	}
}

// TestFileEngineFallback: where the kernel refuses io_uring (simulated
// here), the default engine runs on psync, runs I/O, and says why.
func TestFileEngineFallback(t *testing.T) {
	uringSetupHook = func() error { return syscall.EPERM }
	defer func() { uringSetupHook = nil }()
	for _, engine := range []string{fileEngineAuto, fileEngineURing} {
		d, err := Open(context.Background(), "file://"+t.TempDir()+"/fb?engine="+engine, OpenOptions{QueueDepth: 4, MinSize: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		fd := d.(*fileDevice)
		notes := strings.Join(fd.Notes(), "; ")
		if want := "file engine: psync (io_uring unavailable: io_uring_setup: operation not permitted)"; !strings.Contains(notes, want) {
			t.Errorf("engine=%q: notes %q, want %q", engine, notes, want)
		}
		if fd.loops != nil || len(fd.queues) == 0 {
			t.Errorf("engine=%q: want psync pools only", engine)
		}
		if _, ok := fd.Drive(0); ok {
			t.Errorf("engine=%q: psync offered a driver", engine)
		}
		done := make(chan *Op, 1)
		d.Submit(&Op{Kind: OpWrite, Buf: alignedSlab(4096), Done: func(op *Op) { done <- op }})
		if op := <-done; op.Err != nil {
			t.Errorf("engine=%q: write on psync: %v", engine, op.Err)
		}
		d.Close()
	}
}

// TestURingEngineRun: a verified random-write job through the engine,
// whose workers drive their rings, and its notes in the result.
func TestURingEngineRun(t *testing.T) {
	j := job(t, "rt", "rw", "randrw", "bs", "4k", "iodepth", "16", "size", "1m", "numjobs", "2", "verify", "crc32c")
	d := openURing(t, filepath.Join(t.TempDir(), "e"), OpenOptionsFor([]Job{j}))
	r := runT(t, d, []Job{j})
	jr := r.Jobs[0]
	if jr.Read.Errors+jr.Write.Errors != 0 || jr.Write.IOs == 0 || jr.Verify.failed() || !jr.Verify.FinalPass {
		t.Fatalf("reads %d, writes %d, errors %d+%d, verify %+v", jr.Read.IOs, jr.Write.IOs, jr.Read.Errors, jr.Write.Errors, jr.Verify)
	}
	for q, l := range d.loops {
		if l != nil {
			t.Errorf("queue %d went through Submit's loop, not its worker's ring", q)
		}
	}
	if notes := strings.Join(r.Notes, "; "); !strings.Contains(notes, "file engine: io_uring") {
		t.Errorf("notes %q: want the engine named", notes)
	}
}

// BenchmarkEngineFile is the engine on file:// with each file engine, 4 KiB
// random reads at QD32, O_DIRECT, on a sparse file under /var/tmp (not
// tmpfs, so O_DIRECT holds): reads of holes cost the engine and the
// kernel's path but no disk. allocs/op must stay 0; ns/op is per I/O.
// make bench-fio compares with fio on a written file.
func BenchmarkEngineFile(b *testing.B) {
	path := filepath.Join("/var/tmp", "nvmf-chaos-enginefile.dat")
	procs := runtime.GOMAXPROCS(0) // psync raises it
	b.Cleanup(func() {
		os.Remove(path)
		runtime.GOMAXPROCS(procs)
	})
	for _, engine := range []string{fileEngineURing, fileEnginePsync} {
		b.Run(engine, func(b *testing.B) {
			j := job(b, "bench", "rw", "randread", "iodepth", "32", "size", "64m", "number_ios", strconv.Itoa(b.N),
				"time_based", "1", "runtime", "1h")
			dev, err := Open(context.Background(), "file://"+path+"?engine="+engine, OpenOptionsFor([]Job{j}))
			if err != nil {
				b.Fatal(err)
			}
			defer dev.Close()
			e, err := NewEngine(dev, []Job{j})
			if err != nil {
				b.Fatal(err)
			}
			r := benchRun(b, e)
			if ios := r.Jobs[0].Read.IOs; ios != int64(b.N) || r.Jobs[0].Read.Errors != 0 {
				b.Fatalf("ran %d I/Os (%d errors), want %d", ios, r.Jobs[0].Read.Errors, b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "iops")
		})
	}
}
