package api

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"syscall"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/bdev"
	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
)

// defaultClusterSize is SPDK's lvstore cluster size.
const defaultClusterSize = 4 << 20

func (a *API) lvolHandlers() map[string]spdkrpc.Handler {
	return map[string]spdkrpc.Handler{
		spdkrpc.MethodBdevLvolCreateLvstore: a.createLvstore,
		spdkrpc.MethodBdevLvolGetLvstores:   a.getLvstores,
		spdkrpc.MethodBdevLvolCreate:        a.createLvol,
		spdkrpc.MethodBdevLvolResize:        a.resizeLvol,
		spdkrpc.MethodBdevLvolDelete:        a.deleteLvol,
		"bdev_lvol_delete_lvstore":          a.deleteLvstore,
	}
}

func (a *API) createLvstore(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.BdevLvolCreateLvstoreParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	base := a.lookup(p.BdevName)
	if base == nil {
		return nil, spdkrpc.ErrnoError(syscall.ENODEV)
	}
	if base.claims > 0 {
		return nil, spdkrpc.ErrnoError(syscall.EBUSY)
	}
	if a.lvstores[p.LvsName] != nil {
		return nil, spdkrpc.ErrnoError(syscall.EEXIST)
	}
	cs := int64(p.ClusterSz)
	if cs == 0 {
		cs = defaultClusterSize
	}
	s, err := bdev.NewLvstore(p.LvsName, base.b, cs)
	if err != nil {
		return nil, spdkrpc.ErrnoError(syscall.EINVAL)
	}
	base.claims++
	a.lvstores[p.LvsName] = s
	return formatUUID(s.UUID()), nil
}

// store finds an lvstore by name or UUID. The caller holds a.mu.
func (a *API) store(name, uuid string) *bdev.Lvstore {
	for _, s := range a.lvstores {
		if (name != "" && s.Name() == name) || (uuid != "" && formatUUID(s.UUID()) == uuid) {
			return s
		}
	}
	return nil
}

func (a *API) getLvstores(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.BdevLvolGetLvstoresParams
	if params != nil {
		if err := decode(params, &p, true); err != nil {
			return nil, err
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var stores []*bdev.Lvstore
	if p.LvsName != "" || p.UUID != "" {
		s := a.store(p.LvsName, p.UUID)
		if s == nil {
			return nil, spdkrpc.ErrnoError(syscall.ENODEV)
		}
		stores = append(stores, s)
	} else {
		for _, s := range a.lvstores {
			stores = append(stores, s)
		}
		sort.Slice(stores, func(i, j int) bool { return stores[i].Name() < stores[j].Name() })
	}
	out := []spdkrpc.Lvstore{}
	for _, s := range stores {
		out = append(out, spdkrpc.Lvstore{UUID: formatUUID(s.UUID()), Name: s.Name(), BaseBdev: s.Base().Name(),
			TotalDataClusters: uint64(s.TotalClusters()), FreeClusters: uint64(s.FreeClusters()),
			BlockSize: uint64(s.Base().BlockSize()), ClusterSize: uint64(s.ClusterSize())})
	}
	return out, nil
}

// lvolCreateParams are bdev_lvol_create's params as v24.01 decodes them:
// besides size_in_mib it still takes the byte-sized "size" (deprecated in
// v23.09, removed in v24.05), which the SPDK CSI driver sends. The shared
// params struct leaves it out so that the harness never sends it.
type lvolCreateParams struct {
	spdkrpc.BdevLvolCreateParams
	Size uint64 `json:"size"`
}

// bytes is the lvol size SPDK v24.01 derives from the params, or its error
// when both sizes are given.
func (p *lvolCreateParams) bytes() (int64, error) {
	switch {
	case p.Size > 0 && p.SizeInMiB > 0:
		return 0, spdkrpc.NewError(spdkrpc.CodeInternalError, "size is deprecated. Specify only size_in_mib instead.")
	case p.SizeInMiB > 0:
		return int64(p.SizeInMiB) << 20, nil
	}
	return int64(p.Size), nil
}

func (a *API) createLvol(_ context.Context, params json.RawMessage) (any, error) {
	var p lvolCreateParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	size, err := p.bytes()
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.store(p.LvsName, p.UUID)
	if s == nil || (p.LvsName != "" && p.UUID != "") {
		return nil, spdkrpc.ErrnoError(syscall.ENODEV)
	}
	l, err := s.CreateLvol(p.LvolName, size, p.ThinProvision)
	switch {
	case errors.Is(err, bdev.ErrExists):
		return nil, spdkrpc.NewError(spdkrpc.CodeInvalidParams, "File exists")
	case errors.Is(err, bdev.ErrNoSpace):
		return nil, spdkrpc.ErrnoError(syscall.ENOSPC)
	case err != nil:
		return nil, spdkrpc.ErrnoError(syscall.EINVAL)
	}
	// SPDK names the lvol bdev by its UUID and gives it the alias lvs/lvol.
	e := &entry{b: &namedLvol{Lvol: l}, product: "Logical Volume", aliases: []string{l.Name()},
		driver: map[string]any{"lvol": map[string]any{"lvol_store_uuid": formatUUID(s.UUID()),
			"base_bdev": s.Base().Name(), "thin_provision": l.Thin(), "clear_method": "unmap"}}}
	if err := a.add(e); err != nil {
		s.DeleteLvol(l)
		return nil, err
	}
	return formatUUID(l.UUID()), nil
}

// namedLvol is an lvol as a registered bdev: named by its UUID, as SPDK
// names lvol bdevs.
type namedLvol struct{ *bdev.Lvol }

func (n *namedLvol) Name() string { return formatUUID(n.UUID()) }

func (a *API) resizeLvol(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.BdevLvolResizeParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	a.mu.Lock()
	e := a.lookup(p.Name)
	a.mu.Unlock()
	l, ok := bdevAs[*namedLvol](e)
	if !ok {
		return nil, spdkrpc.ErrnoError(syscall.ENODEV)
	}
	if err := l.Resize(int64(p.SizeInMiB) << 20); err != nil {
		return nil, spdkrpc.ErrnoError(syscall.ENOSPC)
	}
	return true, nil
}

func (a *API) deleteLvol(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.BdevDeleteParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	e, err := a.remove(p.Name, func(b bdev.Bdev) bool { _, ok := b.(*namedLvol); return ok })
	if err != nil {
		return nil, err
	}
	l := e.b.(*namedLvol)
	l.Store().DeleteLvol(l.Lvol)
	return true, nil
}

// deleteLvstore removes an lvstore without lvols and releases its base
// (bdev_lvol_delete_lvstore: uuid or lvs_name).
func (a *API) deleteLvstore(_ context.Context, params json.RawMessage) (any, error) {
	var p spdkrpc.BdevLvolGetLvstoresParams
	if err := decode(params, &p, true); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.store(p.LvsName, p.UUID)
	if s == nil {
		return nil, spdkrpc.ErrnoError(syscall.ENODEV)
	}
	if len(s.Lvols()) > 0 {
		return nil, spdkrpc.ErrnoError(syscall.EBUSY)
	}
	delete(a.lvstores, s.Name())
	if base := a.lookup(s.Base().Name()); base != nil && base.claims > 0 {
		base.claims--
	}
	return true, nil
}
