package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/bdev"
	"github.com/nvmf-chaos/nvmf-chaos/internal/poll"
	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
)

func (a *API) bdevHandlers() map[string]spdkrpc.Handler {
	return map[string]spdkrpc.Handler{
		spdkrpc.MethodBdevMallocCreate: a.mallocCreate,
		spdkrpc.MethodBdevMallocDelete: a.deleter(func(b bdev.Bdev) bool { _, ok := b.(*bdev.Malloc); return ok }),
		spdkrpc.MethodBdevAioCreate:    a.aioCreate,
		spdkrpc.MethodBdevNullCreate:   a.nullCreate,
		// Not in spdkrpc's harness list, but cleanup needs them: SPDK serves both.
		"bdev_aio_delete":                    a.deleter(func(b bdev.Bdev) bool { _, ok := b.(*bdev.File); return ok }),
		"bdev_null_delete":                   a.deleter(func(b bdev.Bdev) bool { _, ok := b.(*bdev.Null); return ok }),
		spdkrpc.MethodBdevGetBdevs:           a.getBdevs,
		spdkrpc.MethodBdevDelayCreate:        a.delayCreate,
		spdkrpc.MethodBdevDelayUpdateLatency: a.delayUpdate,
		spdkrpc.MethodBdevDelayDelete:        a.deleter(func(b bdev.Bdev) bool { _, ok := b.(*bdev.Delay); return ok }),
		spdkrpc.MethodBdevErrorCreate:        a.errorCreate,
		spdkrpc.MethodBdevErrorInjectError:   a.errorInject,
		spdkrpc.MethodBdevErrorDelete:        a.deleter(func(b bdev.Bdev) bool { _, ok := b.(*bdev.Error); return ok }),
	}
}

func parseUUIDParam(s string) ([16]byte, error) {
	var u [16]byte
	if s == "" {
		return u, nil
	}
	h := strings.ReplaceAll(s, "-", "")
	if len(h) != 32 {
		return u, spdkrpc.NewError(spdkrpc.CodeInvalidParams, "invalid UUID "+s)
	}
	for i := range u {
		var b byte
		if _, err := fmt.Sscanf(h[2*i:2*i+2], "%02x", &b); err != nil {
			return u, spdkrpc.NewError(spdkrpc.CodeInvalidParams, "invalid UUID "+s)
		}
		u[i] = b
	}
	return u, nil
}

func (a *API) mallocCreate(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.BdevMallocCreateParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	u, err := parseUUIDParam(p.UUID)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if p.Name == "" {
		p.Name = fmt.Sprintf("Malloc%d", len(a.bdevs))
	}
	m, err := bdev.NewMalloc(p.Name, int64(p.NumBlocks)*int64(p.BlockSize), int(p.BlockSize), u)
	if err != nil {
		return nil, spdkrpc.ErrnoError(syscall.EINVAL)
	}
	if err := a.add(&entry{b: m, product: "Malloc disk"}); err != nil {
		return nil, err
	}
	return p.Name, nil
}

func (a *API) aioCreate(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.BdevAioCreateParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	bs := int(p.BlockSize)
	if bs == 0 {
		bs = 512
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.lookup(p.Name) != nil {
		return nil, spdkrpc.ErrnoError(syscall.EEXIST)
	}
	f, err := bdev.OpenFile(p.Filename, bdev.FileOptions{BlockSize: bs, Name: p.Name})
	if err != nil {
		return nil, spdkrpc.NewError(-int(syscall.ENOENT), err.Error())
	}
	if err := a.add(&entry{b: f, product: "AIO disk", driver: map[string]any{"aio": map[string]any{"filename": p.Filename}}}); err != nil {
		_ = f.Close()
		return nil, err
	}
	return p.Name, nil
}

func (a *API) nullCreate(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.BdevNullCreateParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	u, err := parseUUIDParam(p.UUID)
	if err != nil {
		return nil, err
	}
	n, err := bdev.NewNull(p.Name, p.NumBlocks, int(p.BlockSize), u)
	if err != nil {
		return nil, spdkrpc.ErrnoError(syscall.EINVAL)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.add(&entry{b: n, product: "Null disk"}); err != nil {
		return nil, err
	}
	return p.Name, nil
}

// deleter serves the *_delete methods of one bdev type.
func (a *API) deleter(isType func(bdev.Bdev) bool) spdkrpc.Handler {
	return func(_ context.Context, params json.RawMessage) (any, error) {
		var p spdkrpc.BdevDeleteParams
		if err := decode(params, &p, true); err != nil {
			return nil, err
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		if _, err := a.remove(p.Name, isType); err != nil {
			return nil, err
		}
		return true, nil
	}
}

func (a *API) getBdevs(ctx context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.BdevGetBdevsParams
	if params != nil {
		if err := decode(params, &p, true); err != nil {
			return nil, err
		}
	}
	var out []spdkrpc.Bdev
	// SPDK's timeout: wait that long for a named bdev to appear (0: look
	// once, which the shortest timeout gives).
	wait := max(time.Duration(p.Timeout)*time.Millisecond, time.Nanosecond)
	err := poll.Until(ctx, "bdev "+p.Name+" to appear", func(context.Context) error {
		a.mu.Lock()
		defer a.mu.Unlock()
		out = nil
		if p.Name == "" {
			for _, e := range a.sortedEntries() {
				out = append(out, describe(e))
			}
			return nil
		}
		if e := a.lookup(p.Name); e != nil {
			out = append(out, describe(e))
			return nil
		}
		return spdkrpc.ErrnoError(syscall.ENODEV)
	}, poll.Every(10*time.Millisecond), poll.Within(wait))
	switch {
	case err == nil && out == nil:
		return []spdkrpc.Bdev{}, nil
	case err == nil:
		return out, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	}
	return nil, spdkrpc.ErrnoError(syscall.ENODEV)
}

// describe renders a bdev as bdev_get_bdevs does.
func describe(e *entry) spdkrpc.Bdev {
	b := e.b
	aliases := e.aliases
	if aliases == nil {
		aliases = []string{}
	}
	_, unmap := b.(bdev.Unmapper)
	out := spdkrpc.Bdev{Name: b.Name(), Aliases: aliases, ProductName: e.product,
		BlockSize: uint32(b.BlockSize()), NumBlocks: b.NumBlocks(), UUID: bdevUUID(b),
		AssignedRateLimits: map[string]uint64{"rw_ios_per_sec": 0, "rw_mbytes_per_sec": 0, "r_mbytes_per_sec": 0, "w_mbytes_per_sec": 0},
		Claimed:            e.claims > 0,
		SupportedIOTypes: map[string]bool{"read": true, "write": true, "flush": true, "unmap": unmap,
			"write_zeroes": true, "reset": false, "nvme_admin": false, "nvme_io": false}}
	if e.claims > 0 {
		out.ClaimType = "exclusive_write"
	}
	if e.driver != nil {
		out.DriverSpecific, _ = json.Marshal(e.driver)
	}
	return out
}

func (a *API) delayCreate(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.BdevDelayCreateParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	u, err := parseUUIDParam(p.UUID)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	base := a.lookup(p.BaseBdevName)
	if base == nil {
		return nil, spdkrpc.ErrnoError(syscall.ENODEV)
	}
	us := func(v uint64) time.Duration { return time.Duration(v) * time.Microsecond }
	d := bdev.NewDelay(p.Name, base.b, bdev.Latencies{AvgRead: us(p.AvgReadLatency), P99Read: us(p.P99ReadLatency),
		AvgWrite: us(p.AvgWriteLatency), P99Write: us(p.P99WriteLatency)}, u)
	if err := a.add(&entry{b: d, product: "delay", base: base,
		driver: map[string]any{"delay": map[string]any{"base_bdev_name": base.b.Name()}}}); err != nil {
		return nil, err
	}
	return p.Name, nil
}

func (a *API) delayUpdate(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.BdevDelayUpdateLatencyParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	a.mu.Lock()
	e := a.lookup(p.DelayBdevName)
	a.mu.Unlock()
	if e == nil {
		return nil, spdkrpc.NewError(spdkrpc.CodeInvalidParams, "The requested bdev does not exist.")
	}
	d, ok := e.b.(*bdev.Delay)
	if !ok {
		return nil, spdkrpc.NewError(spdkrpc.CodeInvalidRequest, "The requested bdev is not a delay bdev.")
	}
	l := d.Latencies()
	v := time.Duration(p.LatencyUs) * time.Microsecond
	switch p.LatencyType {
	case spdkrpc.LatencyAvgRead:
		l.AvgRead = v
	case spdkrpc.LatencyP99Read:
		l.P99Read = v
	case spdkrpc.LatencyAvgWrite:
		l.AvgWrite = v
	case spdkrpc.LatencyP99Write:
		l.P99Write = v
	default:
		return nil, spdkrpc.NewError(spdkrpc.CodeInvalidParams, "Invalid latency type")
	}
	d.SetLatencies(l)
	return true, nil
}

func (a *API) errorCreate(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.BdevErrorCreateParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	u, err := parseUUIDParam(p.UUID)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	base := a.lookup(p.BaseName)
	if base == nil {
		return nil, spdkrpc.ErrnoError(syscall.ENODEV)
	}
	e := bdev.NewError(base.b, u)
	if err := a.add(&entry{b: e, product: "Error Injection Disk", base: base}); err != nil {
		return nil, err
	}
	return true, nil
}

var ioKinds = map[string]bdev.IOKind{spdkrpc.ErrorIORead: bdev.IORead, spdkrpc.ErrorIOWrite: bdev.IOWrite,
	spdkrpc.ErrorIOUnmap: bdev.IOUnmap, spdkrpc.ErrorIOFlush: bdev.IOFlush, spdkrpc.ErrorIOAll: bdev.IOAll,
	spdkrpc.ErrorIOClear: bdev.IOAll}

var failures = map[string]bdev.Failure{spdkrpc.ErrorTypeFailure: bdev.FailIO, spdkrpc.ErrorTypePending: bdev.FailPending,
	spdkrpc.ErrorTypeCorruptData: bdev.FailCorrupt, spdkrpc.ErrorTypeNomem: bdev.FailNoMem}

func (a *API) errorInject(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.BdevErrorInjectErrorParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	kind, okKind := ioKinds[p.IOType]
	fail, okFail := failures[p.ErrorType]
	if !okKind || !okFail {
		return nil, spdkrpc.NewError(spdkrpc.CodeInvalidParams, "Unexpected io_type or error_type")
	}
	a.mu.Lock()
	e := a.lookup(p.Name)
	a.mu.Unlock()
	eb, ok := bdevAs[*bdev.Error](e)
	if !ok {
		return nil, spdkrpc.ErrnoError(syscall.ENODEV)
	}
	count := int(p.Num)
	if count == 0 {
		count = 1
	}
	if p.IOType == spdkrpc.ErrorIOClear {
		count = 0
	}
	eb.Inject(bdev.Injection{Kinds: kind, Failure: fail, Count: count,
		CorruptOffset: int(p.CorruptOffset), CorruptValue: p.CorruptValue})
	return true, nil
}

func bdevAs[T bdev.Bdev](e *entry) (T, bool) {
	var zero T
	if e == nil {
		return zero, false
	}
	t, ok := e.b.(T)
	return t, ok
}
