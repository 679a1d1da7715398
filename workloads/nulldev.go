package workloads

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
)

// nullDevice completes every op at once without touching its buffer: running
// the engine against it measures the engine's own cost per I/O.
type nullDevice struct {
	blockSize int
	blocks    int64
	queues    int
}

var _ Device = (*nullDevice)(nil)

// openNull opens null://SIZE[?bs=N]; SIZE takes fio suffixes (null://1g).
func openNull(_ context.Context, u *url.URL, opts OpenOptions) (Device, error) {
	size, err := ParseSize(u.Host + u.Opaque)
	if err != nil {
		return nil, fmt.Errorf("null://SIZE: %w", err)
	}
	bs := 4096
	if s := u.Query().Get("bs"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 512 || n&(n-1) != 0 {
			return nil, fmt.Errorf("null: bs=%q: want a power of two >= 512", s)
		}
		bs = n
	}
	if size < int64(bs) {
		return nil, fmt.Errorf("null: size %d is smaller than one block (%d)", size, bs)
	}
	return &nullDevice{blockSize: bs, blocks: size / int64(bs), queues: max(opts.Queues, 1)}, nil
}

func (d *nullDevice) Submit(op *Op)  { op.Err = nil; op.Done(op) }
func (d *nullDevice) BlockSize() int { return d.blockSize }
func (d *nullDevice) Blocks() int64  { return d.blocks }
func (d *nullDevice) Queues() int    { return d.queues }
func (d *nullDevice) Close() error   { return nil }
