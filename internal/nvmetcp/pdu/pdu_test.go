package pdu

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
)

type digests struct{ hd, dd bool }

var digestCases = []digests{{false, false}, {true, false}, {false, true}, {true, true}}

func pipe(d digests, role Role, align uint8) (*Writer, *bytes.Buffer, func() *Reader) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.SetDigests(d.hd, d.dd)
	w.SetDataAlignment(align)
	return w, &buf, func() *Reader {
		r := NewReader(&buf, role, 0)
		r.SetDigests(d.hd, d.dd)
		return r
	}
}

func TestCapsuleCmdRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, d := range digestCases {
		for _, align := range []uint8{0, 3} {
			for _, n := range []int{0, 1, 511, 512, 4096, 8192} {
				w, _, reader := pipe(d, RoleController, align)
				cmd := nvme.Command{Opcode: nvme.IOWrite, Flags: nvme.PSDTSGL, CID: uint16(n), NSID: 1}
				cmd.SetLBARange(uint64(n)*7, 8)
				data := make([]byte, n)
				for i := range data {
					data[i] = byte(rng.Uint32())
				}
				w.CapsuleCmd(&cmd, data)
				w.CapsuleCmd(&cmd, nil) // a second PDU in the same flush
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
				r := reader()
				for i, want := range [][]byte{data, nil} {
					h, err := r.Next()
					if err != nil {
						t.Fatalf("%+v align %d n %d pdu %d: %v", d, align, n, i, err)
					}
					var got nvme.Command
					h.Command(&got)
					if got != cmd {
						t.Fatalf("command: got %+v want %+v", got, cmd)
					}
					if h.DataLen != len(want) {
						t.Fatalf("DataLen %d want %d", h.DataLen, len(want))
					}
					if align > 0 && len(want) > 0 && h.PDO()%16 != 0 {
						t.Fatalf("PDO %d not aligned to 16", h.PDO())
					}
					got2 := make([]byte, h.DataLen)
					if h.DataLen > 0 {
						if err := r.ReadData(got2); err != nil {
							t.Fatal(err)
						}
					}
					if !bytes.Equal(got2, want) {
						t.Fatalf("data mismatch")
					}
				}
				if _, err := r.Next(); err != io.EOF {
					t.Fatalf("want EOF after last PDU, got %v", err)
				}
			}
		}
	}
}

func TestControllerPDUsRoundTrip(t *testing.T) {
	for _, d := range digestCases {
		w, _, reader := pipe(d, RoleHost, 0)
		cpl := nvme.Completion{DW0: 7, SQHD: 3, SQID: 1, CID: 9, Status: nvme.StatusLBAOutOfRange.WithDNR()}
		w.CapsuleResp(&cpl)
		w.R2T(DataHeader{CCCID: 4, TTag: 2, Offset: 4096, Length: 8192})
		payload := bytes.Repeat([]byte{0xAB}, 9000)
		w.Data(TypeC2HData, DataHeader{CCCID: 5, Offset: 100}, FlagLast|FlagSuccess, payload)
		w.ICResp(IC{PDA: 0, HeaderDigest: d.hd, DataDigest: d.dd, MaxData: 131072})
		w.TermReq(TypeC2HTermReq, FESInvalidHeaderField, 2, bytes.Repeat([]byte{1}, 200))
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		r := reader()
		h := mustNext(t, r, TypeCapsuleResp)
		var got nvme.Completion
		h.Completion(&got)
		if got != cpl {
			t.Fatalf("completion: got %+v want %+v", got, cpl)
		}
		h = mustNext(t, r, TypeR2T)
		if dh := h.Data(); dh != (DataHeader{CCCID: 4, TTag: 2, Offset: 4096, Length: 8192}) {
			t.Fatalf("r2t %+v", dh)
		}
		h = mustNext(t, r, TypeC2HData)
		if dh := h.Data(); dh.CCCID != 5 || dh.Offset != 100 || int(dh.Length) != len(payload) || h.Flags()&FlagSuccess == 0 {
			t.Fatalf("c2h %+v flags %#x", dh, h.Flags())
		}
		buf := make([]byte, h.DataLen)
		if err := r.ReadData(buf); err != nil || !bytes.Equal(buf, payload) {
			t.Fatalf("c2h data: %v", err)
		}
		h = mustNext(t, r, TypeICResp)
		if ic := h.IC(); ic.MaxData != 131072 || ic.HeaderDigest != d.hd || ic.DataDigest != d.dd {
			t.Fatalf("icresp %+v", ic)
		}
		h = mustNext(t, r, TypeC2HTermReq)
		if tr := h.TermReq(); tr.FES != FESInvalidHeaderField || tr.FEI != 2 || h.DataLen != MaxTermReqData {
			t.Fatalf("termreq %+v datalen %d", tr, h.DataLen)
		}
	}
}

func mustNext(t *testing.T, r *Reader, want Type) *Header {
	t.Helper()
	h, err := r.Next()
	if err != nil {
		t.Fatalf("reading %v: %v", want, err)
	}
	if h.Type() != want {
		t.Fatalf("got %v want %v", h.Type(), want)
	}
	return h
}

// TestMalformed checks that each malformation is reported as a protocol
// error with the termination-request fields a target must send back.
func TestMalformed(t *testing.T) {
	valid := func() []byte {
		var buf bytes.Buffer
		w := NewWriter(&buf)
		w.CapsuleCmd(&nvme.Command{Opcode: nvme.IOWrite}, make([]byte, 600))
		_ = w.Flush()
		return buf.Bytes()
	}
	tests := []struct {
		name    string
		mutate  func(b []byte)
		role    Role
		fes     uint16
		fei     uint32
		digests digests
	}{
		{"wrong direction", func(b []byte) {}, RoleHost, FESInvalidHeaderField, 0, digests{}},
		{"unknown type", func(b []byte) { b[0] = 0x08 }, RoleController, FESInvalidHeaderField, 0, digests{}},
		{"bad hlen", func(b []byte) { b[2] = 70 }, RoleController, FESInvalidHeaderField, 2, digests{}},
		{"pdo past plen", func(b []byte) { b[3] = 255; le.PutUint32(b[4:], 100) }, RoleController, FESInvalidHeaderField, 3, digests{}},
		{"plen below hlen", func(b []byte) { le.PutUint32(b[4:], 10) }, RoleController, FESInvalidHeaderField, 4, digests{}},
		{"huge plen", func(b []byte) { le.PutUint32(b[4:], 0xFFFFFFF0) }, RoleController, FESDataLimitExceeded, 4, digests{}},
		{"missing header digest", func(b []byte) {}, RoleController, FESInvalidHeaderField, 1, digests{hd: true}},
		{"missing data digest", func(b []byte) {}, RoleController, FESInvalidHeaderField, 1, digests{dd: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := valid()
			tt.mutate(b)
			r := NewReader(bytes.NewReader(b), tt.role, 0)
			r.SetDigests(tt.digests.hd, tt.digests.dd)
			_, err := r.Next()
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("want ProtocolError, got %v", err)
			}
			if pe.FES != tt.fes || pe.FEI != tt.fei {
				t.Fatalf("got fes %d fei %d (%s), want fes %d fei %d", pe.FES, pe.FEI, pe.Reason, tt.fes, tt.fei)
			}
			if len(pe.Header) < CommonHeaderLen {
				t.Fatalf("offending header not kept: %d bytes", len(pe.Header))
			}
		})
	}
}

func TestDigestMismatch(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.SetDigests(true, true)
	w.CapsuleCmd(&nvme.Command{Opcode: nvme.IOWrite}, make([]byte, 1024))
	_ = w.Flush()
	b := buf.Bytes()

	hdr := append([]byte(nil), b...)
	hdr[20] ^= 1 // inside the SQE: header digest must catch it
	r := NewReader(bytes.NewReader(hdr), RoleController, 0)
	r.SetDigests(true, true)
	var pe *ProtocolError
	if _, err := r.Next(); !errors.As(err, &pe) || pe.FES != FESHeaderDigestError {
		t.Fatalf("header corruption: got %v", err)
	}

	data := append([]byte(nil), b...)
	data[len(data)-10] ^= 1 // inside the data
	r = NewReader(bytes.NewReader(data), RoleController, 0)
	r.SetDigests(true, true)
	h, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.ReadData(make([]byte, h.DataLen)); !errors.Is(err, ErrDataDigest) {
		t.Fatalf("data corruption: got %v", err)
	}
}

func TestTruncatedStream(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.CapsuleCmd(&nvme.Command{}, make([]byte, 100))
	_ = w.Flush()
	full := buf.Bytes()
	for cut := 1; cut < len(full); cut++ {
		r := NewReader(bytes.NewReader(full[:cut]), RoleController, 0)
		h, err := r.Next()
		if err == nil {
			err = r.ReadData(make([]byte, h.DataLen))
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("cut at %d: want unexpected EOF, got %v", cut, err)
		}
	}
}

func FuzzReader(f *testing.F) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.CapsuleCmd(&nvme.Command{Opcode: 1}, make([]byte, 64))
	w.Data(TypeH2CData, DataHeader{CCCID: 1}, FlagLast, make([]byte, 16))
	w.ICReq(IC{})
	w.TermReq(TypeH2CTermReq, 1, 2, make([]byte, 24))
	_ = w.Flush()
	f.Add(buf.Bytes(), false, false, false)
	f.Add(buf.Bytes(), true, true, true)
	f.Fuzz(func(t *testing.T, b []byte, hd, dd, host bool) {
		role := RoleController
		if host {
			role = RoleHost
		}
		r := NewReader(bytes.NewReader(b), role, 0)
		r.SetDigests(hd, dd)
		r.SetMaxData(1 << 16)
		for range 64 {
			h, err := r.Next()
			if err != nil {
				return
			}
			if h.DataLen > 1<<16 {
				t.Fatalf("DataLen %d beyond limit", h.DataLen)
			}
			if h.DataLen > 0 && r.ReadData(make([]byte, h.DataLen)) != nil {
				return
			}
		}
	})
}

func BenchmarkWriterReadData(b *testing.B) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.SetDigests(false, false)
	data := make([]byte, 4096)
	dst := make([]byte, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		w.Data(TypeC2HData, DataHeader{CCCID: 1}, FlagLast|FlagSuccess, data)
		_ = w.Flush()
		r := NewReader(&buf, RoleHost, 0)
		if _, err := r.Next(); err != nil {
			b.Fatal(err)
		}
		_ = r.ReadData(dst)
	}
}

func TestWriterReset(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.CapsuleCmd(&nvme.Command{Opcode: 1}, make([]byte, 4096))
	w.Reset()
	if w.Buffered() != 0 {
		t.Fatalf("Buffered %d after Reset", w.Buffered())
	}
	w.ICReq(IC{})
	if err := w.Flush(); err != nil || buf.Len() != ICLen {
		t.Fatalf("flushed %d bytes (%v), want only the ICReq", buf.Len(), err)
	}
}
