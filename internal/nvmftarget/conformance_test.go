package nvmftarget

import (
	"bytes"
	"encoding/binary"
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

// dsmCmd is a Dataset Management command of ranges (0's based count in
// CDW10) with attributes attr in CDW11.
func dsmCmd(nsid uint32, ranges int, attr uint32) nvme.Command {
	return nvme.Command{Opcode: nvme.IODatasetMgmt, NSID: nsid, CDW10: uint32(ranges - 1), CDW11: attr}
}

// dsmRange encodes one range descriptor.
func dsmRange(slba uint64, nlb uint32) []byte {
	b := make([]byte, dsmRangeSize)
	binary.LittleEndian.PutUint32(b[4:], nlb)
	binary.LittleEndian.PutUint64(b[8:], slba)
	return b
}

// TestDatasetManagement is issue 18's third bug, I/O half: without the
// deallocate attribute a Dataset Management command only carries hints,
// and SPDK completes it whatever data came with it, none included. With
// deallocate it needs its ranges, and they are applied.
func TestDatasetManagement(t *testing.T) {
	block := bytes.Repeat([]byte{0x5A}, 512)
	tests := []struct {
		name string
		cmd  nvme.Command
		data []byte
		want nvme.Status
		// zeroed: block 0 reads back as zeros afterwards (deallocated).
		zeroed bool
	}{
		{name: "hints without data", cmd: dsmCmd(1, 1, 1 /* IDR */), want: nvme.StatusSuccess},
		{name: "no attributes, no data", cmd: dsmCmd(1, 4, 0), want: nvme.StatusSuccess},
		{name: "hints with ranges", cmd: dsmCmd(1, 1, 2 /* IDW */), data: dsmRange(0, 1), want: nvme.StatusSuccess},
		{name: "deallocate without data", cmd: dsmCmd(1, 1, dsmDeallocate), want: nvme.StatusSGLLengthInvalid},
		{name: "deallocate with short data", cmd: dsmCmd(1, 2, dsmDeallocate), data: dsmRange(0, 1), want: nvme.StatusSGLLengthInvalid},
		{name: "deallocate", cmd: dsmCmd(1, 1, dsmDeallocate), data: dsmRange(0, 1), want: nvme.StatusSuccess, zeroed: true},
		{name: "hints on an unknown namespace", cmd: dsmCmd(9, 1, 0), want: nvme.StatusInvalidNamespace},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, addr := newTestTarget(t, 1<<20, false, Options{})
			_, q := connected(t, addr, false)
			q.must(rwCmd(nvme.IOWrite, 1, 0, 1), block, 0)
			cpl, _, err := q.exec(tc.cmd, tc.data, 0)
			if err != nil {
				t.Fatal(err)
			}
			if cpl.Status.Code() != tc.want {
				t.Fatalf("status %v, want %v", cpl.Status, tc.want)
			}
			_, got := q.must(rwCmd(nvme.IORead, 1, 0, 1), nil, 512)
			if want := map[bool][]byte{false: block, true: make([]byte, 512)}[tc.zeroed]; !bytes.Equal(got, want) {
				t.Errorf("block 0 afterwards starts %x, want %x", got[:4], want[:4])
			}
		})
	}
}
