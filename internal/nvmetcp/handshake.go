package nvmetcp

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp/pdu"
	"github.com/nvmf-chaos/nvmf-chaos/internal/spinread"
)

// minMaxH2CData is the smallest MAXH2CDATA the transport allows.
const minMaxH2CData = 4096

// handshake sends ICReq (HPDA 0, MAXR2T 0: one R2T at a time, as the SPDK
// and Linux hosts do) and validates the ICResp. It returns the negotiated
// parameters and the reader to keep using on conn, which polls the socket
// for up to spin before it parks (spin <= 0: never).
func handshake(ctx context.Context, conn net.Conn, hd, dd bool, spin time.Duration) (pdu.IC, *pdu.Reader, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	ic, rd, err := exchangeIC(conn, hd, dd, spin)
	if !stop() || ctx.Err() != nil {
		return ic, nil, fmt.Errorf("icreq: %w", context.Cause(ctx))
	}
	if err != nil {
		return ic, nil, err
	}
	if err := conn.SetDeadline(time.Time{}); err != nil {
		return ic, nil, err
	}
	return ic, rd, nil
}

func exchangeIC(conn net.Conn, hd, dd bool, spin time.Duration) (pdu.IC, *pdu.Reader, error) {
	w := pdu.NewWriter(conn)
	w.ICReq(pdu.IC{HeaderDigest: hd, DataDigest: dd})
	if err := w.Flush(); err != nil {
		return pdu.IC{}, nil, fmt.Errorf("send icreq: %w", err)
	}
	rd := pdu.NewReader(spinread.New(conn, spin), pdu.RoleHost, 0)
	h, err := rd.Next()
	if err != nil {
		return pdu.IC{}, nil, fmt.Errorf("read icresp: %w", err)
	}
	switch h.Type() {
	case pdu.TypeICResp:
	case pdu.TypeC2HTermReq:
		tr := h.TermReq()
		return pdu.IC{}, nil, &TermReqError{FES: tr.FES, FEI: tr.FEI}
	default:
		return pdu.IC{}, nil, protocolError("%v instead of ICResp", h.Type())
	}
	ic := h.IC()
	return ic, rd, checkICResp(ic, hd, dd)
}

// checkICResp accepts what the spec allows: digests the host asked for (a
// controller may decline one), CPDA up to 31 (padding is honoured), and
// MAXH2CDATA of at least 4 KiB in whole dwords.
func checkICResp(ic pdu.IC, hd, dd bool) error {
	switch {
	case ic.PFV != 0:
		return protocolError("ICResp PFV %d, want 0", ic.PFV)
	case ic.PDA > 31:
		return protocolError("ICResp CPDA %d beyond 31", ic.PDA)
	case ic.MaxData < minMaxH2CData || ic.MaxData%4 != 0:
		return protocolError("ICResp MAXH2CDATA %d (want >= %d, a multiple of 4)", ic.MaxData, minMaxH2CData)
	case ic.HeaderDigest && !hd, ic.DataDigest && !dd:
		return protocolError("ICResp enables digests (header %v, data %v) the host did not request (header %v, data %v)",
			ic.HeaderDigest, ic.DataDigest, hd, dd)
	}
	return nil
}
