package nvmftarget

import (
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// Byte offsets a Connect Invalid Parameters response points at (IPO), in
// the command (IATTR 0) or in the connect data (IATTR 1).
const (
	ipoQID     = 42
	ipoSQSize  = 44
	ipoHostID  = 0
	ipoCNTLID  = 16
	ipoSubNQN  = 256
	ipoHostNQN = 512
)

// fabrics executes a fabrics command (Connect, Property Get/Set, Disconnect).
func (c *conn) fabrics(r *request) {
	switch r.cmd.FabricsType() {
	case nvme.FabricsConnect:
		c.connect(r)
		return
	case nvme.FabricsPropertyGet, nvme.FabricsPropertySet:
		if c.qid != 0 {
			r.fail(nvme.StatusInvalidField.WithDNR())
			break
		}
		c.ctrl.property(r, r.cmd.FabricsType() == nvme.FabricsPropertySet)
	case nvme.FabricsDisconnect:
		// The response goes out before the reader stops and the final
		// flush closes the queue.
		c.disconnecting.Store(true)
	default:
		r.fail(nvme.StatusInvalidOpcode.WithDNR())
	}
	c.complete(r)
}

// connect associates this queue with a new controller (QID 0) or with the
// existing controller the connect data names (I/O queues).
func (c *conn) connect(r *request) {
	defer c.complete(r)
	if c.ctrl != nil {
		r.fail(nvme.StatusCommandSequence)
		return
	}
	cc := nvme.ParseConnectCommand(&r.cmd)
	if len(r.data) != nvme.ConnectDataSize {
		r.fail(nvme.StatusSGLLengthInvalid.WithDNR())
		return
	}
	var d nvme.ConnectData
	d.Unmarshal(r.data)
	switch {
	case cc.RecFmt != 0:
		r.fail(nvme.StatusIncompatibleFormat.WithDNR())
		return
	case cc.SQSize == 0 || int(cc.SQSize) >= MaxQueueDepth:
		invalidConnectParam(r, false, ipoSQSize)
		return
	}
	c.t.mu.Lock()
	s := c.t.subsystems[d.SubNQN]
	c.t.mu.Unlock()
	if s == nil {
		invalidConnectParam(r, true, ipoSubNQN)
		return
	}
	if !s.discovery && !s.hostAllowed(d.HostNQN) {
		r.fail(nvme.StatusInvalidHost.WithDNR())
		return
	}
	p := s.port(c.ln.addr)
	if p == nil {
		// The subsystem is not exported through this listener.
		invalidConnectParam(r, true, ipoSubNQN)
		return
	}
	if cc.QID == 0 {
		c.connectAdmin(r, s, p, cc, &d)
	} else {
		c.connectIO(r, s, cc, &d)
	}
}

func (c *conn) connectAdmin(r *request, s *Subsystem, p *port, cc nvme.ConnectCommand, d *nvme.ConnectData) {
	if d.CNTLID != nvme.DynamicCNTLID {
		invalidConnectParam(r, true, ipoCNTLID)
		return
	}
	kato := time.Duration(cc.KATO) * time.Millisecond
	if kato > 0 && kato < c.t.opts.MinKATO {
		kato = c.t.opts.MinKATO
	}
	ctl := newController(s, p, d, kato)
	if !s.addController(ctl) {
		r.fail(nvme.StatusControllerBusy)
		return
	}
	c.attach(ctl, p, cc)
	if !ctl.addQueue(c) {
		r.fail(nvme.StatusControllerBusy)
		return
	}
	ctl.startKeepAlive()
	r.dw0 = uint32(ctl.id)
	c.log.Info("controller created", "subsystem", s.cfg.NQN, "host", d.HostNQN, "kato", kato)
}

func (c *conn) connectIO(r *request, s *Subsystem, cc nvme.ConnectCommand, d *nvme.ConnectData) {
	if s.discovery {
		invalidConnectParam(r, false, ipoQID)
		return
	}
	ctl := s.controller(d.CNTLID)
	switch {
	case ctl == nil:
		invalidConnectParam(r, true, ipoCNTLID)
		return
	case ctl.hostNQN != d.HostNQN:
		invalidConnectParam(r, true, ipoHostNQN)
		return
	case ctl.hostID != d.HostID:
		invalidConnectParam(r, true, ipoHostID)
		return
	case ctl.port.ln != c.ln:
		// A controller's queues all come through one port.
		invalidConnectParam(r, true, ipoCNTLID)
		return
	case !ctl.ready():
		r.fail(nvme.StatusCommandSequence)
		return
	}
	ctl.mu.Lock()
	granted := ctl.ioQueues
	ctl.mu.Unlock()
	if cc.QID > granted {
		invalidConnectParam(r, false, ipoQID)
		return
	}
	c.attach(ctl, ctl.port, cc)
	if !ctl.addQueue(c) {
		c.ctrl = nil
		invalidConnectParam(r, false, ipoQID)
		return
	}
	r.dw0 = uint32(ctl.id)
}

// attach records the queue's association; the reader goroutine owns these
// fields and they are set before the queue is visible to the controller.
func (c *conn) attach(ctl *controller, p *port, cc nvme.ConnectCommand) {
	c.ctrl, c.port, c.qid = ctl, p, cc.QID
	c.sqsize = cc.SQSize + 1
	c.dissqfc = cc.CATTR&nvme.CATTRDisableSQFlowControl != 0
	c.log = c.log.With("cntlid", ctl.id, "qid", cc.QID)
}

// invalidConnectParam fails a Connect with the offending field's offset.
func invalidConnectParam(r *request, inData bool, offset uint16) {
	r.fail(nvme.StatusConnectInvalidParam.WithDNR())
	r.dw0 = uint32(offset)
	if inData {
		r.dw0 |= 1 << 16
	}
}
