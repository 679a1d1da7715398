package nvme

import (
	"bytes"
	"reflect"
	"testing"
)

func TestCommandCompletionRoundTrip(t *testing.T) {
	cmd := Command{Opcode: IORead, Flags: PSDTSGL, CID: 0xBEEF, NSID: 3, MPTR: 9,
		SGL: SGL{Length: 8192, Type: SGLTransport}, CDW13: 5, CDW15: 6}
	cmd.SetLBARange(1<<33+5, 16)
	var b [CommandSize]byte
	cmd.Marshal(b[:])
	var got Command
	got.Unmarshal(b[:])
	if got != cmd || got.SLBA() != 1<<33+5 || got.NLB() != 16 {
		t.Fatalf("got %+v", got)
	}
	cpl := Completion{DW0: 1, DW1: 2, SQHD: 3, SQID: 4, CID: 5, Status: StatusANAInaccessible.WithDNR()}
	var cb [CompletionSize]byte
	cpl.Marshal(cb[:])
	var gotc Completion
	gotc.Unmarshal(cb[:])
	if gotc != cpl || !gotc.Status.DNR() || !gotc.Status.IsPathError() || gotc.Status.Code() != StatusANAInaccessible {
		t.Fatalf("got %+v", gotc)
	}
}

func TestStatusString(t *testing.T) {
	tests := []struct {
		s    Status
		want string
	}{
		{StatusSuccess, "success (sct 0 sc 0x00)"},
		{StatusLBAOutOfRange.WithDNR(), "LBA out of range (sct 0 sc 0x80, dnr)"},
		{MakeStatus(7, 0x42), "status (sct 7 sc 0x42)"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("%#x: got %q want %q", uint16(tt.s), got, tt.want)
		}
	}
}

func TestIdentifyRoundTrip(t *testing.T) {
	c := IdentifyController{VID: 1, Serial: "SN1", Model: "nvmf-chaos", Firmware: "0.1", CMIC: CMICANAReports,
		MDTS: 5, CNTLID: 7, Version: Version(1, 4, 0), KAS: 10, MaxCmd: 128, NN: 32, SGLS: 5,
		SubNQN: "nqn.2016-06.io.spdk:cnode1", IOCCSZ: 260, IORCSZ: 1, ControllerType: ControllerTypeIO, ANAGRPMAX: 32}
	b := make([]byte, IdentifySize)
	c.Marshal(b)
	var got IdentifyController
	got.Unmarshal(b)
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("got %+v\nwant %+v", got, c)
	}
	if got.MaxTransfer() != 131072 || got.InCapsuleDataSize() != 4096 {
		t.Fatalf("limits: %d %d", got.MaxTransfer(), got.InCapsuleDataSize())
	}
	ns := IdentifyNamespace{NSZE: 100, NCAP: 100, NUSE: 100, NMIC: NMICShared, ANAGRPID: 1, LBADS: 12, NGUID: [16]byte{1, 2}}
	ns.Marshal(b)
	var gotn IdentifyNamespace
	gotn.Unmarshal(b)
	if gotn != ns || gotn.BlockSize() != 4096 {
		t.Fatalf("ns got %+v", gotn)
	}
	ids := NamespaceIDs{NGUID: [16]byte{9}, UUID: [16]byte{8}}
	ids.Marshal(b)
	var gotIDs NamespaceIDs
	gotIDs.Unmarshal(b)
	if gotIDs != ids {
		t.Fatalf("ids got %+v", gotIDs)
	}
	ActiveNamespaceList(b, []uint32{1, 2, 5}, 1)
	if got := ParseNamespaceList(b); !reflect.DeepEqual(got, []uint32{2, 5}) {
		t.Fatalf("ns list %v", got)
	}
}

func TestConnectData(t *testing.T) {
	d := ConnectData{HostID: [16]byte{1}, CNTLID: DynamicCNTLID, SubNQN: "nqn.a", HostNQN: "nqn.b"}
	b := make([]byte, ConnectDataSize)
	if err := d.Marshal(b); err != nil {
		t.Fatal(err)
	}
	var got ConnectData
	got.Unmarshal(b)
	if got != d {
		t.Fatalf("got %+v", got)
	}
	long := ConnectData{SubNQN: string(bytes.Repeat([]byte{'a'}, 224))}
	if err := long.Marshal(b); err == nil {
		t.Fatal("NQN of 224 bytes accepted")
	}
	cc := ConnectCommand{QID: 3, SQSize: 127, CATTR: CATTRDisableSQFlowControl, KATO: 5000}
	var cmd Command
	cc.Apply(&cmd)
	if ParseConnectCommand(&cmd) != cc || cmd.FabricsType() != FabricsConnect {
		t.Fatalf("connect command %+v", ParseConnectCommand(&cmd))
	}
}

func TestLogPages(t *testing.T) {
	ana := ANALog{Change: 4, Groups: []ANAGroup{{ID: 1, Change: 4, State: ANAOptimized, NSIDs: []uint32{1, 2}}, {ID: 2, State: ANAInaccessible, NSIDs: []uint32{3}}}}
	got, err := UnmarshalANALog(ana.Marshal(false))
	if err != nil || !reflect.DeepEqual(*got, ana) {
		t.Fatalf("ana got %+v err %v", got, err)
	}
	rgo, err := UnmarshalANALog(ana.Marshal(true))
	if err != nil || len(rgo.Groups) != 2 || rgo.Groups[0].NSIDs != nil {
		t.Fatalf("rgo got %+v err %v", rgo, err)
	}
	if _, err := UnmarshalANALog(ana.Marshal(false)[:40]); err == nil {
		t.Fatal("truncated ANA log accepted")
	}
	disc := DiscoveryLog{GenCtr: 2, Entries: []DiscoveryEntry{{TransportType: TransportTCP, AddressFamily: AddressFamilyIPv4,
		Subtype: SubtypeNVMe, CNTLID: DynamicCNTLID, TRSVCID: "4420", SubNQN: "nqn.x", TRADDR: "127.0.0.1"}}}
	gotd, n, err := UnmarshalDiscoveryLog(disc.Marshal())
	if err != nil || n != 1 || !reflect.DeepEqual(*gotd, disc) {
		t.Fatalf("discovery got %+v n %d err %v", gotd, n, err)
	}
	g := GetLogPage{LID: LogANA, LSP: 1, RAE: true, Length: 8192, Offset: 4096}
	var cmd Command
	g.Apply(&cmd)
	if ParseGetLogPage(&cmd) != g {
		t.Fatalf("get log page %+v", ParseGetLogPage(&cmd))
	}
	for _, s := range []string{"optimized", "non_optimized", "non-optimized", "inaccessible"} {
		st, err := ParseANAState(s)
		if err != nil || !(st.String() == s || st == ANANonOptimized) {
			t.Errorf("%s: %v %v", s, st, err)
		}
	}
	if _, err := ParseANAState("fast"); err == nil {
		t.Error("bad ANA state accepted")
	}
}
