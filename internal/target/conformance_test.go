package target

import (
	"testing"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// setFeatures is a Set Features command for fid with value; save sets the
// Save bit (CDW10 bit 31).
func setFeatures(fid uint8, value uint32, save bool) nvme.Command {
	cmd := nvme.Command{Opcode: nvme.AdminSetFeatures, CDW10: uint32(fid), CDW11: value}
	if save {
		cmd.CDW10 |= 1 << 31
	}
	return cmd
}

// TestSetFeaturesConformance is issue 18's third bug, Set Features half: the
// number of I/O queues is fixed once one exists (SPDK and the spec answer
// Command Sequence Error), and no feature here can be saved, so a Set with
// the Save bit fails with Feature Identifier Not Saveable and changes
// nothing.
func TestSetFeaturesConformance(t *testing.T) {
	const fourQueues = 3 | 3<<16 // 0's based
	tests := []struct {
		name    string
		ioQueue bool // an I/O queue is connected first
		cmd     nvme.Command
		want    nvme.Status
		// queues is what Get Features Number of Queues reads afterwards
		// (0's based, both halves).
		queues uint32
	}{
		{name: "queues before any I/O queue", cmd: setFeatures(nvme.FeatureNumberOfQueues, fourQueues, false),
			want: nvme.StatusSuccess, queues: fourQueues},
		{name: "queues once an I/O queue exists", ioQueue: true, cmd: setFeatures(nvme.FeatureNumberOfQueues, fourQueues, false),
			want: nvme.StatusCommandSequence, queues: (MaxIOQueues - 1) * 0x10001},
		{name: "saved number of queues", cmd: setFeatures(nvme.FeatureNumberOfQueues, fourQueues, true),
			want: nvme.StatusFeatureNotSaveable, queues: (MaxIOQueues - 1) * 0x10001},
		{name: "saved keep-alive timer", cmd: setFeatures(nvme.FeatureKeepAliveTimer, 5000, true),
			want: nvme.StatusFeatureNotSaveable, queues: (MaxIOQueues - 1) * 0x10001},
		{name: "saved async event configuration", cmd: setFeatures(nvme.FeatureAsyncEventConfig, 1<<11, true),
			want: nvme.StatusFeatureNotSaveable, queues: (MaxIOQueues - 1) * 0x10001},
		{name: "saved volatile write cache", cmd: setFeatures(nvme.FeatureVolatileWriteCache, 1, true),
			want: nvme.StatusFeatureNotSaveable, queues: (MaxIOQueues - 1) * 0x10001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, addr := newTestTarget(t, 1<<20, false, Options{})
			admin := dialRaw(t, addr, false)
			admin.connectAdmin(testNQN, 0)
			if tc.ioQueue {
				dialRaw(t, addr, false).connectIO(testNQN, admin.cntlid, 1)
			}
			cpl, _, err := admin.exec(tc.cmd, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if cpl.Status.Code() != tc.want {
				t.Fatalf("status %v, want %v", cpl.Status, tc.want)
			}
			cpl, _ = admin.must(nvme.Command{Opcode: nvme.AdminGetFeatures, CDW10: nvme.FeatureNumberOfQueues}, nil, 0)
			if cpl.DW0 != tc.queues {
				t.Errorf("number of queues afterwards %#x, want %#x", cpl.DW0, tc.queues)
			}
		})
	}
}

// TestSetFeaturesSaveChangesNothing: a refused save leaves the current
// value as it was (the keep-alive timer here).
func TestSetFeaturesSaveChangesNothing(t *testing.T) {
	_, addr := newTestTarget(t, 1<<20, false, Options{})
	admin := dialRaw(t, addr, false)
	admin.connectAdmin(testNQN, 0)
	admin.must(setFeatures(nvme.FeatureKeepAliveTimer, 7000, false), nil, 0)
	cpl, _, err := admin.exec(setFeatures(nvme.FeatureKeepAliveTimer, 3000, true), nil, 0)
	if err != nil || cpl.Status.Code() != nvme.StatusFeatureNotSaveable {
		t.Fatalf("saved keep-alive timer: %v %v, want %v", cpl.Status, err, nvme.StatusFeatureNotSaveable)
	}
	cpl, _ = admin.must(nvme.Command{Opcode: nvme.AdminGetFeatures, CDW10: nvme.FeatureKeepAliveTimer}, nil, 0)
	if cpl.DW0 != 7000 {
		t.Errorf("keep-alive timer %d ms after a refused save, want 7000", cpl.DW0)
	}
}
