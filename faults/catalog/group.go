package catalog

import (
	"context"
	"errors"
	"strings"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
)

// NewGroup is one fault made of fs, one per volume a node exports: it
// injects them in order and recovers every one. It checks its effect when
// every member can, so a member that was not looked at never counts as
// confirmed.
func NewGroup(fs []faults.Fault) faults.Fault {
	for _, f := range fs {
		if _, ok := f.(faults.EffectChecker); !ok {
			return group(fs)
		}
	}
	return checkedGroup{group(fs)}
}

// group applies one fault kind to each volume a node exports.
type group []faults.Fault

func (g group) Available() error {
	for _, f := range g {
		if err := f.Available(); err != nil {
			return err
		}
	}
	return nil
}

func (g group) Inject(ctx context.Context) error {
	for _, f := range g {
		if err := f.Inject(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Recover tries every member, so one failure does not leave the others
// injected.
func (g group) Recover(ctx context.Context) error {
	var errs []error
	for _, f := range g {
		errs = append(errs, f.Recover(ctx))
	}
	return errors.Join(errs...)
}

func (g group) Describe() string {
	parts := make([]string, len(g))
	for i, f := range g {
		parts[i] = f.Describe()
	}
	return strings.Join(parts, "; ")
}

// checkedGroup is a group whose every member checks its effect: the group
// took effect when all of them did.
type checkedGroup struct{ group }

func (g checkedGroup) TookEffect(ctx context.Context) error {
	var errs []error
	for _, f := range g.group {
		errs = append(errs, f.(faults.EffectChecker).TookEffect(ctx))
	}
	return errors.Join(errs...)
}
