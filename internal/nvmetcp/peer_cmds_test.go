package nvmetcp

import (
	"fmt"
	"math/bits"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp/pdu"
)

func (pc *peerConn) onAdmin(cmd *nvme.Command, h *pdu.Header) error {
	p := pc.p
	switch cmd.Opcode {
	case nvme.AdminIdentify:
		pc.sendData(cmd.CID, p.identify(cmd))
	case nvme.AdminSetFeatures:
		var dw0 uint32
		if uint8(cmd.CDW10) == nvme.FeatureNumberOfQueues {
			n := min(int(cmd.CDW11&0xFFFF), p.cfg.Grant-1)
			dw0 = uint32(n) | uint32(n)<<16
		}
		pc.respond(cmd.CID, nvme.StatusSuccess, dw0, 0)
	case nvme.AdminGetFeatures:
		p.mu.Lock()
		kato := p.kato
		p.mu.Unlock()
		pc.respond(cmd.CID, nvme.StatusSuccess, kato, 0)
	case nvme.AdminGetLogPage:
		b, status := p.logPage(nvme.ParseGetLogPage(cmd))
		if status != nvme.StatusSuccess {
			pc.respond(cmd.CID, status, 0, 0)
			return nil
		}
		pc.sendData(cmd.CID, b)
	case nvme.AdminAsyncEventReq:
		p.mu.Lock()
		p.aers = append(p.aers, aer{pc, cmd.CID})
		p.mu.Unlock()
	case nvme.AdminKeepAlive:
		p.mu.Lock()
		p.kaTimes = append(p.kaTimes, time.Now())
		p.mu.Unlock()
		if !p.dropKA.Load() {
			pc.respond(cmd.CID, nvme.StatusSuccess, 0, 0)
		}
	default:
		pc.respond(cmd.CID, nvme.StatusInvalidOpcode, 0, 0)
	}
	return nil
}

func (p *peer) identify(cmd *nvme.Command) []byte {
	b := make([]byte, nvme.IdentifySize)
	p.mu.Lock()
	defer p.mu.Unlock()
	switch uint8(cmd.CDW10) {
	case nvme.CNSController:
		id := nvme.IdentifyController{VID: 0x1b36, Serial: "peer", Model: "scripted peer", CNTLID: p.cntlid,
			MDTS: p.cfg.MDTS, MaxCmd: p.cfg.MaxCmd, NN: 1, KAS: 1, SGLS: 1, IORCSZ: 1, SubNQN: testNQN,
			ControllerType: nvme.ControllerTypeIO, OAES: nvme.OAESANAChange, CMIC: nvme.CMICANAReports,
			ANAGRPMAX: 1, NANAGRPID: 1, ONCS: nvme.ONCSDatasetMgmt | nvme.ONCSWriteZeroes, AERL: 3}
		if p.cfg.ICD > 0 {
			id.IOCCSZ = uint32(p.cfg.ICD+nvme.CommandSize) / 16
		} else {
			id.IOCCSZ = 4
		}
		if p.cfg.Discovery != nil {
			id.ControllerType, id.SubNQN = nvme.ControllerTypeDiscovery, nvme.DiscoveryNQN
		}
		id.Marshal(b)
	case nvme.CNSNamespace:
		if cmd.NSID == 1 {
			ns := nvme.IdentifyNamespace{NSZE: uint64(p.cfg.Blocks), NCAP: uint64(p.cfg.Blocks),
				LBADS: uint8(bits.TrailingZeros(uint(p.cfg.BlockSize))), ANAGRPID: 1, NMIC: nvme.NMICShared}
			ns.Marshal(b)
		}
	case nvme.CNSActiveNSList:
		nvme.ActiveNamespaceList(b, []uint32{1}, cmd.NSID)
	}
	return b
}

func (p *peer) logPage(g nvme.GetLogPage) ([]byte, nvme.Status) {
	var page []byte
	p.mu.Lock()
	switch g.LID {
	case nvme.LogANA:
		l := nvme.ANALog{Groups: []nvme.ANAGroup{{ID: 1, State: nvme.ANAOptimized, NSIDs: []uint32{1}}}}
		page = l.Marshal(g.LSP&nvme.LSPReturnGroupsOnly != 0)
	case nvme.LogDiscovery:
		p.logReads++
		l := nvme.DiscoveryLog{GenCtr: uint64(min(p.logReads, p.cfg.GenBumps+1)), Entries: p.cfg.Discovery}
		page = l.Marshal()
	default:
		p.mu.Unlock()
		return nil, nvme.StatusInvalidField
	}
	p.mu.Unlock()
	if g.Offset > uint64(len(page)) {
		return nil, nvme.StatusInvalidField
	}
	b := make([]byte, g.Length)
	copy(b, page[g.Offset:])
	return b, nvme.StatusSuccess
}

func (pc *peerConn) onIO(cmd *nvme.Command, h *pdu.Header) error {
	p := pc.p
	if cmd.NSID != 1 {
		pc.respond(cmd.CID, nvme.StatusInvalidNamespace.WithDNR(), 0, 0)
		return nil
	}
	bs := p.cfg.BlockSize
	off, n := int(cmd.SLBA())*bs, int(cmd.NLB())*bs
	inRange := cmd.SLBA()+uint64(cmd.NLB()) <= uint64(p.cfg.Blocks)
	switch cmd.Opcode {
	case nvme.IORead, nvme.IOWrite:
		switch {
		case !inRange:
			pc.respond(cmd.CID, nvme.StatusLBAOutOfRange.WithDNR(), 0, 0)
		case int(cmd.SGL.Length) != n:
			pc.respond(cmd.CID, nvme.StatusSGLLengthInvalid.WithDNR(), 0, 0)
		case cmd.Opcode == nvme.IORead:
			p.mu.Lock()
			pc.sendData(cmd.CID, p.data[off:off+n])
			p.mu.Unlock()
		default:
			return pc.startWrite(cmd, h, off, n)
		}
	case nvme.IOFlush:
		pc.respond(cmd.CID, nvme.StatusSuccess, 0, 0)
	case nvme.IOWriteZeroes:
		if !inRange {
			pc.respond(cmd.CID, nvme.StatusLBAOutOfRange.WithDNR(), 0, 0)
			return nil
		}
		p.mu.Lock()
		clear(p.data[off : off+n])
		p.mu.Unlock()
		pc.respond(cmd.CID, nvme.StatusSuccess, 0, 0)
	case nvme.IODatasetMgmt:
		b, err := pc.readCapsuleData(h)
		if err != nil || len(b) != int(cmd.CDW10&0xFF+1)*nvme.DSMRangeSize {
			return fmt.Errorf("dataset management needs its ranges in-capsule, got %d bytes (%v)", len(b), err)
		}
		p.deallocate(nvme.ParseDSMRanges(b))
		pc.respond(cmd.CID, nvme.StatusSuccess, 0, 0)
	default:
		pc.respond(cmd.CID, nvme.StatusInvalidOpcode, 0, 0)
	}
	return nil
}

func (p *peer) deallocate(ranges []nvme.DSMRange) {
	p.mu.Lock()
	defer p.mu.Unlock()
	bs := p.cfg.BlockSize
	for _, r := range ranges {
		if r.SLBA+uint64(r.NLB) <= uint64(p.cfg.Blocks) {
			clear(p.data[int(r.SLBA)*bs : (int(r.SLBA)+int(r.NLB))*bs])
		}
	}
}

// startWrite takes in-capsule data at once, or asks for the data by R2T.
func (pc *peerConn) startWrite(cmd *nvme.Command, h *pdu.Header, off, n int) error {
	p := pc.p
	if cmd.SGL.Type == nvme.SGLInCapsule {
		if p.cfg.ICD <= 0 || n > p.cfg.ICD {
			return fmt.Errorf("in-capsule write of %d bytes beyond the advertised %d", n, p.cfg.ICD)
		}
		p.inCap.Add(1)
		p.mu.Lock()
		err := pc.rd.ReadData(p.data[off : off+n])
		p.mu.Unlock()
		if err != nil {
			return err
		}
		pc.respond(cmd.CID, nvme.StatusSuccess, 0, 0)
		return nil
	}
	if cmd.SGL.Type != nvme.SGLTransport {
		return fmt.Errorf("write with SGL type %#x", cmd.SGL.Type)
	}
	if p.cfg.ICD > 0 && n <= p.cfg.ICD {
		// Legal, but this host promises to use in-capsule data when it fits.
		return fmt.Errorf("write of %d bytes by R2T though it fits in-capsule (%d)", n, p.cfg.ICD)
	}
	pc.ttag++
	pc.pending[cmd.CID] = pendingWrite{off: off, total: n, ttag: pc.ttag}
	pc.sendR2T(cmd.CID)
	return nil
}

func (pc *peerConn) sendR2T(cid uint16) {
	pw := pc.pending[cid]
	n := pw.total - pw.recvd
	if pc.p.cfg.R2TChunk > 0 {
		n = min(n, pc.p.cfg.R2TChunk)
	}
	pw.r2tEnd = pw.recvd + n
	pc.pending[cid] = pw
	pc.p.r2ts.Add(1)
	w := pc.snd.lock()
	w.R2T(pdu.DataHeader{CCCID: cid, TTag: pw.ttag, Offset: uint32(pw.recvd), Length: uint32(n)})
	pc.snd.release(flushKick)
}

func (pc *peerConn) onH2CData(h *pdu.Header) error {
	dh := h.Data()
	pw, ok := pc.pending[dh.CCCID]
	switch {
	case !ok:
		return fmt.Errorf("H2CData for cid %#x without an R2T", dh.CCCID)
	case dh.TTag != pw.ttag || int(dh.Offset) != pw.recvd:
		return fmt.Errorf("H2CData cid %#x ttag %d offset %d, want ttag %d offset %d", dh.CCCID, dh.TTag, dh.Offset, pw.ttag, pw.recvd)
	case h.DataLen > int(pc.p.cfg.MaxH2C) || pw.recvd+h.DataLen > pw.r2tEnd:
		return fmt.Errorf("H2CData of %d bytes at %d beyond MAXH2CDATA %d or R2T end %d", h.DataLen, dh.Offset, pc.p.cfg.MaxH2C, pw.r2tEnd)
	}
	pc.p.h2cPDUs.Add(1)
	p := pc.p
	p.mu.Lock()
	err := pc.rd.ReadData(p.data[pw.off+pw.recvd : pw.off+pw.recvd+h.DataLen])
	p.mu.Unlock()
	if err != nil {
		return err
	}
	pw.recvd += h.DataLen
	pc.pending[dh.CCCID] = pw
	last := h.Flags()&pdu.FlagLast != 0
	if last != (pw.recvd == pw.r2tEnd) {
		return fmt.Errorf("H2CData LAST_PDU %v at %d of an R2T ending at %d", last, pw.recvd, pw.r2tEnd)
	}
	switch {
	case !last:
	case pw.recvd == pw.total:
		delete(pc.pending, dh.CCCID)
		pc.respond(dh.CCCID, nvme.StatusSuccess, 0, 0)
	default:
		pc.sendR2T(dh.CCCID)
	}
	return nil
}
