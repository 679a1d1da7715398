package workloads

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fileDevice runs ops on a regular file or block device: the kernel path
// a pod sees. Where the kernel allows, through io_uring: one ring per
// queue, driven by the engine's worker itself (Drive) or by a goroutine
// per queue (Submit). Otherwise, or with ?engine=psync, with pread/pwrite
// from a small pool of goroutines per queue, whose blocking system calls
// give real queue depth without cgo.
type fileDevice struct {
	f         *os.File
	fd        int
	blockSize int
	blocks    int64
	blockDev  bool       // trims discard (BLKDISCARD), as fio's do there
	queues    []chan *Op // psync: one pool per queue
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
	notes     []string

	// io_uring (loops non-nil): rings of entries entries. mu guards loops,
	// started on a queue's first Submit, and driven, the queues a Drive
	// holds.
	entries int
	mu      sync.Mutex
	loops   []*ringLoop
	driven  []bool
}

var (
	_ Device = (*fileDevice)(nil)
	_ Noter  = (*fileDevice)(nil)
)

// maxFilePool bounds the goroutines (and so OS threads in system calls) per queue.
const maxFilePool = 64

// maxProcs caps what raiseProcs sets GOMAXPROCS to.
const maxProcs = 128

// blkSSZGet is the BLKSSZGET ioctl: a block device's logical sector size.
const blkSSZGet = 0x1268

// openFile opens file:///path[?bs=N]. A missing or short regular file is
// created or extended (sparse) to opts.MinSize. With opts.Direct it uses
// O_DIRECT, falling back to buffered I/O with a note where the filesystem
// refuses it (tmpfs).
func openFile(_ context.Context, u *url.URL, opts OpenOptions) (Device, error) {
	if u.Host != "" && u.Host != "localhost" {
		return nil, fmt.Errorf("file: host %q: want file:///absolute/path", u.Host)
	}
	if u.Path == "" {
		return nil, errors.New("file: empty path: want file:///absolute/path")
	}
	d := &fileDevice{}
	f, err := d.open(u.Path, opts.Direct)
	if err != nil {
		return nil, err
	}
	d.f, d.fd = f, int(f.Fd())
	if err := d.size(u, opts); err != nil {
		f.Close()
		return nil, err
	}
	if err := d.start(opts, u.Query().Get("engine")); err != nil {
		f.Close()
		return nil, err
	}
	return d, nil
}

func (d *fileDevice) open(path string, direct bool) (*os.File, error) {
	flags := os.O_RDWR | os.O_CREATE
	if direct {
		f, err := os.OpenFile(path, flags|syscall.O_DIRECT, 0o644)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EINVAL) {
			return nil, fmt.Errorf("file: %w", err)
		}
		d.notes = append(d.notes, fmt.Sprintf("%s: the filesystem refuses O_DIRECT, using buffered I/O (results include the page cache)", path))
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("file: %w", err)
	}
	return f, nil
}

// size finds the block size and capacity, growing a regular file if needed.
func (d *fileDevice) size(u *url.URL, opts OpenOptions) error {
	st, err := d.f.Stat()
	if err != nil {
		return fmt.Errorf("file: %w", err)
	}
	d.blockSize = 512
	if len(d.notes) == 0 && opts.Direct {
		d.blockSize = dioAlign(u.Path)
	}
	var bytes int64
	switch {
	case st.Mode()&os.ModeDevice != 0:
		ssz, err := ioctlInt(d.fd, blkSSZGet)
		if err != nil {
			return fmt.Errorf("file: %s: BLKSSZGET: %w", u.Path, err)
		}
		d.blockSize, d.blockDev = ssz, true
		if bytes, err = d.f.Seek(0, io.SeekEnd); err != nil {
			return fmt.Errorf("file: %s: %w", u.Path, err)
		}
	case st.Mode().IsRegular():
		bytes = st.Size()
		if bytes < opts.MinSize {
			if err := d.f.Truncate(opts.MinSize); err != nil {
				return fmt.Errorf("file: extending %s to %d bytes: %w", u.Path, opts.MinSize, err)
			}
			bytes = opts.MinSize
		}
	default:
		return fmt.Errorf("file: %s is neither a regular file nor a block device", u.Path)
	}
	if s := u.Query().Get("bs"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < d.blockSize || n%d.blockSize != 0 {
			return fmt.Errorf("file: bs=%q: want a multiple of %d", s, d.blockSize)
		}
		d.blockSize = n
	}
	d.blocks = bytes / int64(d.blockSize)
	if d.blocks == 0 {
		return fmt.Errorf("file: %s is smaller than one block (%d bytes): give a size", u.Path, d.blockSize)
	}
	return nil
}

// dioAlign is the file offset alignment O_DIRECT needs for path: what the
// kernel reports (statx STATX_DIOALIGN, Linux 6.1+; 512 on most block
// devices and local filesystems, so 512-byte job files run), else 4096,
// enough on common filesystems.
func dioAlign(path string) int {
	var st unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_DIOALIGN, &st); err == nil &&
		st.Mask&unix.STATX_DIOALIGN != 0 && st.Dio_offset_align >= 512 && st.Dio_offset_align <= 4096 {
		return int(st.Dio_offset_align)
	}
	return 4096
}

func ioctlInt(fd int, req uintptr) (int, error) {
	var v int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(&v))); e != 0 {
		return 0, e
	}
	return int(v), nil
}

// start sets up the queues with engine (fileEngine*): io_uring rings, or
// psync's goroutine pools, also where the kernel refuses io_uring.
func (d *fileDevice) start(opts OpenOptions, engine string) error {
	nq := max(opts.Queues, 1)
	depth := max(opts.QueueDepth, 1)
	switch engine {
	case fileEngineAuto, fileEngineURing:
		err := d.startURing(nq, depth)
		if err == nil {
			return nil
		}
		d.notes = append(d.notes, fmt.Sprintf("file engine: psync (io_uring unavailable: %v)", err))
	case fileEnginePsync:
		d.notes = append(d.notes, "file engine: psync (asked for with engine=psync)")
	default:
		return fmt.Errorf("file: engine=%q: want %s or %s", engine, fileEngineURing, fileEnginePsync)
	}
	d.startPools(nq, depth)
	return nil
}

// startPools launches the per-queue goroutine pools. A queue's channel holds
// every op the engine may have outstanding, so Submit never waits.
func (d *fileDevice) startPools(nq, depth int) {
	pool := min(depth, maxFilePool)
	d.raiseProcs(nq * pool)
	d.queues = make([]chan *Op, nq)
	for q := range d.queues {
		ch := make(chan *Op, depth*nq)
		d.queues[q] = ch
		for range pool {
			d.wg.Add(1)
			go d.serve(ch)
		}
	}
}

// raiseProcs lets goroutines blocked in pread/pwrite keep a P each: with
// GOMAXPROCS at the CPU count, a goroutine in a system call holds its P
// until the scheduler's monitor takes it back, which halves the IOPS a
// small machine reaches (measured: 37k → 60k 4 KiB reads on 2 CPUs).
func (d *fileDevice) raiseProcs(blocking int) {
	cur := runtime.GOMAXPROCS(0)
	want := min(runtime.NumCPU()+blocking, maxProcs)
	if want > cur {
		runtime.GOMAXPROCS(want)
		d.notes = append(d.notes, fmt.Sprintf("GOMAXPROCS raised from %d to %d for %d goroutines in blocking I/O", cur, want, blocking))
	}
}

// ioPriorities: ops carry their priority to the kernel, in the SQE with
// io_uring, as the calling thread's with pread/pwrite.
func (d *fileDevice) ioPriorities() {}

func (d *fileDevice) serve(ch <-chan *Op) {
	defer d.wg.Done()
	var prio threadPrio
	for op := range ch {
		if err := prio.set(op.Prio); err != nil {
			op.Err = err
			op.Done(op)
			continue
		}
		switch op.Kind {
		case OpWrite:
			op.Err = d.pwrite(op.Buf, op.Offset)
		case OpTrim:
			op.Err = d.punch(op.Offset, int64(len(op.Buf)))
		case OpFlush:
			op.Err = retryEINTR("fsync", func() error { return syscall.Fsync(d.fd) })
		case OpFlushData:
			op.Err = retryEINTR("fdatasync", func() error { return syscall.Fdatasync(d.fd) })
		default:
			op.Err = d.pread(op.Buf, op.Offset)
		}
		op.Done(op)
	}
}

// fallocPunch is FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE: fio's trim on a
// file (on a block device the kernel discards or zeroes the range).
const fallocPunch = 0x02 | 0x01

// blkDiscard is BLKDISCARD, _IO(0x12, 119): discard a byte range of a
// block device, given as {offset, length}.
const blkDiscard = 0x1277

// punch deallocates n bytes at off: on a block device a discard, as fio's
// trim there (fallocate(PUNCH_HOLE) would write zeroes, or fail where the
// device cannot); on a file a hole, keeping the file's size.
func (d *fileDevice) punch(off, n int64) error {
	if d.blockDev {
		return retryEINTR(fmt.Sprintf("BLKDISCARD at %d+%d", off, n), func() error {
			r := [2]uint64{uint64(off), uint64(n)}
			if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(d.fd), blkDiscard, uintptr(unsafe.Pointer(&r))); e != 0 {
				return e
			}
			return nil
		})
	}
	return retryEINTR(fmt.Sprintf("fallocate(PUNCH_HOLE) at %d+%d", off, n), func() error {
		return syscall.Fallocate(d.fd, fallocPunch, off, n)
	})
}

// retryEINTR runs call until it is not interrupted, naming what failed.
func retryEINTR(what string, call func() error) error {
	for tries := 0; ; tries++ {
		err := call()
		switch {
		case err == nil:
			return nil
		case err == syscall.EINTR && tries < 100:
			continue
		}
		return fmt.Errorf("%s: %w", what, err)
	}
}

// pread fills b; a short read (past the end of the file) is an error.
func (d *fileDevice) pread(b []byte, off int64) error {
	for tries := 0; len(b) > 0; tries++ {
		n, err := syscall.Pread(d.fd, b, off)
		switch {
		case err == syscall.EINTR && tries < 100:
			continue
		case err != nil:
			return fmt.Errorf("pread at %d: %w", off, err)
		case n == 0:
			return fmt.Errorf("pread at %d: %w", off, io.ErrUnexpectedEOF)
		}
		b, off = b[n:], off+int64(n)
	}
	return nil
}

func (d *fileDevice) pwrite(b []byte, off int64) error {
	for tries := 0; len(b) > 0; tries++ {
		n, err := syscall.Pwrite(d.fd, b, off)
		switch {
		case err == syscall.EINTR && tries < 100:
			continue
		case err != nil:
			return fmt.Errorf("pwrite at %d: %w", off, err)
		case n == 0:
			return fmt.Errorf("pwrite at %d: %w", off, io.ErrShortWrite)
		}
		b, off = b[n:], off+int64(n)
	}
	return nil
}

func (d *fileDevice) Submit(op *Op) {
	if uint(op.Queue) >= uint(d.Queues()) {
		op.Err = fmt.Errorf("file: queue %d out of range (%d queues)", op.Queue, d.Queues())
		op.Done(op)
		return
	}
	if d.loops != nil {
		d.submitURing(op)
		return
	}
	d.queues[op.Queue] <- op
}

func (d *fileDevice) BlockSize() int  { return d.blockSize }
func (d *fileDevice) Blocks() int64   { return d.blocks }
func (d *fileDevice) Queues() int     { return len(d.queues) + len(d.loops) }
func (d *fileDevice) Notes() []string { return d.notes }

// Close stops the pools and closes the file; the engine has drained every op.
func (d *fileDevice) Close() error {
	d.closeOnce.Do(func() {
		d.stopURing()
		for _, q := range d.queues {
			close(q)
		}
		d.wg.Wait()
		d.closeErr = d.f.Close()
	})
	return d.closeErr
}

// threadPrio gives a pool goroutine's thread the priority of the op it
// runs: a synchronous read or write takes its thread's I/O priority (the
// kernel's get_current_ioprio), as fio's job thread after ioprio_set. The
// goroutine keeps its thread from the first change on, so the priority
// never leaks to other goroutines (the locked thread exits with it).
type threadPrio struct {
	cur    uint16
	locked bool
}

// ioprioWhoProcess with who 0 is the calling thread.
const ioprioWhoProcess = 1

func (t *threadPrio) set(p uint16) error {
	if p == t.cur {
		return nil
	}
	if !t.locked {
		runtime.LockOSThread()
		t.locked = true
	}
	if _, _, e := unix.Syscall(unix.SYS_IOPRIO_SET, ioprioWhoProcess, 0, uintptr(p)); e != 0 {
		return fmt.Errorf("ioprio_set(%#04x): %w", p, e)
	}
	t.cur = p
	return nil
}
