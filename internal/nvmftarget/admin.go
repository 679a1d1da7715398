package nvmftarget

import (
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// firmware is the Identify Controller FR field.
const firmware = "nvmfchs1"

// admin executes an admin command and completes it, except an Asynchronous
// Event Request, which completes when an event is due.
func (c *conn) admin(r *request) {
	ctl := c.ctrl
	if !ctl.ready() {
		r.fail(nvme.StatusCommandSequence)
		c.complete(r)
		return
	}
	switch r.cmd.Opcode {
	case nvme.AdminIdentify:
		c.identify(r)
	case nvme.AdminGetLogPage:
		c.getLogPage(r)
	case nvme.AdminSetFeatures:
		ctl.setFeatures(r)
	case nvme.AdminGetFeatures:
		ctl.getFeatures(r)
	case nvme.AdminKeepAlive:
		ctl.keepAlive()
	case nvme.AdminAbort:
		r.dw0 = 1 // command not aborted: commands here finish promptly
	case nvme.AdminAsyncEventReq:
		ctl.postAER(r)
		return
	default:
		r.fail(nvme.StatusInvalidOpcode.WithDNR())
	}
	c.complete(r)
}

// identify answers Identify for the CNS values hosts use.
func (c *conn) identify(r *request) {
	if len(r.data) < nvme.IdentifySize {
		r.fail(nvme.StatusSGLLengthInvalid.WithDNR())
		return
	}
	r.data = r.data[:nvme.IdentifySize]
	s := c.ctrl.sub
	cns := uint8(r.cmd.CDW10)
	if s.discovery && cns != nvme.CNSController {
		r.fail(nvme.StatusInvalidField.WithDNR())
		return
	}
	switch cns {
	case nvme.CNSController:
		id := c.ctrl.identifyController()
		id.Marshal(r.data)
	case nvme.CNSNamespace:
		c.identifyNamespace(r)
	case nvme.CNSActiveNSList:
		if r.cmd.NSID >= 0xFFFFFFFE {
			r.fail(nvme.StatusInvalidNamespace.WithDNR())
			return
		}
		nvme.ActiveNamespaceList(r.data, s.ns.Load().ids, r.cmd.NSID)
	case nvme.CNSNSDescriptorList:
		ns := s.ns.Load().byID[r.cmd.NSID]
		if ns == nil {
			r.fail(nvme.StatusInvalidNamespace.WithDNR())
			return
		}
		ids := nvme.NamespaceIDs{NGUID: ns.nguid, UUID: ns.uuid}
		ids.Marshal(r.data)
	default:
		r.fail(nvme.StatusInvalidField.WithDNR())
	}
}

// identifyNamespace returns zeros for an allocated but inactive NSID, as
// the specification requires, and Invalid Namespace beyond NN.
func (c *conn) identifyNamespace(r *request) {
	s := c.ctrl.sub
	nsid := r.cmd.NSID
	if nsid == 0 || (nsid > s.cfg.MaxNamespaces && nsid != 0xFFFFFFFF) {
		r.fail(nvme.StatusInvalidNamespace.WithDNR())
		return
	}
	ns := s.ns.Load().byID[nsid]
	if ns == nil {
		clear(r.data)
		return
	}
	blocks := ns.bdev.NumBlocks()
	id := nvme.IdentifyNamespace{NSZE: blocks, NCAP: blocks, NUSE: blocks, NMIC: nvme.NMICShared,
		NGUID: ns.nguid, LBADS: ns.blockShift}
	if s.cfg.ANAReporting {
		id.ANAGRPID = ns.anaGroup
	}
	id.Marshal(r.data)
}

func (ctl *controller) identifyController() *nvme.IdentifyController {
	s := ctl.sub
	id := &nvme.IdentifyController{Serial: s.cfg.Serial, Model: s.cfg.Model, Firmware: firmware,
		CNTLID: ctl.id, Version: nvme.Version(1, 3, 0), SubNQN: s.cfg.NQN,
		ACL: 3, AERL: maxAERs - 1, LPA: 1 << 2, KAS: 1, MaxCmd: MaxQueueDepth,
		SGLS: 1 | 1<<20, MSDBD: 1, IOCCSZ: (64 + InCapsuleDataSize) / 16, IORCSZ: 1}
	if s.discovery {
		id.ControllerType = nvme.ControllerTypeDiscovery
		id.OAES = nvme.OAESDiscoveryLog
		return id
	}
	id.ControllerType = nvme.ControllerTypeIO
	id.MDTS = MDTS
	id.CTRATT = 1 // 128-bit host identifier
	id.CMIC = nvme.CMICMultiPort | nvme.CMICMultiCtrl
	id.OAES = nvme.OAESNSAttribute
	id.NN, id.MNAN = s.cfg.MaxNamespaces, s.cfg.MaxNamespaces
	id.ONCS = nvme.ONCSDatasetMgmt | nvme.ONCSWriteZeroes
	id.VWC = 1
	if s.cfg.ANAReporting {
		id.CMIC |= nvme.CMICANAReports
		id.OAES |= nvme.OAESANAChange
		id.ANATT = 10
		// Optimized, non-optimized, inaccessible, persistent loss and
		// change states; group IDs are non-zero.
		id.ANACAP = 0x1F | 1<<7
		id.ANAGRPMAX, id.NANAGRPID = s.cfg.MaxNamespaces, s.cfg.MaxNamespaces
	}
	return id
}

// getLogPage returns the requested window of a log page.
func (c *conn) getLogPage(r *request) {
	g := nvme.ParseGetLogPage(&r.cmd)
	s := c.ctrl.sub
	var page []byte
	switch {
	case g.LID == nvme.LogDiscovery && s.discovery:
		page = c.t.discoveryLog(c.ctrl.hostNQN).Marshal()
	case s.discovery:
		r.fail(nvme.StatusInvalidField.WithDNR())
		return
	case g.LID == nvme.LogANA && s.cfg.ANAReporting:
		page = c.ctrl.anaLog().Marshal(g.LSP&nvme.LSPReturnGroupsOnly != 0)
	case g.LID == nvme.LogError || g.LID == nvme.LogChangedNSList:
		page = make([]byte, 64) // no errors logged; changes: rescan everything
	case g.LID == nvme.LogSMART || g.LID == nvme.LogFirmwareSlot:
		page = make([]byte, 512)
	default:
		r.fail(nvme.StatusInvalidField.WithDNR())
		return
	}
	if g.Offset > uint64(len(page)) || g.Length > len(r.data) {
		r.fail(nvme.StatusInvalidField.WithDNR())
		return
	}
	r.data = r.data[:g.Length]
	clear(r.data[copy(r.data, page[g.Offset:]):])
	if !g.RAE {
		c.ctrl.logRead(g.LID)
	}
}

// anaLog builds the ANA log page as seen through this controller's port.
func (ctl *controller) anaLog() *nvme.ANALog {
	s := ctl.sub
	groups, members := s.anaGroups()
	s.mu.Lock()
	log := &nvme.ANALog{Change: s.anaChange}
	s.mu.Unlock()
	for _, g := range groups {
		log.Groups = append(log.Groups, nvme.ANAGroup{ID: g, Change: log.Change,
			State: ctl.port.state(g), NSIDs: members[g]})
	}
	return log
}

// featureSave is the Save bit (SV) of Set Features CDW10.
const featureSave = 1 << 31

// setFeatures handles the features hosts set at connect time.
func (ctl *controller) setFeatures(r *request) {
	fid := uint8(r.cmd.CDW10)
	v := r.cmd.CDW11
	if r.cmd.CDW10&featureSave != 0 {
		// Nothing here outlives the controller (Identify ONCS does not
		// offer Save), so no feature is saveable: refuse before changing
		// anything, whatever the feature, as SPDK does. Resubmitting
		// cannot succeed, hence DNR.
		r.fail(nvme.StatusFeatureNotSaveable.WithDNR())
		return
	}
	if fid == nvme.FeatureKeepAliveTimer {
		ctl.setKATO(time.Duration(v) * time.Millisecond)
		return
	}
	ctl.mu.Lock()
	defer ctl.mu.Unlock()
	switch fid {
	case nvme.FeatureNumberOfQueues:
		if ctl.hasIOQueues() {
			// The count bounds the QIDs Connect accepts: lowering it under
			// connected queues would leave queues the controller never
			// granted. The spec and SPDK refuse it once I/O queues exist.
			r.fail(nvme.StatusCommandSequence)
			return
		}
		nsqr, ncqr := v&0xFFFF, v>>16
		if nsqr == 0xFFFF || ncqr == 0xFFFF {
			r.fail(nvme.StatusInvalidField.WithDNR())
			return
		}
		n := min(max(nsqr, ncqr)+1, MaxIOQueues)
		ctl.ioQueues = uint16(n)
		r.dw0 = (n-1)<<16 | (n - 1)
	case nvme.FeatureAsyncEventConfig:
		ctl.aec = v
	case nvme.FeatureVolatileWriteCache:
		// The cache stays on: writes reach the page cache or memory.
	default:
		r.fail(nvme.StatusInvalidField.WithDNR())
	}
}

func (ctl *controller) getFeatures(r *request) {
	ctl.mu.Lock()
	defer ctl.mu.Unlock()
	switch uint8(r.cmd.CDW10) {
	case nvme.FeatureNumberOfQueues:
		r.dw0 = uint32(ctl.ioQueues-1)<<16 | uint32(ctl.ioQueues-1)
	case nvme.FeatureAsyncEventConfig:
		r.dw0 = ctl.aec
	case nvme.FeatureKeepAliveTimer:
		r.dw0 = uint32(time.Duration(ctl.kato.Load()) / time.Millisecond)
	case nvme.FeatureVolatileWriteCache:
		r.dw0 = 1
	default:
		r.fail(nvme.StatusInvalidField.WithDNR())
	}
}
