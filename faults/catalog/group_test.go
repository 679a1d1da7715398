package catalog

import (
	"context"
	"errors"
	"testing"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
)

type plainFault struct{}

func (plainFault) Available() error              { return nil }
func (plainFault) Inject(context.Context) error  { return nil }
func (plainFault) Recover(context.Context) error { return nil }
func (plainFault) Describe() string              { return "plain" }

type checkedFault struct {
	plainFault
	effect error
}

func (c checkedFault) TookEffect(context.Context) error { return c.effect }

// TestGroupFaultChecksOnlyWhenAllMembersDo: a node's per-volume faults
// are checked as a group when every member has a check (any member
// without effect fails it), and unchecked otherwise, never confirmed by
// a member that was not looked at.
func TestGroupFaultChecksOnlyWhenAllMembersDo(t *testing.T) {
	gone := errors.New("the subsystem still lists 198.18.0.2:4420")
	tests := []struct {
		name    string
		members []faults.Fault
		checked bool
		wantErr error
	}{
		{"all checked, all took effect", []faults.Fault{checkedFault{}, checkedFault{}}, true, nil},
		{"all checked, one did not", []faults.Fault{checkedFault{}, checkedFault{effect: gone}}, true, gone},
		{"one unchecked", []faults.Fault{checkedFault{}, plainFault{}}, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ec, ok := NewGroup(tc.members).(faults.EffectChecker)
			if ok != tc.checked {
				t.Fatalf("group checks its effect: %v, want %v", ok, tc.checked)
			}
			if ok {
				if err := ec.TookEffect(context.Background()); !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
					t.Errorf("TookEffect: %v, want %v", err, tc.wantErr)
				}
			}
		})
	}
}
