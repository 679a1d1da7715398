package nvmetcp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

// adminRequest returns an internal request for an admin or fabrics command.
func adminRequest(opcode uint8, dir direction, buf []byte) *Request {
	r := &Request{dir: dir, Buf: buf}
	r.cmd.Opcode, r.cmd.Flags = opcode, nvme.PSDTSGL
	return r
}

// exec submits an internal request on q and waits for it or ctx. A full
// queue is retried: admin commands come from few goroutines and are rare.
// On ctx expiry the command stays outstanding (its buffer is not reused).
func (c *Controller) exec(ctx context.Context, q *Queue, r *Request) error {
	done := make(chan struct{}, 1)
	r.Done = func(*Request) { done <- struct{}{} }
	for {
		err := q.submit(r)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrQueueFull) {
			return err
		}
		select {
		case <-time.After(time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := q.await(ctx, done); err != nil {
		return err
	}
	return r.Err
}

func (c *Controller) propGet(ctx context.Context, off uint32, size int) (uint64, error) {
	r := adminRequest(nvme.OpcodeFabrics, dirNone, nil)
	r.cmd = nvme.PropertyCommand(false, off, size, 0)
	r.cmd.Flags = nvme.PSDTSGL
	if err := c.exec(ctx, c.admin, r); err != nil {
		return 0, fmt.Errorf("property get %#x: %w", off, err)
	}
	return uint64(r.dw1)<<32 | uint64(r.DW0), nil
}

func (c *Controller) propSet(ctx context.Context, off uint32, size int, v uint64) error {
	r := adminRequest(nvme.OpcodeFabrics, dirNone, nil)
	r.cmd = nvme.PropertyCommand(true, off, size, v)
	r.cmd.Flags = nvme.PSDTSGL
	if err := c.exec(ctx, c.admin, r); err != nil {
		return fmt.Errorf("property set %#x: %w", off, err)
	}
	return nil
}

// enable reads CAP, disables a controller left enabled (a reconnect), then
// sets CC.EN with 64-byte SQEs, 16-byte CQEs, 4 KiB pages and the NVM
// command set, and waits for CSTS.RDY within CAP.TO.
func (c *Controller) enable(ctx context.Context) error {
	capv, err := c.propGet(ctx, nvme.PropCAP, 8)
	if err != nil {
		return err
	}
	c.caps = nvme.DecodeCapabilities(capv)
	cc, err := c.propGet(ctx, nvme.PropCC, 4)
	if err != nil {
		return err
	}
	if cc&nvme.CCEnable != 0 {
		if err := c.propSet(ctx, nvme.PropCC, 4, cc&^nvme.CCEnable); err != nil {
			return err
		}
		if err := c.waitReady(ctx, false); err != nil {
			return err
		}
	}
	if err := c.propSet(ctx, nvme.PropCC, 4, nvme.CCEnable|nvme.CCIOSQES|nvme.CCIOCQES); err != nil {
		return err
	}
	return c.waitReady(ctx, true)
}

// waitReady polls CSTS until RDY equals ready, for at most CAP.TO.
func (c *Controller) waitReady(ctx context.Context, ready bool) error {
	limit := time.Duration(max(c.caps.Timeout, 1)) * 500 * time.Millisecond
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		csts, err := c.propGet(ctx, nvme.PropCSTS, 4)
		if err != nil {
			return fmt.Errorf("wait for CSTS.RDY=%v (CAP.TO %v): %w", ready, limit, err)
		}
		if csts&nvme.CSTSFatal != 0 {
			return fmt.Errorf("controller fatal status (CSTS %#x)", csts)
		}
		if (csts&nvme.CSTSReady != 0) == ready {
			return nil
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fmt.Errorf("CSTS.RDY not %v within CAP.TO %v: %w", ready, limit, ctx.Err())
		}
	}
}

// shutdown asks for a normal shutdown and waits for CSTS.SHST complete.
func (c *Controller) shutdown(ctx context.Context) error {
	if err := c.propSet(ctx, nvme.PropCC, 4, nvme.CCEnable|nvme.CCIOSQES|nvme.CCIOCQES|nvme.CCShnNormal); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		csts, err := c.propGet(ctx, nvme.PropCSTS, 4)
		if err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
		if csts&nvme.CSTSShstMask == nvme.CSTSShstComplete {
			return nil
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fmt.Errorf("shutdown not complete: %w", ctx.Err())
		}
	}
}

// identify reads an Identify structure (CNS cns) for nsid.
func (c *Controller) identify(ctx context.Context, cns uint8, nsid uint32) ([]byte, error) {
	buf := make([]byte, nvme.IdentifySize)
	r := adminRequest(nvme.AdminIdentify, dirC2H, buf)
	r.cmd.NSID, r.cmd.CDW10 = nsid, uint32(cns)
	if err := c.exec(ctx, c.admin, r); err != nil {
		return nil, fmt.Errorf("identify cns %d nsid %d: %w", cns, nsid, err)
	}
	return buf, nil
}

func (c *Controller) identifyController(ctx context.Context) (*nvme.IdentifyController, error) {
	b, err := c.identify(ctx, nvme.CNSController, 0)
	if err != nil {
		return nil, err
	}
	var id nvme.IdentifyController
	id.Unmarshal(b)
	return &id, nil
}

// IdentifyNamespace reads Identify Namespace for nsid (and caches its block
// size for ReadAt/WriteAt). An inactive NSID gives all-zero data.
func (c *Controller) IdentifyNamespace(ctx context.Context, nsid uint32) (*nvme.IdentifyNamespace, error) {
	b, err := c.identify(ctx, nvme.CNSNamespace, nsid)
	if err != nil {
		return nil, err
	}
	ns := new(nvme.IdentifyNamespace)
	ns.Unmarshal(b)
	c.nsMu.Lock()
	c.ns[nsid] = ns
	c.nsMu.Unlock()
	return ns, nil
}

// Namespaces lists the active namespace IDs, ascending.
func (c *Controller) Namespaces(ctx context.Context) ([]uint32, error) {
	var all []uint32
	after := uint32(0)
	for range 1 << 12 { // 1024 IDs per page: bounded even for a lying target
		b, err := c.identify(ctx, nvme.CNSActiveNSList, after)
		if err != nil {
			return nil, err
		}
		ids := nvme.ParseNamespaceList(b)
		for _, id := range ids {
			if id <= after {
				return nil, fmt.Errorf("active namespace list not ascending: %d after %d", id, after)
			}
			after = id
		}
		all = append(all, ids...)
		if len(ids) < nvme.IdentifySize/4 {
			return all, nil
		}
	}
	return all, nil
}

// features sends Set Features (set) or Get Features for fid and returns DW0.
func (c *Controller) features(ctx context.Context, set bool, fid uint8, cdw11 uint32) (uint32, error) {
	op := uint8(nvme.AdminGetFeatures)
	if set {
		op = nvme.AdminSetFeatures
	}
	r := adminRequest(op, dirNone, nil)
	r.cmd.CDW10, r.cmd.CDW11 = uint32(fid), cdw11
	if err := c.exec(ctx, c.admin, r); err != nil {
		return 0, fmt.Errorf("features %#x: %w", fid, err)
	}
	return r.DW0, nil
}

// setNumQueues requests n I/O queue pairs and returns how many to use.
func (c *Controller) setNumQueues(ctx context.Context, n int) (int, error) {
	v := uint32(n-1) | uint32(n-1)<<16
	dw0, err := c.features(ctx, true, nvme.FeatureNumberOfQueues, v)
	if err != nil {
		return 0, fmt.Errorf("set number of queues: %w", err)
	}
	granted := min(n, int(dw0&0xFFFF)+1, int(dw0>>16)+1)
	return granted, nil
}

// readKATO records the effective keep-alive timeout; SPDK, for one, raises
// small values. Failure is tolerated: the requested value then stands.
func (c *Controller) readKATO(ctx context.Context) {
	if c.cfg.KATO <= 0 {
		return
	}
	c.kato = c.cfg.KATO
	if dw0, err := c.features(ctx, false, nvme.FeatureKeepAliveTimer, 0); err == nil && dw0 > 0 {
		c.kato = time.Duration(dw0) * time.Millisecond
	}
}

// GetLogPage reads length bytes (a multiple of 4) of log page lid from
// offset, in transfers no larger than the controller's MDTS.
func (c *Controller) GetLogPage(ctx context.Context, lid, lsp uint8, nsid uint32, offset uint64, length int) ([]byte, error) {
	if length <= 0 || length%4 != 0 || offset%4 != 0 {
		return nil, fmt.Errorf("%w: log page read of %d bytes at %d", ErrInvalidRequest, length, offset)
	}
	chunk := 64 << 10
	if mt := c.ident.MaxTransfer(); mt > 0 {
		chunk = min(chunk, mt)
	}
	buf := make([]byte, length)
	for off := 0; off < length; off += chunk {
		n := min(chunk, length-off)
		r := adminRequest(nvme.AdminGetLogPage, dirC2H, buf[off:off+n])
		r.cmd.NSID = nsid
		nvme.GetLogPage{LID: lid, LSP: lsp, Length: n, Offset: offset + uint64(off)}.Apply(&r.cmd)
		if err := c.exec(ctx, c.admin, r); err != nil {
			return nil, fmt.Errorf("get log page %#x offset %d: %w", lid, offset+uint64(off), err)
		}
	}
	return buf, nil
}

// ANALog reads the ANA log page, sized from Identify as the Linux host does.
func (c *Controller) ANALog(ctx context.Context) (*nvme.ANALog, error) {
	groups := max(int(c.ident.NANAGRPID), 1)
	nsids := max(int(c.ident.NN), int(c.ident.MNAN), 1)
	size := min(16+32*groups+4*nsids, 1<<20)
	b, err := c.GetLogPage(ctx, nvme.LogANA, 0, 0xFFFFFFFF, 0, size)
	if err != nil {
		return nil, err
	}
	l, err := nvme.UnmarshalANALog(b)
	if err != nil {
		return nil, fmt.Errorf("ana log: %w", err)
	}
	return l, nil
}
