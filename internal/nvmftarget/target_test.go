package nvmftarget

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvme"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp/pdu"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/bdev"
)

const testNQN = "nqn.2016-06.io.nvmf-chaos:test"

// newTestTarget serves one subsystem with a malloc namespace of size bytes
// on a loopback port and returns the target and the bound address.
func newTestTarget(t testing.TB, size int64, ana bool, opts Options) (*Target, string) {
	t.Helper()
	m, err := bdev.NewMalloc("malloc0", size, 512, [16]byte{})
	if err != nil {
		t.Fatal(err)
	}
	tgt, _, addr := serveBdev(t, m, ana, opts)
	return tgt, addr
}

// serveBdev serves one subsystem with b as namespace 1 on a loopback port
// and returns the target, the subsystem and the bound address.
func serveBdev(t testing.TB, b bdev.Bdev, ana bool, opts Options) (*Target, *Subsystem, string) {
	t.Helper()
	tgt := New(opts)
	t.Cleanup(func() { _ = tgt.Close() })
	s, err := tgt.AddSubsystem(SubsystemConfig{NQN: testNQN, AllowAnyHost: true, ANAReporting: ana})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddNamespace(NamespaceConfig{Bdev: b}); err != nil {
		t.Fatal(err)
	}
	addr, err := tgt.AddListener(testNQN, "127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	return tgt, s, addr
}

// connected returns an admin and an I/O queue of one enabled controller.
func connected(t testing.TB, addr string, digests bool) (admin, ioq *rawHost) {
	admin = dialRaw(t, addr, digests)
	admin.connectAdmin(testNQN, 0)
	ioq = dialRaw(t, addr, digests)
	ioq.connectIO(testNQN, admin.cntlid, 1)
	return admin, ioq
}

func TestReadWriteRoundTrip(t *testing.T) {
	for _, digests := range []bool{false, true} {
		t.Run("digests="+map[bool]string{false: "off", true: "on"}[digests], func(t *testing.T) {
			_, addr := newTestTarget(t, 4<<20, false, Options{})
			_, q := connected(t, addr, digests)
			rng := rand.New(rand.NewPCG(1, 2))
			// In-capsule (<= 8 KiB) and R2T (larger) writes, each read back.
			for _, size := range []int{512, 4096, InCapsuleDataSize, 16384, MaxTransfer} {
				data := make([]byte, size)
				for i := range data {
					data[i] = byte(rng.Uint32())
				}
				slba := uint64(rng.IntN(4<<20/512 - size/512))
				q.must(rwCmd(nvme.IOWrite, 1, slba, uint32(size/512)), data, 0)
				_, got := q.must(rwCmd(nvme.IORead, 1, slba, uint32(size/512)), nil, size)
				if !bytes.Equal(got, data) {
					t.Fatalf("%d bytes at LBA %d: read differs from write", size, slba)
				}
			}
		})
	}
}

func TestIdentify(t *testing.T) {
	_, addr := newTestTarget(t, 1<<20, true, Options{})
	a := dialRaw(t, addr, false)
	a.connectAdmin(testNQN, 0)

	_, data := a.must(nvme.Command{Opcode: nvme.AdminIdentify, CDW10: nvme.CNSController}, nil, nvme.IdentifySize)
	var id nvme.IdentifyController
	id.Unmarshal(data)
	if id.SubNQN != testNQN || id.CNTLID != a.cntlid || id.InCapsuleDataSize() != InCapsuleDataSize ||
		id.MaxTransfer() != MaxTransfer || id.CMIC&nvme.CMICANAReports == 0 || id.MaxCmd != MaxQueueDepth {
		t.Fatalf("identify controller: %+v", id)
	}
	_, data = a.must(nvme.Command{Opcode: nvme.AdminIdentify, NSID: 1, CDW10: nvme.CNSNamespace}, nil, nvme.IdentifySize)
	var ns nvme.IdentifyNamespace
	ns.Unmarshal(data)
	if ns.NSZE != 2048 || ns.BlockSize() != 512 || ns.ANAGRPID != 1 || ns.NGUID == ([16]byte{}) {
		t.Fatalf("identify namespace: %+v", ns)
	}
	_, data = a.must(nvme.Command{Opcode: nvme.AdminIdentify, CDW10: nvme.CNSActiveNSList}, nil, nvme.IdentifySize)
	if got := nvme.ParseNamespaceList(data); len(got) != 1 || got[0] != 1 {
		t.Fatalf("active namespaces %v, want [1]", got)
	}
	_, data = a.must(nvme.Command{Opcode: nvme.AdminIdentify, NSID: 1, CDW10: nvme.CNSNSDescriptorList}, nil, nvme.IdentifySize)
	var ids nvme.NamespaceIDs
	ids.Unmarshal(data)
	if ids.NGUID != ns.NGUID || ids.UUID == ([16]byte{}) {
		t.Fatalf("descriptors %+v, NGUID %x", ids, ns.NGUID)
	}
	cpl, _ := a.must(nvme.Command{Opcode: nvme.AdminSetFeatures, CDW10: nvme.FeatureNumberOfQueues, CDW11: 3 | 3<<16}, nil, 0)
	if cpl.DW0 != 3|3<<16 {
		t.Fatalf("number of queues granted %#x, want 4 (0x30003)", cpl.DW0)
	}
}

// TestStatusCodes checks the statuses a real target returns for bad commands.
func TestStatusCodes(t *testing.T) {
	tgt, addr := newTestTarget(t, 1<<20, true, Options{})
	_, q := connected(t, addr, false)
	block := make([]byte, 512)
	tests := []struct {
		name  string
		setup func()
		cmd   nvme.Command
		data  []byte
		read  int
		want  nvme.Status
	}{
		{name: "LBA past the end", cmd: rwCmd(nvme.IORead, 1, 2048, 1), read: 512, want: nvme.StatusLBAOutOfRange},
		{name: "write straddling the end", cmd: rwCmd(nvme.IOWrite, 1, 2047, 2), data: make([]byte, 1024), want: nvme.StatusLBAOutOfRange},
		{name: "unknown namespace", cmd: rwCmd(nvme.IORead, 7, 0, 1), read: 512, want: nvme.StatusInvalidNamespace},
		{name: "length does not match NLB", cmd: rwCmd(nvme.IORead, 1, 0, 2), read: 512, want: nvme.StatusSGLLengthInvalid},
		{name: "unsupported opcode", cmd: nvme.Command{Opcode: 0x7E, NSID: 1}, want: nvme.StatusInvalidOpcode},
		{name: "ANA inaccessible", setup: func() { setANA(t, tgt, addr, nvme.ANAInaccessible) },
			cmd: rwCmd(nvme.IOWrite, 1, 0, 1), data: block, want: nvme.StatusANAInaccessible},
		{name: "ANA persistent loss", setup: func() { setANA(t, tgt, addr, nvme.ANAPersistentLoss) },
			cmd: rwCmd(nvme.IORead, 1, 0, 1), read: 512, want: nvme.StatusANAPersistentLoss},
		{name: "ANA transition", setup: func() { setANA(t, tgt, addr, nvme.ANAChange) },
			cmd: rwCmd(nvme.IORead, 1, 0, 1), read: 512, want: nvme.StatusANATransition},
		{name: "non-optimized serves I/O", setup: func() { setANA(t, tgt, addr, nvme.ANANonOptimized) },
			cmd: rwCmd(nvme.IORead, 1, 0, 1), read: 512, want: nvme.StatusSuccess},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			cpl, _, err := q.exec(tc.cmd, tc.data, tc.read)
			if err != nil {
				t.Fatal(err)
			}
			if cpl.Status.Code() != tc.want {
				t.Fatalf("status %v, want %v", cpl.Status, tc.want)
			}
		})
	}
}

func setANA(t *testing.T, tgt *Target, addr string, s nvme.ANAState) {
	t.Helper()
	if err := tgt.SetANAState(testNQN, addr, 0, s); err != nil {
		t.Fatal(err)
	}
}

func TestConnectRejections(t *testing.T) {
	tgt, addr := newTestTarget(t, 1<<20, false, Options{})
	if _, err := tgt.AddSubsystem(SubsystemConfig{NQN: testNQN + ":closed", Hosts: []string{"nqn.other-host"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := tgt.AddListener(testNQN+":closed", addr, 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		cmd    nvme.Command
		data   func(t *testing.T) []byte
		want   nvme.Status
		wantDW uint32
	}{
		{"unknown subsystem", connectCmd(0, 32, 0), func(t *testing.T) []byte { return connectData(t, "nqn.none", nvme.DynamicCNTLID) },
			nvme.StatusConnectInvalidParam, 1<<16 | ipoSubNQN},
		{"host not allowed", connectCmd(0, 32, 0), func(t *testing.T) []byte { return connectData(t, testNQN+":closed", nvme.DynamicCNTLID) },
			nvme.StatusInvalidHost, 0},
		{"queue too deep", connectCmd(0, 256, 0), func(t *testing.T) []byte { return connectData(t, testNQN, nvme.DynamicCNTLID) },
			nvme.StatusConnectInvalidParam, ipoSQSize},
		{"I/O queue of unknown controller", connectCmd(1, 32, 0), func(t *testing.T) []byte { return connectData(t, testNQN, 999) },
			nvme.StatusConnectInvalidParam, 1<<16 | ipoCNTLID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := dialRaw(t, addr, false)
			cpl, _, err := h.exec(tc.cmd, tc.data(t), 0)
			if err != nil {
				t.Fatal(err)
			}
			if cpl.Status.Code() != tc.want || cpl.DW0 != tc.wantDW {
				t.Fatalf("status %v dw0 %#x, want %v dw0 %#x", cpl.Status, cpl.DW0, tc.want, tc.wantDW)
			}
		})
	}
	t.Run("command before connect", func(t *testing.T) {
		h := dialRaw(t, addr, false)
		cpl, _, err := h.exec(rwCmd(nvme.IORead, 1, 0, 1), nil, 512)
		if err != nil || cpl.Status.Code() != nvme.StatusCommandSequence {
			t.Fatalf("status %v err %v, want command sequence error", cpl.Status, err)
		}
	})
}

// TestMalformedPDU: a garbage PDU ends that connection with a termination
// request, and other connections keep working.
func TestMalformedPDU(t *testing.T) {
	_, addr := newTestTarget(t, 1<<20, false, Options{})
	_, good := connected(t, addr, false)
	bad := dialRaw(t, addr, false)
	// A CapsuleCmd whose HLEN is wrong.
	garbage := []byte{byte(pdu.TypeCapsuleCmd), 0, 20, 0, 72, 0, 0, 0}
	garbage = append(garbage, make([]byte, 64)...)
	if _, err := bad.nc.Write(garbage); err != nil {
		t.Fatal(err)
	}
	hd, err := bad.r.Next()
	if err != nil || hd.Type() != pdu.TypeC2HTermReq {
		t.Fatalf("after garbage got %v, err %v; want C2HTermReq", typeOf(hd), err)
	}
	if tr := hd.TermReq(); tr.FES != pdu.FESInvalidHeaderField {
		t.Fatalf("termination FES %d, want invalid header field", tr.FES)
	}
	if !bad.waitClosed(5 * time.Second) {
		t.Fatal("target kept the connection open after a termination request")
	}
	good.must(rwCmd(nvme.IORead, 1, 0, 1), nil, 512)
}

func TestKeepAliveTimeout(t *testing.T) {
	const kato = 300 * time.Millisecond
	tgt, addr := newTestTarget(t, 1<<20, false, Options{})

	alive := dialRaw(t, addr, false)
	alive.connectAdmin(testNQN, kato)
	silent := dialRaw(t, addr, false)
	silent.connectAdmin(testNQN, kato)
	for range 12 { // 3 KATO periods of keep-alives on one controller only
		alive.must(nvme.Command{Opcode: nvme.AdminKeepAlive}, nil, 0)
		time.Sleep(kato / 4)
	}
	if !silent.waitClosed(10 * kato) {
		t.Fatal("controller without keep-alives was not torn down")
	}
	if tgt.Subsystem(testNQN).controller(silent.cntlid) != nil {
		t.Fatal("expired controller still registered")
	}
	alive.must(nvme.Command{Opcode: nvme.AdminKeepAlive}, nil, 0)
}

func TestANALogAndEvent(t *testing.T) {
	tgt, addr := newTestTarget(t, 1<<20, true, Options{})
	a := dialRaw(t, addr, false)
	a.connectAdmin(testNQN, 0)
	a.must(nvme.Command{Opcode: nvme.AdminSetFeatures, CDW10: nvme.FeatureAsyncEventConfig, CDW11: nvme.AsyncConfigANAChange}, nil, 0)

	// Post an AER without waiting for it, then change the ANA state.
	a.cid++
	aer := nvme.Command{Opcode: nvme.AdminAsyncEventReq, CID: a.cid, Flags: nvme.PSDTSGL}
	a.w.CapsuleCmd(&aer, nil)
	if err := a.w.Flush(); err != nil {
		t.Fatal(err)
	}
	setANA(t, tgt, addr, nvme.ANANonOptimized)
	hd, err := a.r.Next()
	if err != nil || hd.Type() != pdu.TypeCapsuleResp {
		t.Fatalf("AER: %v %v", typeOf(hd), err)
	}
	var cpl nvme.Completion
	hd.Completion(&cpl)
	if cpl.CID != aer.CID || cpl.DW0 != anaChangeEvent {
		t.Fatalf("AER completion %+v, want ANA change event %#x", cpl, anaChangeEvent)
	}
	var g nvme.GetLogPage = nvme.GetLogPage{LID: nvme.LogANA, Length: 4096}
	cmd := nvme.Command{Opcode: nvme.AdminGetLogPage}
	g.Apply(&cmd)
	_, page := a.must(cmd, nil, 4096)
	log, err := nvme.UnmarshalANALog(page)
	if err != nil {
		t.Fatal(err)
	}
	if len(log.Groups) != 1 || log.Groups[0].State != nvme.ANANonOptimized || log.Groups[0].NSIDs[0] != 1 || log.Change == 0 {
		t.Fatalf("ANA log %+v", log)
	}
}

func TestDiscovery(t *testing.T) {
	tgt, addr := newTestTarget(t, 1<<20, false, Options{})
	if _, err := tgt.AddListener("discovery", addr, 0); err != nil {
		t.Fatal(err)
	}
	a := dialRaw(t, addr, false)
	a.connectAdmin(nvme.DiscoveryNQN, 0)
	var g nvme.GetLogPage = nvme.GetLogPage{LID: nvme.LogDiscovery, Length: 4096}
	cmd := nvme.Command{Opcode: nvme.AdminGetLogPage}
	g.Apply(&cmd)
	_, page := a.must(cmd, nil, 4096)
	log, _, err := nvme.UnmarshalDiscoveryLog(page)
	if err != nil {
		t.Fatal(err)
	}
	if len(log.Entries) != 2 || log.Entries[0].SubNQN != testNQN || log.Entries[0].TRADDR+":"+log.Entries[0].TRSVCID != addr ||
		log.Entries[1].Subtype != nvme.SubtypeDiscoveryCurrent {
		t.Fatalf("discovery log %+v", log)
	}
}

// TestSharedFile: two targets export one file, like two controllers of one
// array; a write through one is read through the other.
func TestSharedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.img")
	var addrs []string
	for range 2 {
		f, err := bdev.OpenFile(path, bdev.FileOptions{Size: 1 << 20, BlockSize: 512})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = f.Close() })
		_, _, addr := serveBdev(t, f, false, Options{})
		addrs = append(addrs, addr)
	}
	_, qa := connected(t, addrs[0], false)
	_, qb := connected(t, addrs[1], false)
	data := bytes.Repeat([]byte("nvmf-chaos"), 4096/10+1)[:4096]
	qa.must(rwCmd(nvme.IOWrite, 1, 8, 8), data, 0)
	_, got := qb.must(rwCmd(nvme.IORead, 1, 8, 8), nil, 4096)
	if !bytes.Equal(got, data) {
		t.Fatal("write through target A not visible through target B")
	}
}

func TestPauseResume(t *testing.T) {
	tgt, addr := newTestTarget(t, 1<<20, false, Options{})
	_, q := connected(t, addr, false)
	tgt.Pause()
	done := make(chan error, 1)
	go func() {
		_, _, err := q.exec(rwCmd(nvme.IORead, 1, 0, 1), nil, 512)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("command completed while the target was paused (err %v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	tgt.Resume()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("command did not complete after Resume")
	}
}

// TestCloseHasNoGhostWrites: when the target goes away, a write still
// executing on one queue must complete before any queue of its controller
// closes. Otherwise the host sees the controller die on the other queue,
// retries the write on another path, and this target's write then lands
// late over newer data.
func TestCloseHasNoGhostWrites(t *testing.T) {
	tgt := New(Options{})
	t.Cleanup(func() { _ = tgt.Close() })
	m, err := bdev.NewMalloc("malloc0", 1<<20, 512, [16]byte{})
	if err != nil {
		t.Fatal(err)
	}
	slow := bdev.NewDelay("slow", m, bdev.Latencies{AvgWrite: 300 * time.Millisecond, P99Write: 300 * time.Millisecond}, [16]byte{})
	s, err := tgt.AddSubsystem(SubsystemConfig{NQN: testNQN, AllowAnyHost: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddNamespace(NamespaceConfig{Bdev: slow}); err != nil {
		t.Fatal(err)
	}
	addr, err := tgt.AddListener(testNQN, "127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	admin, q1 := connected(t, addr, false)
	q2 := dialRaw(t, addr, false)
	q2.connectIO(testNQN, admin.cntlid, 2)

	written := make(chan time.Time, 1)
	go func() {
		_, _, err := q2.exec(rwCmd(nvme.IOWrite, 1, 0, 1), make([]byte, 512), 0)
		if err != nil {
			t.Errorf("write in flight at close: %v (its completion must still be sent)", err)
		}
		written <- time.Now()
	}()
	time.Sleep(50 * time.Millisecond) // the write is now sleeping in the bdev
	closeAt := time.Now()
	go func() { _ = tgt.Close() }()
	if !q1.waitClosed(5 * time.Second) {
		t.Fatal("queue 1 not closed after Close")
	}
	closed := time.Now()
	select {
	case at := <-written:
		// The completion is sent before the socket closes; the two reads
		// are timed by different goroutines, hence the slack.
		t.Logf("after Close: queue 1 closed %v, write completed %v", closed.Sub(closeAt), at.Sub(closeAt))
		if early := at.Sub(closed); early > 20*time.Millisecond {
			t.Fatalf("queue 1 closed %v before queue 2's write completed", early)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("queue 1 closed while queue 2's write never completed")
	}
}

// A listener asked for on every address is found again under the address
// it was asked for (Go names it "[::]:P"), as the harness does in a pod.
func TestWildcardListenerIsFoundByItsAddress(t *testing.T) {
	tgt, _ := newTestTarget(t, 1<<20, true, Options{})
	for _, asked := range []string{"0.0.0.0:0", "127.0.0.1:0"} {
		t.Run(asked, func(t *testing.T) {
			got, err := tgt.AddListener(testNQN, asked, nvme.ANANonOptimized)
			if err != nil {
				t.Fatal(err)
			}
			host, _, _ := strings.Cut(asked, ":")
			if !strings.HasPrefix(got, host+":") {
				t.Fatalf("AddListener(%s) = %s: want it named by the asked host", asked, got)
			}
			if err := tgt.SetANAState(testNQN, got, 0, nvme.ANAOptimized); err != nil {
				t.Errorf("SetANAState(%s): %v", got, err)
			}
			if err := tgt.RemoveListener(testNQN, got); err != nil {
				t.Errorf("RemoveListener(%s): %v", got, err)
			}
		})
	}
}
