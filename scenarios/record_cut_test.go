package scenarios

import (
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

// A record cut short during its ramp (a worker pod deleted, Ctrl-C) ends
// before measuring began; turning it into a workload record must not
// panic, and it has nothing to report.
func TestRecordEndingBeforeMeasureIsEmpty(t *testing.T) {
	res := &workloads.Result{IntervalNs: int64(100 * time.Millisecond), MeasureNs: int64(5 * time.Second), EndNs: int64(3 * time.Second),
		Jobs: []workloads.JobResult{{Name: "w"}}, Cancelled: true}
	rec := workloadRecord(Workload{Name: "w", Volume: "vol0"}, Timeline{}, res)
	if n := len(rec.Series.Read.IOs); n != 0 {
		t.Errorf("series of a run that never measured has %d intervals", n)
	}
}
