package nvme

import (
	"reflect"
	"testing"
)

func TestDSMRangesRoundTrip(t *testing.T) {
	want := []DSMRange{{NLB: 8, SLBA: 1 << 40}, {Attributes: 7, NLB: 1, SLBA: 3}}
	b := make([]byte, DSMRangeSize*len(want)+5)
	MarshalDSMRanges(b, want)
	if got := ParseDSMRanges(b); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v want %+v", got, want)
	}
}

func TestAsyncEventRoundTrip(t *testing.T) {
	ev := AsyncEvent{Type: AsyncEventTypeNotice, Info: AsyncNoticeANAChange, LogPage: LogANA}
	if ev.DW0() != 0x000C0302 {
		t.Fatalf("DW0 %#x", ev.DW0())
	}
	if got := ParseAsyncEvent(ev.DW0() | 0xFF000000); got != ev {
		t.Fatalf("got %+v", got)
	}
}
