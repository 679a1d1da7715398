package api

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget"
	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
)

// rpcConn is a bare JSON-RPC client: the test checks the wire, not a
// client library's view of it.
type rpcConn struct {
	t  *testing.T
	nc net.Conn
	rd *bufio.Reader
	id int
}

type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *spdkrpc.Error  `json:"error"`
}

func (c *rpcConn) call(method string, params any) reply {
	c.t.Helper()
	c.id++
	req := map[string]any{"jsonrpc": "2.0", "method": method, "id": c.id}
	if params != nil {
		req["params"] = params
	}
	b, _ := json.Marshal(req)
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
	line, err := c.rd.ReadBytes('\n')
	if err != nil {
		c.t.Fatalf("%s: read reply: %v", method, err)
	}
	var r reply
	if err := json.Unmarshal(line, &r); err != nil {
		c.t.Fatalf("%s: bad reply %q: %v", method, line, err)
	}
	return r
}

// ok calls method and decodes its result into out (if not nil).
func (c *rpcConn) ok(method string, params, out any) {
	c.t.Helper()
	r := c.call(method, params)
	if r.Error != nil {
		c.t.Fatalf("%s(%v): %v", method, params, r.Error)
	}
	if out != nil {
		if err := json.Unmarshal(r.Result, out); err != nil {
			c.t.Fatalf("%s result %s: %v", method, r.Result, err)
		}
	}
}

// fails calls method and checks the error code.
func (c *rpcConn) fails(method string, params any, code int) {
	c.t.Helper()
	r := c.call(method, params)
	if r.Error == nil || r.Error.Code != code {
		c.t.Fatalf("%s(%v): error %v, want code %d", method, params, r.Error, code)
	}
}

func startAPI(t *testing.T) (*rpcConn, *nvmftarget.Target) {
	t.Helper()
	tgt := nvmftarget.New(nvmftarget.Options{})
	a := New(tgt, nil, nil)
	srv := spdkrpc.NewServer()
	a.Register(srv)
	sock := filepath.Join(t.TempDir(), "spdk.sock")
	l, err := spdkrpc.ListenUnix(t.Context(), sock)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close(); _ = tgt.Close(); _ = a.Close() })
	nc, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return &rpcConn{t: t, nc: nc, rd: bufio.NewReader(nc)}, tgt
}

// TestVolumeLifecycle provisions a volume the way the harness does (thin
// lvol, subsystem with ANA, namespace, listener), checks what SPDK's
// listing methods report, and tears it down in reverse order.
func TestVolumeLifecycle(t *testing.T) {
	c, tgt := startAPI(t)
	const nqn = "nqn.2016-06.io.nvmf-chaos:vol0"
	c.ok("nvmf_create_transport", map[string]any{"trtype": "TCP", "max_queue_depth": 128}, nil)
	c.fails("nvmf_create_transport", map[string]any{"trtype": "TCP"}, spdkrpc.CodeInternalError)

	var name string
	c.ok("bdev_malloc_create", spdkrpc.BdevMallocCreateParams{Name: "base0", NumBlocks: 16384, BlockSize: 4096}, &name)
	var lvsUUID, lvolUUID string
	c.ok("bdev_lvol_create_lvstore", spdkrpc.BdevLvolCreateLvstoreParams{BdevName: "base0", LvsName: "lvs0"}, &lvsUUID)
	c.ok("bdev_lvol_create", spdkrpc.BdevLvolCreateParams{LvolName: "vol0", SizeInMiB: 32, ThinProvision: true, LvsName: "lvs0"}, &lvolUUID)
	c.fails("bdev_lvol_create", spdkrpc.BdevLvolCreateParams{LvolName: "vol0", SizeInMiB: 32, LvsName: "lvs0"}, spdkrpc.CodeInvalidParams)
	var stores []spdkrpc.Lvstore
	c.ok("bdev_lvol_get_lvstores", nil, &stores)
	if len(stores) != 1 || stores[0].UUID != lvsUUID || stores[0].FreeClusters != stores[0].TotalDataClusters {
		t.Fatalf("lvstores %+v: thin lvol must not take clusters", stores)
	}

	c.ok("nvmf_create_subsystem", spdkrpc.NvmfCreateSubsystemParams{NQN: nqn, SerialNumber: "SN1", AllowAnyHost: true, AnaReporting: true}, nil)
	c.fails("nvmf_create_subsystem", spdkrpc.NvmfCreateSubsystemParams{NQN: nqn}, spdkrpc.CodeInternalError)
	var nsid uint32
	c.ok("nvmf_subsystem_add_ns", spdkrpc.NvmfSubsystemAddNsParams{NQN: nqn, Namespace: spdkrpc.NamespaceParams{BdevName: "lvs0/vol0"}}, &nsid)
	la := spdkrpc.ListenAddress{Trtype: "TCP", Adrfam: "IPv4", Traddr: "127.0.0.1", Trsvcid: freePort(t)}
	c.ok("nvmf_subsystem_add_listener", spdkrpc.NvmfSubsystemListenerParams{NQN: nqn, ListenAddress: la, AnaState: "non_optimized"}, nil)
	c.ok("nvmf_subsystem_add_listener", spdkrpc.NvmfSubsystemListenerParams{NQN: nqn, ListenAddress: la}, nil) // idempotent

	var subs []spdkrpc.Subsystem
	c.ok("nvmf_get_subsystems", spdkrpc.NvmfGetSubsystemsParams{NQN: nqn}, &subs)
	if len(subs) != 1 || len(subs[0].Namespaces) != 1 || subs[0].Namespaces[0].Nsid != nsid ||
		subs[0].Namespaces[0].BdevName != lvolUUID || len(subs[0].ListenAddresses) != 1 || subs[0].ListenAddresses[0].Trsvcid != la.Trsvcid {
		t.Fatalf("nvmf_get_subsystems: %+v", subs)
	}
	c.ok("nvmf_subsystem_listener_set_ana_state", spdkrpc.NvmfSubsystemListenerSetAnaStateParams{NQN: nqn, ListenAddress: la, AnaState: "inaccessible"}, nil)
	if st := tgt.Subsystem(nqn).Info().Listeners[0].ANA[nsid]; st.String() != "inaccessible" {
		t.Fatalf("ANA state after set: %v", st)
	}

	// Claimed bdevs cannot go away under a namespace.
	c.fails("bdev_lvol_delete", spdkrpc.BdevDeleteParams{Name: lvolUUID}, -16)
	c.ok("nvmf_subsystem_remove_listener", spdkrpc.NvmfSubsystemListenerParams{NQN: nqn, ListenAddress: la}, nil)
	c.ok("nvmf_subsystem_remove_ns", spdkrpc.NvmfSubsystemRemoveNsParams{NQN: nqn, Nsid: nsid}, nil)
	c.ok("nvmf_delete_subsystem", spdkrpc.NvmfDeleteSubsystemParams{NQN: nqn}, nil)
	c.fails("nvmf_delete_subsystem", spdkrpc.NvmfDeleteSubsystemParams{NQN: nqn}, spdkrpc.CodeInvalidParams)
	c.ok("bdev_lvol_delete", spdkrpc.BdevDeleteParams{Name: "lvs0/vol0"}, nil)
	c.fails("bdev_lvol_delete", spdkrpc.BdevDeleteParams{Name: "lvs0/vol0"}, -19)
	c.fails("nvmf_get_subsystems", spdkrpc.NvmfGetSubsystemsParams{NQN: nqn}, -19)
}

func TestVirtualBdevs(t *testing.T) {
	c, _ := startAPI(t)
	c.ok("bdev_malloc_create", spdkrpc.BdevMallocCreateParams{Name: "m0", NumBlocks: 2048, BlockSize: 512}, nil)
	c.fails("bdev_malloc_create", spdkrpc.BdevMallocCreateParams{Name: "m0", NumBlocks: 2048, BlockSize: 512}, -17)
	c.ok("bdev_delay_create", spdkrpc.BdevDelayCreateParams{BaseBdevName: "m0", Name: "d0", AvgReadLatency: 100}, nil)
	c.ok("bdev_delay_update_latency", spdkrpc.BdevDelayUpdateLatencyParams{DelayBdevName: "d0", LatencyType: "avg_write", LatencyUs: 5000}, nil)
	c.fails("bdev_delay_update_latency", spdkrpc.BdevDelayUpdateLatencyParams{DelayBdevName: "m0", LatencyType: "avg_write"}, spdkrpc.CodeInvalidRequest)
	c.fails("bdev_delay_update_latency", spdkrpc.BdevDelayUpdateLatencyParams{DelayBdevName: "nope", LatencyType: "avg_write"}, spdkrpc.CodeInvalidParams)
	c.fails("bdev_malloc_delete", spdkrpc.BdevDeleteParams{Name: "m0"}, -16) // the delay bdev uses it
	c.ok("bdev_error_create", spdkrpc.BdevErrorCreateParams{BaseName: "d0"}, nil)
	c.ok("bdev_error_inject_error", spdkrpc.BdevErrorInjectErrorParams{Name: "EE_d0", IOType: "write", ErrorType: "failure", Num: 3}, nil)
	c.fails("bdev_error_inject_error", spdkrpc.BdevErrorInjectErrorParams{Name: "EE_d0", IOType: "sideways", ErrorType: "failure"}, spdkrpc.CodeInvalidParams)

	var bdevs []spdkrpc.Bdev
	c.ok("bdev_get_bdevs", nil, &bdevs)
	names := []string{}
	for _, b := range bdevs {
		names = append(names, b.Name+"/"+b.ProductName)
	}
	if got := strings.Join(names, ","); got != "EE_d0/Error Injection Disk,d0/delay,m0/Malloc disk" {
		t.Fatalf("bdev_get_bdevs: %s", got)
	}
	c.fails("bdev_get_bdevs", spdkrpc.BdevGetBdevsParams{Name: "nope", Timeout: 20}, -19)

	c.ok("bdev_error_delete", spdkrpc.BdevDeleteParams{Name: "EE_d0"}, nil)
	c.ok("bdev_delay_delete", spdkrpc.BdevDeleteParams{Name: "d0"}, nil)
	c.ok("bdev_malloc_delete", spdkrpc.BdevDeleteParams{Name: "m0"}, nil)
	c.ok("bdev_get_bdevs", nil, &bdevs)
	if len(bdevs) != 0 {
		t.Fatalf("bdevs left after deletes: %+v", bdevs)
	}
}

func TestMethodSurface(t *testing.T) {
	c, _ := startAPI(t)
	c.fails("rpc_no_such_method", nil, spdkrpc.CodeMethodNotFound)
	var v spdkrpc.SpdkGetVersion
	c.ok("spdk_get_version", nil, &v)
	if v.Fields.Major != 24 {
		t.Fatalf("version %+v", v)
	}
	c.fails("spdk_get_version", map[string]any{}, spdkrpc.CodeInvalidParams)
	c.fails("bdev_malloc_create", map[string]any{"num_blocks": 8, "block_size": 512, "colour": "red"}, spdkrpc.CodeInvalidParams)

	tgt := nvmftarget.New(nvmftarget.Options{})
	defer tgt.Close()
	a := New(tgt, nil, nil)
	srv := spdkrpc.NewServer()
	a.Register(srv)
	have := map[string]bool{}
	for _, m := range srv.Methods() {
		have[m] = true
	}
	for _, m := range spdkrpc.HarnessMethods {
		if !have[m] {
			t.Errorf("method %s not served", m)
		}
	}
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// bdev_lvol_create takes its size as v24.01 does: size_in_mib, or the
// deprecated byte count "size" (what the SPDK CSI driver sends), not both.
func TestLvolCreateSizeMembers(t *testing.T) {
	c, _ := startAPI(t)
	c.ok("bdev_malloc_create", spdkrpc.BdevMallocCreateParams{Name: "base0", NumBlocks: 16384, BlockSize: 4096}, nil)
	c.ok("bdev_lvol_create_lvstore", spdkrpc.BdevLvolCreateLvstoreParams{BdevName: "base0", LvsName: "lvs0"}, nil)
	tests := []struct {
		name      string
		params    map[string]any
		code      int   // 0: success
		wantBytes int64 // the lvol's size on success
	}{
		{"size_in_mib", map[string]any{"size_in_mib": 8}, 0, 8 << 20},
		{"size in bytes rounds up to a cluster", map[string]any{"size": 5 << 20}, 0, 8 << 20},
		{"both", map[string]any{"size": 4 << 20, "size_in_mib": 4}, spdkrpc.CodeInternalError, 0},
		{"unknown member", map[string]any{"size_in_mib": 4, "sizes": 1}, spdkrpc.CodeInvalidParams, 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			p := map[string]any{"lvol_name": fmt.Sprintf("vol%d", i), "lvs_name": "lvs0", "thin_provision": true}
			maps.Copy(p, tt.params)
			if tt.code != 0 {
				c.fails("bdev_lvol_create", p, tt.code)
				return
			}
			var uuid string
			c.ok("bdev_lvol_create", p, &uuid)
			var bdevs []spdkrpc.Bdev
			c.ok("bdev_get_bdevs", spdkrpc.BdevGetBdevsParams{Name: uuid}, &bdevs)
			if len(bdevs) != 1 || int64(bdevs[0].NumBlocks)*int64(bdevs[0].BlockSize) != tt.wantBytes {
				t.Fatalf("lvol %+v, want %d bytes", bdevs, tt.wantBytes)
			}
		})
	}
}

// nvmf_subsystem_get_listeners lists addresses (and ANA states when the
// subsystem reports ANA); an unknown NQN is SPDK's "Invalid parameters".
func TestSubsystemGetListeners(t *testing.T) {
	c, _ := startAPI(t)
	c.ok("nvmf_create_transport", map[string]any{"trtype": "TCP"}, nil)
	c.ok("bdev_malloc_create", spdkrpc.BdevMallocCreateParams{Name: "m0", NumBlocks: 2048, BlockSize: 512}, nil)
	la := spdkrpc.ListenAddress{Trtype: "TCP", Adrfam: "IPv4", Traddr: "127.0.0.1", Trsvcid: freePort(t)}
	for _, ana := range []bool{false, true} {
		nqn := fmt.Sprintf("nqn.2016-06.io.nvmf-chaos:ana-%v", ana)
		c.ok("nvmf_create_subsystem", spdkrpc.NvmfCreateSubsystemParams{NQN: nqn, AllowAnyHost: true, AnaReporting: ana}, nil)
		var none []spdkrpc.SubsystemListener
		c.ok("nvmf_subsystem_get_listeners", spdkrpc.NvmfSubsystemGetListenersParams{NQN: nqn}, &none)
		if none == nil || len(none) != 0 {
			t.Fatalf("ana %v: listeners before any: %#v, want []", ana, none)
		}
		lp := spdkrpc.NvmfSubsystemListenerParams{NQN: nqn, ListenAddress: la}
		if ana {
			c.ok("nvmf_subsystem_add_ns", spdkrpc.NvmfSubsystemAddNsParams{NQN: nqn, Namespace: spdkrpc.NamespaceParams{BdevName: "m0"}}, nil)
			lp.AnaState = "non_optimized"
		}
		c.ok("nvmf_subsystem_add_listener", lp, nil)
		r := c.call("nvmf_subsystem_get_listeners", spdkrpc.NvmfSubsystemGetListenersParams{NQN: nqn})
		want := `[{"address":{"trtype":"TCP","adrfam":"IPv4","traddr":"127.0.0.1","trsvcid":"` + la.Trsvcid + `"}}]`
		if ana {
			want = strings.TrimSuffix(want, "}]") + `,"ana_states":[{"ana_group":1,"ana_state":"non_optimized"}]}]`
		}
		if r.Error != nil || string(r.Result) != want {
			t.Fatalf("ana %v: got %s %v\nwant %s", ana, r.Result, r.Error, want)
		}
	}
	c.fails("nvmf_subsystem_get_listeners", spdkrpc.NvmfSubsystemGetListenersParams{NQN: "nqn.2016-06.io.nvmf-chaos:none"}, spdkrpc.CodeInvalidParams)
	c.fails("nvmf_subsystem_get_listeners", nil, spdkrpc.CodeInvalidParams)
}
