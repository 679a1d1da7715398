package nvmftarget

import (
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp/pdu"
)

// rawHost drives a target PDU by PDU, one command at a time. It is the
// protocol-level view of the target; the real host (internal/nvmetcp) is
// tested against the target separately.
type rawHost struct {
	t      testing.TB
	nc     net.Conn
	r      *pdu.Reader
	w      *pdu.Writer
	cid    uint16
	cntlid uint16
	qid    uint16
	inline int // largest in-capsule data to send
}

const testHostNQN = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000001"

var testHostID = [16]byte{1, 2, 3, 4}

func dialRaw(t testing.TB, addr string, digests bool) *rawHost {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	h := &rawHost{t: t, nc: nc, r: pdu.NewReader(nc, pdu.RoleHost, 0), w: pdu.NewWriter(nc), inline: InCapsuleDataSize}
	h.w.ICReq(pdu.IC{HeaderDigest: digests, DataDigest: digests, MaxData: 15})
	if err := h.w.Flush(); err != nil {
		t.Fatalf("send ICReq: %v", err)
	}
	hd, err := h.r.Next()
	if err != nil || hd.Type() != pdu.TypeICResp {
		t.Fatalf("ICResp: type %v, err %v", typeOf(hd), err)
	}
	ic := hd.IC()
	if ic.HeaderDigest != digests || ic.DataDigest != digests || ic.MaxData != MaxH2CData {
		t.Fatalf("ICResp %+v, want digests %v and MAXH2CDATA %d", ic, digests, MaxH2CData)
	}
	h.r.SetDigests(digests, digests)
	h.w.SetDigests(digests, digests)
	h.w.SetDataAlignment(ic.PDA)
	return h
}

func typeOf(h *pdu.Header) any {
	if h == nil {
		return nil
	}
	return h.Type()
}

// exec sends cmd with data (a write) or expecting readLen bytes (a read)
// and returns the completion and the data read.
func (h *rawHost) exec(cmd nvme.Command, data []byte, readLen int) (nvme.Completion, []byte, error) {
	cid, err := h.send(cmd, data, readLen)
	if err != nil {
		return nvme.Completion{}, nil, err
	}
	return h.await(cid, data, readLen)
}

// send sends cmd without waiting for its completion and returns its CID,
// so a test can have several commands in flight on one queue.
func (h *rawHost) send(cmd nvme.Command, data []byte, readLen int) (uint16, error) {
	h.cid++
	cmd.CID = h.cid
	cmd.Flags = nvme.PSDTSGL
	inCapsule := len(data) > 0 && len(data) <= h.inline
	switch {
	case inCapsule:
		cmd.SGL = nvme.SGL{Type: nvme.SGLInCapsule, Length: uint32(len(data))}
		h.w.CapsuleCmd(&cmd, data)
	case len(data) > 0:
		cmd.SGL = nvme.SGL{Type: nvme.SGLTransport, Length: uint32(len(data))}
		h.w.CapsuleCmd(&cmd, nil)
	default:
		cmd.SGL = nvme.SGL{Type: nvme.SGLTransport, Length: uint32(readLen)}
		h.w.CapsuleCmd(&cmd, nil)
	}
	return cmd.CID, h.w.Flush()
}

// await reads PDUs until command cid completes, answering its R2Ts from
// data and collecting readLen bytes of C2H data.
func (h *rawHost) await(cid uint16, data []byte, readLen int) (nvme.Completion, []byte, error) {
	got := make([]byte, readLen)
	for {
		hd, err := h.r.Next()
		if err != nil {
			return nvme.Completion{}, nil, err
		}
		switch hd.Type() {
		case pdu.TypeR2T:
			dh := hd.Data()
			if dh.CCCID != cid || int(dh.Offset+dh.Length) > len(data) {
				return nvme.Completion{}, nil, fmt.Errorf("bad R2T %+v", dh)
			}
			h.w.Data(pdu.TypeH2CData, dh, pdu.FlagLast, data[dh.Offset:dh.Offset+dh.Length])
			if err := h.w.Flush(); err != nil {
				return nvme.Completion{}, nil, err
			}
		case pdu.TypeC2HData:
			dh := hd.Data()
			if int(dh.Offset+dh.Length) > len(got) {
				return nvme.Completion{}, nil, fmt.Errorf("C2HData beyond %d bytes: %+v", len(got), dh)
			}
			if err := h.r.ReadData(got[dh.Offset : dh.Offset+dh.Length]); err != nil {
				return nvme.Completion{}, nil, err
			}
			if hd.Flags()&pdu.FlagSuccess != 0 {
				return nvme.Completion{CID: dh.CCCID}, got, nil
			}
		case pdu.TypeCapsuleResp:
			var cpl nvme.Completion
			hd.Completion(&cpl)
			if cpl.CID != cid {
				return cpl, nil, fmt.Errorf("completion for CID %d, want %d", cpl.CID, cid)
			}
			return cpl, got, nil
		case pdu.TypeC2HTermReq:
			return nvme.Completion{}, nil, fmt.Errorf("target terminated: %+v", hd.TermReq())
		default:
			return nvme.Completion{}, nil, fmt.Errorf("unexpected %v", hd.Type())
		}
	}
}

// must runs exec and fails the test unless the command succeeds.
func (h *rawHost) must(cmd nvme.Command, data []byte, readLen int) (nvme.Completion, []byte) {
	h.t.Helper()
	cpl, got, err := h.exec(cmd, data, readLen)
	if err != nil {
		h.t.Fatalf("opcode %#x: %v", cmd.Opcode, err)
	}
	if !cpl.Status.Success() {
		h.t.Fatalf("opcode %#x: status %v", cmd.Opcode, cpl.Status)
	}
	return cpl, got
}

func connectCmd(qid, sqsize uint16, kato time.Duration) nvme.Command {
	var cmd nvme.Command
	nvme.ConnectCommand{QID: qid, SQSize: sqsize - 1, KATO: uint32(kato / time.Millisecond)}.Apply(&cmd)
	return cmd
}

func connectData(t testing.TB, subnqn string, cntlid uint16) []byte {
	d := nvme.ConnectData{HostID: testHostID, CNTLID: cntlid, SubNQN: subnqn, HostNQN: testHostNQN}
	b := make([]byte, nvme.ConnectDataSize)
	if err := d.Marshal(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// connectAdmin connects the admin queue and enables the controller.
func (h *rawHost) connectAdmin(subnqn string, kato time.Duration) {
	h.t.Helper()
	cpl, _ := h.must(connectCmd(0, 32, kato), connectData(h.t, subnqn, nvme.DynamicCNTLID), 0)
	h.cntlid = uint16(cpl.DW0)
	h.must(nvme.PropertyCommand(true, nvme.PropCC, 4, nvme.CCEnable|nvme.CCIOSQES|nvme.CCIOCQES), nil, 0)
	cpl, _ = h.must(nvme.PropertyCommand(false, nvme.PropCSTS, 4, 0), nil, 0)
	if cpl.DW0&nvme.CSTSReady == 0 {
		h.t.Fatalf("CSTS %#x not ready after enable", cpl.DW0)
	}
}

// connectIO connects an I/O queue of the controller admin created.
func (h *rawHost) connectIO(subnqn string, cntlid, qid uint16) {
	h.t.Helper()
	h.must(connectCmd(qid, 128, 0), connectData(h.t, subnqn, cntlid), 0)
	h.qid = qid
}

func rwCmd(op uint8, nsid uint32, slba uint64, nlb uint32) nvme.Command {
	cmd := nvme.Command{Opcode: op, NSID: nsid}
	cmd.SetLBARange(slba, nlb)
	return cmd
}

// waitClosed reports whether the target closed the connection within d.
func (h *rawHost) waitClosed(d time.Duration) bool {
	_ = h.nc.SetReadDeadline(time.Now().Add(d))
	for {
		hd, err := h.r.Next()
		if err != nil {
			var ne net.Error
			return !(errors.As(err, &ne) && ne.Timeout())
		}
		_ = hd
	}
}
