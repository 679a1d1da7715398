package volume

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
)

// SweepRPC is the part of the SPDK client Sweep uses.
type SweepRPC interface {
	NvmfGetSubsystems(ctx context.Context, p rpc.NvmfGetSubsystemsParams) ([]rpc.Subsystem, error)
	NvmfDeleteSubsystem(ctx context.Context, p rpc.NvmfDeleteSubsystemParams) error
	BdevGetBdevs(ctx context.Context, p rpc.BdevGetBdevsParams) ([]rpc.Bdev, error)
	BdevLvolGetLvstores(ctx context.Context, p rpc.BdevLvolGetLvstoresParams) ([]rpc.Lvstore, error)
	Call(ctx context.Context, method string, params, result any) error
}

// deleteMethods maps SPDK's product_name of each bdev kind the harness
// creates to the method deleting it (names checked against SPDK v24.01's
// modules and the embedded target, which reports the same).
var deleteMethods = map[string]string{
	"Malloc disk":          "bdev_malloc_delete",
	"AIO disk":             "bdev_aio_delete",
	"Null disk":            "bdev_null_delete",
	"delay":                "bdev_delay_delete",
	"Error Injection Disk": "bdev_error_delete",
	"Logical Volume":       "bdev_lvol_delete",
}

// sweepPasses bounds Sweep's rounds: each round removes the unclaimed top
// of every stack (subsystem → error → delay → lvol → lvstore → base), and
// the deepest stack the harness builds has five layers.
const sweepPasses = 8

// Sweep removes from one target what a crashed run left there: subsystems
// whose NQN starts with NQNPrefix and bdevs and lvstores named with
// Prefix, only those of runID when it is not empty. Unclaimed bdevs go
// first, so stacks come apart top-down as Delete would. dry lists without
// removing. It returns what it removed (or would), and carries on past
// failures, returning them joined.
func Sweep(ctx context.Context, c SweepRPC, runID string, dry bool) ([]string, error) {
	nqnPrefix, namePrefix := NQNPrefix, Prefix+"_"
	if runID != "" {
		nqnPrefix, namePrefix = NQNPrefix+runID+":", Prefix+"_"+runID+"_"
	}
	subs, err := c.NvmfGetSubsystems(ctx, rpc.NvmfGetSubsystemsParams{})
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	var done []string
	var errs []error
	for _, s := range subs {
		if !strings.HasPrefix(s.NQN, nqnPrefix) {
			continue
		}
		done = append(done, "subsystem "+s.NQN)
		if !dry {
			errs = append(errs, c.NvmfDeleteSubsystem(ctx, rpc.NvmfDeleteSubsystemParams{NQN: s.NQN}))
		}
	}
	ours := func(name string) bool {
		return strings.HasPrefix(strings.TrimPrefix(name, "EE_"), namePrefix)
	}
	if dry {
		items, err := listOurs(ctx, c, ours)
		return append(done, items...), errors.Join(append(errs, err)...)
	}
	for range sweepPasses {
		removed, err := sweepRound(ctx, c, ours)
		done, errs = append(done, removed...), append(errs, err)
		if len(removed) == 0 {
			break
		}
	}
	if left, err := listOurs(ctx, c, ours); err == nil && len(left) > 0 {
		errs = append(errs, fmt.Errorf("sweep: still there after %d rounds: %s", sweepPasses, strings.Join(left, ", ")))
	}
	return done, errors.Join(errs...)
}

// sweepRound deletes every unclaimed bdev of ours and every lvstore of
// ours that no longer holds an lvol.
func sweepRound(ctx context.Context, c SweepRPC, ours func(string) bool) ([]string, error) {
	bdevs, err := c.BdevGetBdevs(ctx, rpc.BdevGetBdevsParams{})
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	var done []string
	var errs []error
	lvolsIn := map[string]int{}
	for _, b := range bdevs {
		name := bdevName(b)
		if !ours(name) {
			continue
		}
		if lvs, _, ok := strings.Cut(name, "/"); ok && b.ProductName == "Logical Volume" {
			lvolsIn[lvs]++
		}
		method, known := deleteMethods[b.ProductName]
		if b.Claimed || !known {
			continue
		}
		if err := c.Call(ctx, method, map[string]string{"name": name}, nil); err != nil {
			errs = append(errs, fmt.Errorf("sweep: %s %s: %w", method, name, err))
			continue
		}
		done = append(done, "bdev "+name)
	}
	stores, err := c.BdevLvolGetLvstores(ctx, rpc.BdevLvolGetLvstoresParams{})
	if err != nil {
		return done, errors.Join(append(errs, fmt.Errorf("sweep: %w", err))...)
	}
	for _, s := range stores {
		if !ours(s.Name) || lvolsIn[s.Name] > 0 {
			continue
		}
		if err := c.Call(ctx, "bdev_lvol_delete_lvstore", map[string]string{"lvs_name": s.Name}, nil); err != nil {
			errs = append(errs, fmt.Errorf("sweep: lvstore %s: %w", s.Name, err))
			continue
		}
		done = append(done, "lvstore "+s.Name)
	}
	return done, errors.Join(errs...)
}

// bdevName is the name a bdev is deleted by: an lvol's "lvstore/lvol"
// alias, which is also what the harness names it by; otherwise its name.
func bdevName(b rpc.Bdev) string {
	if b.ProductName == "Logical Volume" {
		for _, a := range b.Aliases {
			if strings.Contains(a, "/") {
				return a
			}
		}
	}
	return b.Name
}

// listOurs names the bdevs and lvstores Sweep would remove.
func listOurs(ctx context.Context, c SweepRPC, ours func(string) bool) ([]string, error) {
	bdevs, err := c.BdevGetBdevs(ctx, rpc.BdevGetBdevsParams{})
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	var out []string
	for _, b := range bdevs {
		if name := bdevName(b); ours(name) {
			out = append(out, "bdev "+name)
		}
	}
	stores, err := c.BdevLvolGetLvstores(ctx, rpc.BdevLvolGetLvstoresParams{})
	if err != nil {
		return out, fmt.Errorf("sweep: %w", err)
	}
	for _, s := range stores {
		if ours(s.Name) {
			out = append(out, "lvstore "+s.Name)
		}
	}
	return out, nil
}
