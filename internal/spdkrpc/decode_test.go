package spdkrpc

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeParams(t *testing.T) {
	tests := []struct {
		name    string
		params  string
		relaxed bool
		want    NvmfSubsystemListenerParams
		err     string
	}{
		{name: "full", params: `{"nqn":"n","listen_address":{"trtype":"TCP","traddr":"a","trsvcid":"4420"},"ana_state":"optimized"}`,
			want: NvmfSubsystemListenerParams{NQN: "n", ListenAddress: ListenAddress{Trtype: "TCP", Traddr: "a", Trsvcid: "4420"}, AnaState: "optimized"}},
		{name: "missing top-level", params: `{"listen_address":{"trtype":"TCP","traddr":"a"}}`, err: `missing required member "nqn"`},
		{name: "missing nested", params: `{"nqn":"n","listen_address":{"trtype":"TCP"}}`, err: `missing required member "listen_address.traddr"`},
		{name: "unknown strict", params: `{"nqn":"n","listen_address":{"trtype":"TCP","traddr":"a"},"x":1}`, err: `unknown member "x"`},
		{name: "unknown relaxed", relaxed: true, params: `{"nqn":"n","listen_address":{"trtype":"TCP","traddr":"a"},"x":1,"NQN":"other"}`,
			want: NvmfSubsystemListenerParams{NQN: "n", ListenAddress: ListenAddress{Trtype: "TCP", Traddr: "a"}}},
		{name: "unknown nested even relaxed", relaxed: true, params: `{"nqn":"n","listen_address":{"trtype":"TCP","traddr":"a","y":2}}`,
			err: `unknown member "listen_address.y"`},
		{name: "wrong type", params: `{"nqn":5,"listen_address":{"trtype":"TCP","traddr":"a"}}`, err: "cannot unmarshal number"},
		{name: "no params", params: ``, err: `missing required member "nqn"`},
		{name: "array params", params: `["n"]`, err: "must be a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got NvmfSubsystemListenerParams
			decode := DecodeParams
			if tt.relaxed {
				decode = DecodeParamsRelaxed
			}
			err := decode(json.RawMessage(tt.params), &got)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// Every params struct round-trips through the client's encoding and the
// server's decoding: what NewRequest sends, DecodeParams accepts.
func TestParamsRoundTrip(t *testing.T) {
	all := []any{
		&NvmfCreateTransportParams{Trtype: "TCP", C2HSuccess: new(bool)},
		&NvmfGetTransportsParams{}, &NvmfCreateSubsystemParams{NQN: "n", AnaReporting: true},
		&NvmfDeleteSubsystemParams{NQN: "n"}, &NvmfGetSubsystemsParams{NQN: "n"},
		&NvmfSubsystemAddNsParams{NQN: "n", Namespace: NamespaceParams{BdevName: "b", Nsid: 2}},
		&NvmfSubsystemRemoveNsParams{NQN: "n", Nsid: 2},
		&NvmfSubsystemListenerParams{NQN: "n", ListenAddress: ListenAddress{Trtype: "TCP", Traddr: "a"}},
		&NvmfSubsystemListenerSetAnaStateParams{NQN: "n", ListenAddress: ListenAddress{Trtype: "TCP", Traddr: "a"}, AnaState: AnaInaccessible},
		&NvmfSubsystemAddHostParams{NQN: "n", Host: "h"},
		&BdevMallocCreateParams{NumBlocks: 8, BlockSize: 512}, &BdevAioCreateParams{Name: "a", Filename: "f"},
		&BdevNullCreateParams{Name: "z", NumBlocks: 8, BlockSize: 512}, &BdevDeleteParams{Name: "x"},
		&BdevGetBdevsParams{}, &BdevLvolCreateLvstoreParams{BdevName: "b", LvsName: "l"},
		&BdevLvolGetLvstoresParams{}, &BdevLvolCreateParams{LvolName: "v", SizeInMiB: 1, LvsName: "l"},
		&BdevLvolResizeParams{Name: "v", SizeInMiB: 2},
		&BdevDelayCreateParams{BaseBdevName: "b", Name: "d"},
		&BdevDelayUpdateLatencyParams{DelayBdevName: "d", LatencyType: LatencyP99Write},
		&BdevErrorCreateParams{BaseName: "b"},
		&BdevErrorInjectErrorParams{Name: "EE_b", IOType: ErrorIOAll, ErrorType: ErrorTypeNomem},
		&SpdkKillInstanceParams{SigName: SIGTERM},
	}
	for _, p := range all {
		req, err := NewRequest(1, "m", p)
		if err != nil {
			t.Fatal(err)
		}
		out := reflect.New(reflect.TypeOf(p).Elem()).Interface()
		if err := DecodeParams(req.Params, out); err != nil {
			t.Errorf("%T: %v (sent %s)", p, err, req.Params)
			continue
		}
		if !reflect.DeepEqual(out, p) {
			t.Errorf("%T: got %+v want %+v", p, out, p)
		}
	}
}
