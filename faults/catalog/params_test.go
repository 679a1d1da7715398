package catalog

import (
	"strings"
	"testing"
)

// TestParamErrorsNameTheField: each bad parameter comes back as its own
// ParamError, named, with the value given, so validation places it at
// faults[i].params.<name>.
func TestParamErrorsNameTheField(t *testing.T) {
	tests := []struct {
		kind   string
		params map[string]string
		want   map[string]string // param name -> part of its message
	}{
		{"packet-loss", map[string]string{"percent": "0"}, map[string]string{"percent": `percent "0": want a whole number 1..100`}},
		{"packet-loss", map[string]string{"percent": "lots"}, map[string]string{"percent": `percent "lots"`}},
		{"packet-loss", map[string]string{"rate": "1"}, map[string]string{"rate": `packet-loss takes no parameter "rate" (allowed: percent)`}},
		{"process-kill", map[string]string{"restart": "maybe"}, map[string]string{"restart": `restart "maybe": want one of true, false`}},
		{"latency", map[string]string{"delay": "soon"}, map[string]string{"delay": `delay "soon": want a duration`}},
		{"latency", map[string]string{"delay": "0s"}, map[string]string{"delay": "want more than 0"}},
		{"bandwidth", map[string]string{"rate": "fast"}, map[string]string{"rate": `rate "fast"`}},
		{"network-partition", map[string]string{"port": "mgmt"}, map[string]string{"port": "want one of data, rpc, all"}},
		{"ana-change", map[string]string{"state": "sleepy", "recover_state": "persistent_loss"},
			map[string]string{"state": "sleepy", "recover_state": "cannot be set on a listener"}},
		{"bdev-error", map[string]string{"io_type": "flush", "num": "-1"}, map[string]string{"io_type": `io_type "flush"`, "num": `num "-1"`}},
		{"listener-flap", map[string]string{"down": "10ms", "up": "2m"},
			map[string]string{"down": `down "10ms": want at least 50ms`, "up": `up "2m": want more than 0 and at most 1m0s`}},
		{"driver-kill", map[string]string{"namespace": "Kube_System", "selector": "app in ("},
			map[string]string{"namespace": "not a namespace name", "selector": `selector "app in ("`}},
	}
	for _, tt := range tests {
		s, err := ParseKind(tt.kind)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Parse(tt.params)
		got := map[string]string{}
		for _, pe := range ParamErrors(err) {
			got[pe.Name] = pe.Msg
			if pe.Value != tt.params[pe.Name] {
				t.Errorf("%s: error on %s carries value %q, want %q", tt.kind, pe.Name, pe.Value, tt.params[pe.Name])
			}
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s %v: errors %v, want one for each of %v", tt.kind, tt.params, got, tt.want)
		}
		for name, part := range tt.want {
			if !strings.Contains(got[name], part) {
				t.Errorf("%s %v: %s error %q, want it to say %q", tt.kind, tt.params, name, got[name], part)
			}
		}
	}
}

// TestParseOnce: the typed params the builders take are the values given,
// the defaults where none was.
func TestParseOnce(t *testing.T) {
	c := config(t, ProcessKill, map[string]string{"restart": "false"})
	if c.p.(processKillParams).Restart {
		t.Error("restart=false parsed as true")
	}
	c = config(t, BdevError, map[string]string{"io_type": "write"})
	if p := c.p.(bdevErrorParams); p.IOType != "write" || p.Num != 1000 {
		t.Errorf("bdev-error params %+v, want write and the default 1000", p)
	}
}

func TestCheckParam(t *testing.T) {
	s, _ := ParseKind("packet-loss")
	if err := s.CheckParam("percent", "50"); err != nil {
		t.Errorf("percent 50: %v", err)
	}
	if err := s.CheckParam("percent", "500"); err == nil || !strings.Contains(err.Error(), `percent "500"`) {
		t.Errorf("percent 500: %v, want refused naming it", err)
	}
}

// TestFits: a value every engine's syntax accepts is still refused where
// the chosen engine cannot act on it, at the param (at the kind when it
// has none).
func TestFits(t *testing.T) {
	local, kube, spdk := Where{Engine: EngineLocal}, Where{Kube: true, Engine: EngineChaosMesh}, Where{SPDK: true, Engine: EngineLocal}
	tests := []struct {
		kind   string
		params map[string]string
		where  Where
		want   string // "" fits
	}{
		{"latency", map[string]string{"delay": "30s"}, local, "the local proxy delays at most 10s"},
		{"latency", map[string]string{"delay": "30s"}, kube, ""},
		{"cpu-stress", map[string]string{"workers": "32"}, local, "at most 16"},
		{"cpu-stress", map[string]string{"workers": "32"}, kube, ""},
		{"network-partition", map[string]string{"port": "rpc"}, spdk, "nvmf_tgt serves RPC only on a unix socket"},
		{"network-partition", map[string]string{"port": "rpc"}, local, ""},
		{"network-partition", map[string]string{"port": "all"}, kube, ""},
		{"process-pause", nil, Where{Kube: true, SPDK: true, Engine: EngineNative}, "an SPDK image has none"},
		{"process-pause", nil, Where{Kube: true, Engine: EngineNative}, ""},
	}
	for _, tt := range tests {
		s, _ := ParseKind(tt.kind)
		c, err := s.Parse(tt.params)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Fits(tt.where)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s %v at %+v: %v, want %q", tt.kind, tt.params, tt.where, err, tt.want)
		}
		for _, pe := range ParamErrors(err) {
			if _, ok := tt.params[pe.Name]; !ok && (pe.Name != "" || len(tt.params) > 0) {
				t.Errorf("%s: refused at %q, not at the param given", tt.kind, pe.Name)
			}
		}
	}
}
