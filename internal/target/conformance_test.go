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
// Command Sequence Error), and a refused Set changes nothing.
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
