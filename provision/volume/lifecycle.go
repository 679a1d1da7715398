package volume

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
)

// createOn makes (or finds) the bdev, subsystem, namespace and listener of
// the volume on one node.
func (v *Volume) createOn(ctx context.Context, p Path) error {
	bdevName, err := v.ensureBdev(ctx, p.RPC)
	if err != nil {
		return err
	}
	if bdevName, err = v.ensureLayers(ctx, p.RPC, bdevName); err != nil {
		return err
	}
	sub, err := v.ensureSubsystem(ctx, p.RPC)
	if err != nil {
		return err
	}
	if err := v.ensureNamespace(ctx, p.RPC, sub, bdevName); err != nil {
		return err
	}
	return v.ensureListener(ctx, p, sub)
}

// ensureBdev returns the name of the namespace's bdev, creating it.
func (v *Volume) ensureBdev(ctx context.Context, c RPC) (string, error) {
	_, name, lvs, _ := v.names()
	if v.Backing == Lvol {
		return v.ensureLvol(ctx, c, name, lvs)
	}
	if b, err := c.BdevGetBdevs(ctx, rpc.BdevGetBdevsParams{Name: name}); err == nil && len(b) == 1 {
		return name, nil
	} else if err != nil && !errors.Is(err, rpc.ErrNotFound) {
		return "", fmt.Errorf("look up bdev %s: %w", name, err)
	}
	var err error
	switch v.Backing {
	case Malloc:
		_, err = c.BdevMallocCreate(ctx, rpc.BdevMallocCreateParams{Name: name,
			NumBlocks: uint64(v.Size / int64(v.BlockSize)), BlockSize: uint32(v.BlockSize)})
	case File:
		_, err = c.BdevAioCreate(ctx, rpc.BdevAioCreateParams{Name: name, Filename: v.FilePath, BlockSize: uint32(v.BlockSize)})
	default:
		err = fmt.Errorf("unknown backing %q (want malloc, file or lvol)", v.Backing)
	}
	if err != nil {
		return "", fmt.Errorf("create %s bdev %s: %w", v.Backing, name, err)
	}
	return name, nil
}

// ensureLayers stacks the delay and error vbdevs on the backing bdev and
// returns the name of the top one, which the namespace uses.
func (v *Volume) ensureLayers(ctx context.Context, c RPC, top string) (string, error) {
	exists := func(name string) bool {
		b, err := c.BdevGetBdevs(ctx, rpc.BdevGetBdevsParams{Name: name})
		return err == nil && len(b) == 1
	}
	if v.Delay {
		name := v.DelayBdev()
		if !exists(name) {
			if _, err := c.BdevDelayCreate(ctx, rpc.BdevDelayCreateParams{BaseBdevName: top, Name: name}); err != nil {
				return "", fmt.Errorf("create delay bdev %s: %w", name, err)
			}
		}
		top = name
	}
	if v.Errors {
		name := v.ErrorBdev()
		if !exists(name) {
			if err := c.BdevErrorCreate(ctx, rpc.BdevErrorCreateParams{BaseName: top}); err != nil {
				return "", fmt.Errorf("create error bdev on %s: %w", top, err)
			}
		}
		top = name
	}
	return top, nil
}

// ensureLvol makes a thin lvol in an lvstore on a malloc base sized for it,
// and returns the lvol's alias lvs/lvol.
func (v *Volume) ensureLvol(ctx context.Context, c RPC, base, lvs string) (string, error) {
	const cluster = 4 << 20
	if _, err := c.BdevLvolGetLvstores(ctx, rpc.BdevLvolGetLvstoresParams{LvsName: lvs}); errors.Is(err, rpc.ErrNotFound) {
		// One spare cluster for the lvstore's own metadata on real SPDK.
		blocks := uint64((v.Size+2*cluster)/int64(v.BlockSize)) + 1
		if _, err := c.BdevMallocCreate(ctx, rpc.BdevMallocCreateParams{Name: base, NumBlocks: blocks,
			BlockSize: uint32(v.BlockSize)}); err != nil && !errors.Is(err, rpc.ErrExists) {
			return "", fmt.Errorf("create lvstore base %s: %w", base, err)
		}
		if _, err := c.BdevLvolCreateLvstore(ctx, rpc.BdevLvolCreateLvstoreParams{BdevName: base, LvsName: lvs,
			ClusterSz: cluster}); err != nil {
			return "", fmt.Errorf("create lvstore %s: %w", lvs, err)
		}
	} else if err != nil {
		return "", fmt.Errorf("look up lvstore %s: %w", lvs, err)
	}
	alias := lvs + "/" + v.Name
	if b, err := c.BdevGetBdevs(ctx, rpc.BdevGetBdevsParams{Name: alias}); err == nil && len(b) == 1 {
		return alias, nil
	}
	mib := uint64((v.Size + 1<<20 - 1) >> 20)
	if _, err := c.BdevLvolCreate(ctx, rpc.BdevLvolCreateParams{LvolName: v.Name, SizeInMiB: mib,
		ThinProvision: true, LvsName: lvs}); err != nil {
		return "", fmt.Errorf("create lvol %s: %w", alias, err)
	}
	return alias, nil
}

func (v *Volume) ensureSubsystem(ctx context.Context, c RPC) (*rpc.Subsystem, error) {
	subs, err := c.NvmfGetSubsystems(ctx, rpc.NvmfGetSubsystemsParams{NQN: v.NQN})
	if err == nil && len(subs) == 1 {
		return &subs[0], nil
	}
	if err != nil && !errors.Is(err, rpc.ErrNotFound) {
		return nil, fmt.Errorf("look up subsystem %s: %w", v.NQN, err)
	}
	if err := c.NvmfCreateSubsystem(ctx, rpc.NvmfCreateSubsystemParams{NQN: v.NQN, SerialNumber: v.Serial,
		ModelNumber: "nvmf-chaos volume " + v.Name, AllowAnyHost: true, AnaReporting: true}); err != nil {
		return nil, fmt.Errorf("create subsystem %s: %w", v.NQN, err)
	}
	return &rpc.Subsystem{NQN: v.NQN}, nil
}

func (v *Volume) ensureNamespace(ctx context.Context, c RPC, sub *rpc.Subsystem, bdevName string) error {
	nguid := strings.ToUpper(hex.EncodeToString(v.NGUID[:]))
	for _, ns := range sub.Namespaces {
		if strings.EqualFold(ns.NGUID, nguid) {
			v.NSID = ns.Nsid
			return nil
		}
	}
	nsid, err := c.NvmfSubsystemAddNs(ctx, rpc.NvmfSubsystemAddNsParams{NQN: v.NQN,
		Namespace: rpc.NamespaceParams{BdevName: bdevName, Nsid: 1, NGUID: nguid, UUID: uuidOf(v.NGUID)}})
	if err != nil {
		return fmt.Errorf("add namespace %s to %s: %w", bdevName, v.NQN, err)
	}
	v.NSID = nsid
	return nil
}

// uuidOf formats the NGUID as a version 4 style UUID string, so hosts that
// match paths by UUID and those that match by NGUID agree.
func uuidOf(id [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:16])
}

func (v *Volume) ensureListener(ctx context.Context, p Path, sub *rpc.Subsystem) error {
	la, err := splitAddr(p.Addr)
	if err != nil {
		return err
	}
	state := p.ANA
	if state == "" {
		state = "optimized"
	}
	for _, l := range sub.ListenAddresses {
		if l.Traddr == la.Traddr && l.Trsvcid == la.Trsvcid {
			// Reused: make sure it has the state this run asks for.
			return c2(p.RPC.NvmfSubsystemListenerSetAnaState(ctx, rpc.NvmfSubsystemListenerSetAnaStateParams{
				NQN: v.NQN, ListenAddress: la, AnaState: state}), "set ANA state of "+p.Addr)
		}
	}
	if err := p.RPC.NvmfSubsystemAddListener(ctx, rpc.NvmfSubsystemListenerParams{NQN: v.NQN, ListenAddress: la}); err != nil {
		return fmt.Errorf("add listener %s: %w", p.Addr, err)
	}
	// Set the state separately: ana_state at add time is a v24.01 addition
	// older targets reject.
	return c2(p.RPC.NvmfSubsystemListenerSetAnaState(ctx, rpc.NvmfSubsystemListenerSetAnaStateParams{
		NQN: v.NQN, ListenAddress: la, AnaState: state}), "set ANA state of "+p.Addr)
}

func c2(err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Delete removes the volume from every node: subsystem (with its listeners
// and namespace), then the bdev, then the lvstore and its base. Objects
// already gone are fine; other failures are collected and returned together
// after every step was tried.
func (v *Volume) Delete(ctx context.Context) error {
	nqn, name, lvs, _ := v.names()
	var errs []error
	try := func(node, what string, err error) {
		if err != nil && !errors.Is(err, rpc.ErrNotFound) && !errors.Is(err, rpc.ErrInvalidParams) {
			errs = append(errs, fmt.Errorf("%s: delete %s: %w", node, what, err))
		}
	}
	for _, p := range v.Paths {
		c := p.RPC
		try(p.Node, "subsystem "+nqn, c.NvmfDeleteSubsystem(ctx, rpc.NvmfDeleteSubsystemParams{NQN: nqn}))
		if v.Errors {
			try(p.Node, "bdev "+v.ErrorBdev(), c.BdevErrorDelete(ctx, v.ErrorBdev()))
		}
		if v.Delay {
			try(p.Node, "bdev "+v.DelayBdev(), c.BdevDelayDelete(ctx, v.DelayBdev()))
		}
		switch v.Backing {
		case Malloc:
			try(p.Node, "bdev "+name, c.BdevMallocDelete(ctx, name))
		case File:
			try(p.Node, "bdev "+name, c.Call(ctx, "bdev_aio_delete", map[string]string{"name": name}, nil))
		case Lvol:
			try(p.Node, "lvol "+lvs+"/"+v.Name, c.BdevLvolDelete(ctx, lvs+"/"+v.Name))
			try(p.Node, "lvstore "+lvs, c.Call(ctx, "bdev_lvol_delete_lvstore", map[string]string{"lvs_name": lvs}, nil))
			try(p.Node, "bdev "+name, c.BdevMallocDelete(ctx, name))
		}
	}
	return errors.Join(errs...)
}
