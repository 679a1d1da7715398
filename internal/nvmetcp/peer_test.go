package nvmetcp

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp/pdu"
)

// The scripted peer is a small NVMe/TCP controller for tests: it speaks
// the controller side with the pdu package and serves one in-memory
// namespace (NSID 1). Knobs select the data-transfer variants a real
// target may use; misbehaviour switches make it stop answering or send
// garbage. It records protocol violations by the host.

const testNQN = "nqn.2026-11.io.nvmf-chaos:test"

type peerConfig struct {
	BlockSize  int    // default 512
	Blocks     int    // default 16384
	ICD        int    // I/O in-capsule data bytes; 0 = 4096, <0 = none
	MaxH2C     uint32 // ICResp MAXH2CDATA; default 131072
	CPDA       uint8
	MDTS       uint8  // default 5 (128 KiB)
	MaxCmd     uint16 // default 128
	MQES       uint16 // default 127
	Grant      int    // I/O queues granted; default 126
	R2TChunk   int    // bytes per R2T; 0 = the whole transfer
	C2HChunk   int    // bytes per C2HData; 0 = the whole transfer
	C2HSuccess bool   // complete reads with C2HData SUCCESS
	// SuccessIfDISSQFC uses SUCCESS only on queues whose Connect disabled
	// SQ flow control, as Linux nvmet and SPDK after v26.05 do.
	SuccessIfDISSQFC bool
	// ForceDigests makes ICResp enable both digests whatever was asked.
	ForceDigests bool
	Discovery    []nvme.DiscoveryEntry
	GenBumps     int // the discovery GENCTR changes on each of the first GenBumps log reads
}

func (c *peerConfig) defaults() {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.BlockSize, 512)
	def(&c.Blocks, 16384)
	def(&c.ICD, 4096)
	def(&c.Grant, 126)
	if c.MaxH2C == 0 {
		c.MaxH2C = 131072
	}
	if c.MDTS == 0 {
		c.MDTS = 5
	}
	if c.MaxCmd == 0 {
		c.MaxCmd = 128
	}
	if c.MQES == 0 {
		c.MQES = 127
	}
}

type peer struct {
	cfg  peerConfig
	ln   net.Listener
	addr string
	wg   sync.WaitGroup
	done chan struct{}

	silent  atomic.Bool  // read and drop everything
	dropped atomic.Int64 // PDUs dropped while silent
	dropKA  atomic.Bool  // ignore Keep Alive
	r2ts    atomic.Int64
	h2cPDUs atomic.Int64
	inCap   atomic.Int64 // writes with in-capsule data
	success atomic.Int64 // reads completed by C2H SUCCESS

	mu       sync.Mutex // guards everything below and the namespace data
	data     []byte
	cc       uint32
	cntlid   uint16
	kato     uint32
	kaTimes  []time.Time
	aers     []aer
	conns    []*peerConn
	logReads int
	errs     []error
}

type aer struct {
	pc  *peerConn
	cid uint16
}

func newPeer(t testing.TB, cfg peerConfig) *peer {
	t.Helper()
	cfg.defaults()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{cfg: cfg, ln: ln, addr: ln.Addr().String(), done: make(chan struct{}),
		data: make([]byte, cfg.BlockSize*cfg.Blocks)}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		p.close()
		for _, err := range p.violations() {
			t.Errorf("peer: %v", err)
		}
	})
	return p
}

func (p *peer) accept() {
	defer p.wg.Done()
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			return
		}
		pc := &peerConn{p: p, conn: conn, rd: pdu.NewReader(conn, pdu.RoleController, 0),
			pending: make(map[uint16]pendingWrite), out: make(map[uint16]bool)}
		p.mu.Lock()
		p.conns = append(p.conns, pc)
		p.mu.Unlock()
		p.wg.Add(1)
		go func() { defer p.wg.Done(); pc.serve() }()
	}
}

func (p *peer) close() {
	p.ln.Close()
	close(p.done)
	p.mu.Lock()
	for _, pc := range p.conns {
		pc.conn.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *peer) violate(format string, args ...any) {
	p.mu.Lock()
	p.errs = append(p.errs, fmt.Errorf(format, args...))
	p.mu.Unlock()
}

func (p *peer) violations() []error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]error(nil), p.errs...)
}

func (p *peer) keepAlives() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.kaTimes...)
}

// ioConns returns the connections of I/O queues.
func (p *peer) ioConns() []*peerConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*peerConn
	for _, pc := range p.conns {
		if pc.qid.Load() > 0 {
			out = append(out, pc)
		}
	}
	return out
}

// event completes the held AER with ev.
func (p *peer) event(ev nvme.AsyncEvent) bool {
	p.mu.Lock()
	if len(p.aers) == 0 {
		p.mu.Unlock()
		return false
	}
	a := p.aers[0]
	p.aers = p.aers[1:]
	p.mu.Unlock()
	a.pc.respond(a.cid, nvme.StatusSuccess, ev.DW0(), 0)
	return true
}

type pendingWrite struct {
	off, total, recvd, r2tEnd int
	ttag                      uint16
}

type peerConn struct {
	p       *peer
	conn    net.Conn
	rd      *pdu.Reader
	snd     *sender
	qid     atomic.Int32 // -1 until Connect
	dissqfc atomic.Bool  // Connect CATTR disabled SQ flow control
	ttag    uint16
	pending map[uint16]pendingWrite // R2T writes awaiting data, by CID
	out     map[uint16]bool         // outstanding CIDs
	scratch []byte
	wmu     sync.Mutex // guards out against event() from other goroutines
}

func (pc *peerConn) serve() {
	pc.qid.Store(-1)
	defer pc.conn.Close()
	if !pc.initConn() {
		return
	}
	for {
		h, err := pc.rd.Next()
		if err != nil {
			return
		}
		if pc.p.silent.Load() {
			pc.p.dropped.Add(1)
			continue
		}
		switch h.Type() {
		case pdu.TypeCapsuleCmd:
			err = pc.onCommand(h)
		case pdu.TypeH2CData:
			err = pc.onH2CData(h)
		default:
			err = fmt.Errorf("host sent %v", h.Type())
		}
		if err != nil {
			pc.p.violate("queue %d: %v", pc.qid.Load(), err)
			return
		}
	}
}

func (pc *peerConn) initConn() bool {
	h, err := pc.rd.Next()
	if err != nil || h.Type() != pdu.TypeICReq {
		return false
	}
	req := h.IC()
	if req.PDA != 0 || req.MaxData != 0 {
		pc.p.violate("ICReq HPDA %d MAXR2T %d, want 0 0", req.PDA, req.MaxData)
	}
	resp := pdu.IC{PDA: pc.p.cfg.CPDA, HeaderDigest: req.HeaderDigest, DataDigest: req.DataDigest, MaxData: pc.p.cfg.MaxH2C}
	if pc.p.cfg.ForceDigests {
		resp.HeaderDigest, resp.DataDigest = true, true
	}
	w := pdu.NewWriter(pc.conn)
	w.ICResp(resp)
	if w.Flush() != nil {
		return false
	}
	ws := [2]*pdu.Writer{pdu.NewWriter(pc.conn), pdu.NewWriter(pc.conn)}
	for _, w := range ws {
		w.SetDigests(resp.HeaderDigest, resp.DataDigest)
	}
	pc.rd.SetDigests(resp.HeaderDigest, resp.DataDigest)
	pc.snd = newSender(ws[0], ws[1], nil)
	pc.p.wg.Add(1)
	go func() { defer pc.p.wg.Done(); pc.snd.run(pc.p.done) }()
	return true
}

// respond completes cid with a CapsuleResp.
func (pc *peerConn) respond(cid uint16, status nvme.Status, dw0, dw1 uint32) {
	pc.retire(cid)
	w := pc.snd.lock()
	w.CapsuleResp(&nvme.Completion{DW0: dw0, DW1: dw1, CID: cid, Status: status, SQID: uint16(pc.qid.Load())})
	pc.snd.release(flushKick)
}

// retire forgets cid before its completion is queued: the host may reuse
// it as soon as the completion arrives.
func (pc *peerConn) retire(cid uint16) {
	pc.wmu.Lock()
	delete(pc.out, cid)
	pc.wmu.Unlock()
}

// sendData sends buf by C2HData PDUs and, without SUCCESS, a CapsuleResp.
func (pc *peerConn) sendData(cid uint16, buf []byte) {
	cfg := &pc.p.cfg
	chunk := len(buf)
	if cfg.C2HChunk > 0 {
		chunk = cfg.C2HChunk
	}
	success := cfg.C2HSuccess || cfg.SuccessIfDISSQFC && pc.dissqfc.Load()
	if success {
		pc.retire(cid)
		pc.p.success.Add(1)
	}
	w := pc.snd.lock()
	for off := 0; off < len(buf); off += chunk {
		n := min(chunk, len(buf)-off)
		var flags uint8
		if off+n == len(buf) {
			flags = pdu.FlagLast
			if success {
				flags |= pdu.FlagSuccess
			}
		}
		w.Data(pdu.TypeC2HData, pdu.DataHeader{CCCID: cid, Offset: uint32(off)}, flags, buf[off:off+n])
	}
	pc.snd.release(flushKick)
	if !success {
		pc.respond(cid, nvme.StatusSuccess, 0, 0)
	}
}

func (pc *peerConn) onCommand(h *pdu.Header) error {
	var cmd nvme.Command
	h.Command(&cmd)
	pc.wmu.Lock()
	reused := pc.out[cmd.CID]
	pc.out[cmd.CID] = true
	pc.wmu.Unlock()
	if reused {
		return fmt.Errorf("command id %#x reused while outstanding", cmd.CID)
	}
	if cmd.Flags != nvme.PSDTSGL {
		return fmt.Errorf("command flags %#x, want PSDT SGL", cmd.Flags)
	}
	if h.DataLen > 0 && (cmd.SGL.Type != nvme.SGLInCapsule || int(cmd.SGL.Length) != h.DataLen) {
		return fmt.Errorf("in-capsule data of %d bytes with SGL %+v", h.DataLen, cmd.SGL)
	}
	if cmd.Opcode == nvme.OpcodeFabrics {
		return pc.onFabrics(&cmd, h)
	}
	if pc.qid.Load() == 0 {
		return pc.onAdmin(&cmd, h)
	}
	return pc.onIO(&cmd, h)
}

// readCapsuleData returns the in-capsule data in a scratch buffer.
func (pc *peerConn) readCapsuleData(h *pdu.Header) ([]byte, error) {
	if cap(pc.scratch) < h.DataLen {
		pc.scratch = make([]byte, h.DataLen)
	}
	b := pc.scratch[:h.DataLen]
	if h.DataLen == 0 {
		return b, nil
	}
	return b, pc.rd.ReadData(b)
}

func (pc *peerConn) onFabrics(cmd *nvme.Command, h *pdu.Header) error {
	p := pc.p
	switch cmd.FabricsType() {
	case nvme.FabricsConnect:
		return pc.onConnect(cmd, h)
	case nvme.FabricsPropertyGet:
		p.mu.Lock()
		v := p.property(cmd.CDW11)
		p.mu.Unlock()
		pc.respond(cmd.CID, nvme.StatusSuccess, uint32(v), uint32(v>>32))
	case nvme.FabricsPropertySet:
		if cmd.CDW11 == nvme.PropCC {
			p.mu.Lock()
			p.cc = cmd.CDW12
			p.mu.Unlock()
		}
		pc.respond(cmd.CID, nvme.StatusSuccess, 0, 0)
	default:
		pc.respond(cmd.CID, nvme.StatusInvalidOpcode, 0, 0)
	}
	return nil
}

func (p *peer) property(off uint32) uint64 {
	switch off {
	case nvme.PropCAP:
		return nvme.Capabilities{MQES: p.cfg.MQES, Timeout: 2, CSSNVM: true}.Encode()
	case nvme.PropVS:
		return uint64(nvme.Version(2, 0, 0))
	case nvme.PropCC:
		return uint64(p.cc)
	case nvme.PropCSTS:
		var v uint64
		if p.cc&nvme.CCEnable != 0 {
			v |= nvme.CSTSReady
		}
		if p.cc&nvme.CCShnMask != 0 {
			v |= nvme.CSTSShstComplete
		}
		return v
	}
	return 0
}

func (pc *peerConn) onConnect(cmd *nvme.Command, h *pdu.Header) error {
	b, err := pc.readCapsuleData(h)
	if err != nil || len(b) != nvme.ConnectDataSize {
		return fmt.Errorf("connect data of %d bytes: %v", len(b), err)
	}
	var cd nvme.ConnectData
	cd.Unmarshal(b)
	cc := nvme.ParseConnectCommand(cmd)
	p := pc.p
	if cd.SubNQN != testNQN && cd.SubNQN != nvme.DiscoveryNQN {
		pc.respond(cmd.CID, nvme.StatusConnectInvalidParam, 1<<16|256, 0)
		return nil
	}
	if cc.SQSize == 0 || (cc.QID > 0 && cc.SQSize > p.cfg.MQES) {
		return fmt.Errorf("connect qid %d sqsize %d (MQES %d)", cc.QID, cc.SQSize, p.cfg.MQES)
	}
	p.mu.Lock()
	if cc.QID == 0 {
		p.cntlid++
		p.kato = cc.KATO
	}
	cntlid := p.cntlid
	p.mu.Unlock()
	switch {
	case cc.QID == 0 && cd.CNTLID != nvme.DynamicCNTLID:
		return fmt.Errorf("admin connect with cntlid %#x", cd.CNTLID)
	case cc.QID > 0 && (cd.CNTLID != cntlid || cc.KATO != 0):
		return fmt.Errorf("io connect cntlid %d kato %d, want %d and 0", cd.CNTLID, cc.KATO, cntlid)
	}
	pc.qid.Store(int32(cc.QID))
	pc.dissqfc.Store(cc.CATTR&nvme.CATTRDisableSQFlowControl != 0)
	pc.respond(cmd.CID, nvme.StatusSuccess, uint32(cntlid), 0)
	return nil
}
