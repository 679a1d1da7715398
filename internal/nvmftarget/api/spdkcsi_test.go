package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget"
	"github.com/nvmf-chaos/nvmf-chaos/internal/spdkrpc"
)

// TestMain fails the package if a test leaves target, RPC or HTTP
// goroutines behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	csiGolden  = "testdata/spdk-csi-volume-lifecycle.http"
	csiPVC     = "pvc-0f6f3a3e-8f8e-4f3c-9d49-5c2b1c6d7e01"
	csiNQNBase = "nqn.2020-04.io.spdk.csi:uuid:"
)

var csiCreds = spdkrpc.Credentials{User: "spdkcsiuser", Password: "spdkcsipass"}

// goldenRequest is one block of an .http golden file.
type goldenRequest struct {
	label, method, path string
	header              http.Header
	body                string
}

// readGolden parses blocks of "### label", a request line, headers, a
// blank line and the body; lines starting with "# " are comments.
func readGolden(t *testing.T, path string) []goldenRequest {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []goldenRequest
	for _, block := range strings.Split(string(b), "\n### ")[1:] {
		lines := strings.Split(strings.TrimRight(block, "\n"), "\n")
		g := goldenRequest{label: lines[0], header: http.Header{}}
		f := strings.Fields(lines[1])
		if len(f) != 3 {
			t.Fatalf("%s: request line %q", g.label, lines[1])
		}
		g.method, g.path = f[0], f[1]
		i := 2
		for ; i < len(lines) && lines[i] != ""; i++ {
			k, v, ok := strings.Cut(lines[i], ": ")
			if !ok {
				t.Fatalf("%s: header %q", g.label, lines[i])
			}
			g.header.Add(k, v)
		}
		g.body = strings.Join(lines[i+1:], "\n")
		out = append(out, g)
	}
	return out
}

// csiNode is an embedded target serving its API over HTTP with basic auth,
// with a 128 MiB malloc bdev carrying lvstore lvs0, as an SPDK storage node
// is set up for the driver.
type csiNode struct {
	a    *API
	tgt  *nvmftarget.Target
	url  string
	vars map[string]string
}

func startCSINode(t *testing.T) *csiNode {
	t.Helper()
	tgt := nvmftarget.New(nvmftarget.Options{})
	a := New(tgt, nil, nil)
	srv := spdkrpc.NewServer()
	a.Register(srv)
	l, err := spdkrpc.ListenTCP(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.ServeHTTPProxy(l, spdkrpc.HTTPOptions{Credentials: &csiCreds}) }()
	t.Cleanup(func() { _ = srv.Close(); _ = tgt.Close(); _ = a.Close() })
	n := &csiNode{a: a, tgt: tgt, url: "http://" + l.Addr().String(), vars: map[string]string{
		"BASIC":   base64.StdEncoding.EncodeToString([]byte(csiCreds.User + ":" + csiCreds.Password)),
		"TRADDR":  "127.0.0.1",
		"TRSVCID": freePort(t),
	}}
	n.setup(t, `{"jsonrpc":"2.0","id":1,"method":"bdev_malloc_create","params":{"name":"Malloc0","num_blocks":32768,"block_size":4096}}`)
	n.setup(t, `{"jsonrpc":"2.0","id":2,"method":"bdev_lvol_create_lvstore","params":{"bdev_name":"Malloc0","lvs_name":"lvs0"}}`)
	return n
}

func (n *csiNode) setup(t *testing.T, body string) {
	t.Helper()
	status, reply := n.send(t, goldenRequest{method: http.MethodPost, path: "/",
		header: http.Header{"Authorization": {"Basic ${BASIC}"}}, body: body})
	if status != http.StatusOK || strings.Contains(reply, `"error"`) {
		t.Fatalf("setup %s: %d %s", body, status, reply)
	}
}

// send replays g with the variables substituted, through Go's http.Client
// as the driver does (so User-Agent, Accept-Encoding and Content-Length are
// the driver's too), and returns the status and body.
func (n *csiNode) send(t *testing.T, g goldenRequest) (int, string) {
	t.Helper()
	subst := func(s string) string { return os.Expand(s, func(k string) string { return n.vars[k] }) }
	req, err := http.NewRequest(g.method, n.url+g.path, strings.NewReader(subst(g.body)))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range g.header {
		for _, v := range vs {
			req.Header.Add(k, subst(v))
		}
	}
	c := &http.Client{Timeout: 20 * time.Second} // the driver's cfgRPCTimeoutSeconds
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", g.label, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		t.Fatalf("%s: %v", g.label, err)
	}
	return resp.StatusCode, buf.String()
}

// driverDecode decodes a reply the way pkg/util/jsonrpc.go's call does:
// status ≥ 400 is a failure, the id must be the request's, a non-zero
// error code is a failure carrying the message, and the result is decoded
// into out. It returns the error message, "" on success.
func driverDecode(t *testing.T, label string, status int, body string, id int32, out any) string {
	t.Helper()
	if status >= http.StatusBadRequest {
		t.Fatalf("%s: HTTP error code: %d", label, status)
	}
	reply := struct {
		ID    int32 `json:"id"`
		Error struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		Result any `json:"result"`
	}{Result: out}
	if err := json.NewDecoder(strings.NewReader(body)).Decode(&reply); err != nil {
		t.Fatalf("%s: decoding %s as the driver does: %v", label, body, err)
	}
	if reply.ID != id {
		t.Fatalf("%s: json response ID mismatch: %d, want %d", label, reply.ID, id)
	}
	if reply.Error.Code != 0 {
		return reply.Error.Message
	}
	return ""
}

// The result shapes the driver decodes into (pkg/util/jsonrpc.go, nvmf.go).
type (
	csiLvstores []struct {
		FreeClusters  int64  `json:"free_clusters"`
		ClusterSize   int64  `json:"cluster_size"`
		TotalClusters int64  `json:"total_data_clusters"`
		Name          string `json:"name"`
		UUID          string `json:"uuid"`
	}
	csiBdevs []struct {
		Name           string `json:"name"`
		UUID           string `json:"uuid"`
		BlockSize      int64  `json:"block_size"`
		NumBlocks      int64  `json:"num_blocks"`
		DriverSpecific *struct {
			Lvol struct {
				LvolStoreUUID string `json:"lvol_store_uuid"`
			} `json:"lvol"`
		} `json:"driver_specific,omitempty"`
	}
	csiListeners []struct {
		Address struct {
			TrType  string `json:"trtype"`
			AdrFam  string `json:"adrfam"`
			TrAddr  string `json:"traddr"`
			TrSvcID string `json:"trsvcid"`
		} `json:"address"`
	}
	csiSubsystems []struct {
		Nqn       string `json:"nqn"`
		Namespace []struct {
			NSID     int    `json:"nsid"`
			BdevName string `json:"bdev_name"`
		} `json:"namespaces"`
	}
)

// requestID reads the id the golden body carries.
func requestID(t *testing.T, body string) (int32, string) {
	t.Helper()
	var r struct {
		ID     int32  `json:"id"`
		Method string `json:"method"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("golden body %s: %v", body, err)
	}
	return r.ID, r.Method
}

// csiStep is what the driver gets from one golden request: the method the
// block must carry (a reordered file fails), the substring its
// errorMatches looks for when the call must fail, or the shape to decode
// the result into and what must hold of it.
type csiStep struct {
	method  string
	wantErr string
	out     func() any
	check   func(t *testing.T, n *csiNode, out any)
}

func TestSPDKCSIDriverRequests(t *testing.T) {
	n := startCSINode(t)
	golden := readGolden(t, csiGolden)
	nqn := func() string { return csiNQNBase + n.vars["LVOL_ID"] }
	lvstores := func() any { return &csiLvstores{} }
	bdevs := func() any { return &csiBdevs{} }
	var lvsUUID string
	lvsRoomy := func(t *testing.T, _ *csiNode, out any) {
		ls := *out.(*csiLvstores)
		// schedule() wants FreeSizeMiB > the volume's 64 MiB.
		if len(ls) != 1 || ls[0].Name != "lvs0" || ls[0].FreeClusters*ls[0].ClusterSize>>20 <= 64 {
			t.Fatalf("lvstores %+v: want lvs0 with more than 64 MiB free", ls)
		}
		lvsUUID = ls[0].UUID
	}
	theLvol := func(t *testing.T, n *csiNode, out any) {
		bs := *out.(*csiBdevs)
		if len(bs) != 1 || bs[0].UUID != n.vars["LVOL_ID"] || bs[0].BlockSize*bs[0].NumBlocks != 64<<20 ||
			bs[0].DriverSpecific == nil || bs[0].DriverSpecific.Lvol.LvolStoreUUID != lvsUUID {
			t.Fatalf("bdev_get_bdevs %+v: want the 64 MiB lvol %s in lvstore %s", bs, n.vars["LVOL_ID"], lvsUUID)
		}
	}
	steps := []csiStep{
		{method: "bdev_lvol_get_lvstores", out: lvstores, check: lvsRoomy},
		{method: "bdev_get_bdevs", wantErr: "No such device"},
		{method: "bdev_lvol_get_lvstores", out: lvstores, check: lvsRoomy},
		{method: "bdev_get_bdevs", wantErr: "No such device"},
		{method: "bdev_lvol_create", out: func() any { return new(string) }, check: func(t *testing.T, n *csiNode, out any) {
			id := *out.(*string)
			if n.a.Bdev("lvs0/"+csiPVC) == nil || n.a.Bdev(id) == nil {
				t.Fatalf("bdev_lvol_create returned %q but no such lvol exists", id)
			}
			n.vars["LVOL_ID"] = id
		}},
		{method: "bdev_get_bdevs", out: bdevs, check: theLvol},
		{method: "nvmf_subsystem_get_listeners", wantErr: "Invalid parameters"},
		{method: "nvmf_create_transport"},
		{method: "nvmf_create_subsystem"},
		{method: "nvmf_subsystem_add_ns", out: func() any { return new(int) }, check: func(t *testing.T, _ *csiNode, out any) {
			if nsid := *out.(*int); nsid != 1 {
				t.Fatalf("nsid %d, want 1", nsid)
			}
		}},
		{method: "nvmf_subsystem_add_listener", check: func(t *testing.T, n *csiNode, _ any) {
			s := n.tgt.Subsystem(nqn())
			if s == nil || len(s.Info().Namespaces) != 1 || len(s.Info().Listeners) != 1 || s.Info().Model != n.vars["LVOL_ID"] {
				t.Fatal("the published subsystem is not on the target as the driver configured it")
			}
		}},
		{method: "bdev_get_bdevs", out: bdevs, check: theLvol},
		{method: "bdev_get_bdevs", out: bdevs, check: theLvol},
		{method: "bdev_lvol_get_lvstores", out: lvstores, check: lvsRoomy},
		{method: "bdev_get_bdevs", out: bdevs, check: theLvol},
		{method: "nvmf_subsystem_get_listeners", out: func() any { return &csiListeners{} }, check: func(t *testing.T, n *csiNode, out any) {
			ls := *out.(*csiListeners)
			// isVolumePublished's test, field by field.
			if len(ls) != 1 || ls[0].Address.TrType != "TCP" || ls[0].Address.AdrFam != "IPv4" ||
				ls[0].Address.TrAddr != n.vars["TRADDR"] || ls[0].Address.TrSvcID != n.vars["TRSVCID"] {
				t.Fatalf("listeners %+v: the driver would not see the volume as published", ls)
			}
		}},
		{method: "nvmf_get_subsystems", out: func() any { return &csiSubsystems{} }, check: func(t *testing.T, n *csiNode, out any) {
			for _, s := range *out.(*csiSubsystems) { // subsystemGetNsID's search
				for _, ns := range s.Namespace {
					if s.Nqn == nqn() && ns.BdevName == n.vars["LVOL_ID"] && ns.NSID == 1 {
						return
					}
				}
			}
			t.Fatalf("nvmf_get_subsystems %+v: no namespace 1 for the lvol", out)
		}},
		{method: "nvmf_subsystem_remove_ns"},
		{method: "nvmf_delete_subsystem"},
		{method: "bdev_lvol_delete", check: func(t *testing.T, n *csiNode, _ any) {
			if n.tgt.Subsystem(nqn()) != nil || n.a.Bdev(n.vars["LVOL_ID"]) != nil {
				t.Fatal("the volume or its subsystem outlived DeleteVolume")
			}
		}},
	}
	if len(golden) != len(steps) {
		t.Fatalf("%s has %d requests, the test expects %d", csiGolden, len(golden), len(steps))
	}
	for i, g := range golden {
		st := steps[i]
		id, method := requestID(t, g.body)
		if method != st.method {
			t.Fatalf("request %d (%s) calls %s, want %s", i+1, g.label, method, st.method)
		}
		var out any
		if st.out != nil {
			out = st.out()
		}
		status, body := n.send(t, g)
		msg := driverDecode(t, g.label, status, body, id, out)
		switch {
		case st.wantErr != "" && !strings.Contains(strings.ToLower(msg), strings.ToLower(st.wantErr)):
			t.Fatalf("%s: error %q, the driver matches %q", g.label, msg, st.wantErr)
		case st.wantErr == "" && msg != "":
			t.Fatalf("%s: json response error: %s", g.label, msg)
		case st.check != nil:
			st.check(t, n, out)
		}
	}
}

// Every request of the golden conversation, with wrong or without
// credentials, is refused with 401 and a Basic challenge, and leaves the
// target as it was: no lvol, no transport, no subsystem.
func TestSPDKCSIDriverRequestsBadCredentials(t *testing.T) {
	tests := []struct {
		name  string
		basic string // Authorization header value; "" sends none
	}{
		{"wrong password", "Basic " + base64.StdEncoding.EncodeToString([]byte(csiCreds.User+":spdkcsipasx"))},
		{"wrong user", "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+csiCreds.Password))},
		{"no credentials", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := startCSINode(t)
			n.vars["LVOL_ID"] = "7d0e3f43-5b1e-4a4c-8a43-0d1c2f3e4b5a"
			before := n.lvstore(t)
			for _, g := range readGolden(t, csiGolden) {
				g.header.Del("Authorization")
				if tt.basic != "" {
					g.header.Set("Authorization", tt.basic)
				}
				status, body := n.send(t, g)
				if status != http.StatusUnauthorized || strings.Contains(body, "jsonrpc") {
					t.Fatalf("%s: %d %q, want 401 and no JSON-RPC reply", g.label, status, body)
				}
			}
			if n.a.Bdev("lvs0/"+csiPVC) != nil || n.lvstore(t) != before {
				t.Fatal("a refused bdev_lvol_create created an lvol")
			}
			if n.a.transport != nil {
				t.Fatal("a refused nvmf_create_transport created the transport")
			}
			for _, s := range n.tgt.Subsystems() {
				if strings.HasPrefix(s.NQN, csiNQNBase) {
					t.Fatalf("a refused nvmf_create_subsystem created %s", s.NQN)
				}
			}
		})
	}
}

// lvstore returns lvs0's free clusters, read with good credentials.
func (n *csiNode) lvstore(t *testing.T) int64 {
	t.Helper()
	g := goldenRequest{label: "lvstores", method: http.MethodPost, path: "/",
		header: http.Header{"Authorization": {"Basic ${BASIC}"}}, body: `{"jsonrpc":"2.0","id":1,"method":"bdev_lvol_get_lvstores"}`}
	status, body := n.send(t, g)
	var ls csiLvstores
	if msg := driverDecode(t, g.label, status, body, 1, &ls); msg != "" || len(ls) != 1 {
		t.Fatalf("lvstores: %q %+v", msg, ls)
	}
	return ls[0].FreeClusters
}
