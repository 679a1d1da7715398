package workloads

import (
	"strings"
	"testing"
)

// TestFlow: jobs sharing a flow_id issue I/Os in the ratio of their flow
// weights (3:1 here) while both run; once one ends, the other is not held.
func TestFlow(t *testing.T) {
	file := `[global]
size=2m
iodepth=4
[heavy]
rw=read
flow=3
number_ios=300
[light]
rw=write
flow=1
number_ios=300
`
	jobs, err := ParseFio(strings.NewReader(file), "f.fio", nil, WithTarget("null://4m"))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Device: openT(t, "null://4m", jobs...)}
	r := runT(t, rec, jobs)
	for i, want := range []int64{300, 300} {
		if got := r.Jobs[i].Read.IOs + r.Jobs[i].Write.IOs; got != want {
			t.Fatalf("%s did %d I/Os, want %d", r.Jobs[i].Name, got, want)
		}
	}
	// While heavy runs (its 300 reads), light must have issued about a
	// third as many writes.
	reads, writes := 0, 0
	for _, k := range rec.kinds {
		if reads == 300 {
			break
		}
		switch k {
		case OpWrite:
			writes++
		case OpRead:
			reads++
		}
	}
	if writes < 60 || writes > 140 {
		t.Errorf("%d writes issued by light while heavy issued its reads; want about 100 (3:1)", writes)
	}
}
