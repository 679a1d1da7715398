package workloads

import (
	"sync/atomic"
	"time"
)

// flowGroup is the workers sharing one flow_id: fio keeps each one's share
// of the group's I/Os at its flow weight's share of the group's weight.
type flowGroup struct {
	total  atomic.Int64 // I/Os issued by the group's workers
	weight atomic.Int64 // flow weights of the workers still running
}

// flowRetry is how soon a held-back worker looks again without flow_sleep:
// fio retries at once; a short sleep keeps the worker from spinning.
const flowRetry = 50 * time.Microsecond

// flowGroups builds each job's flow group by flow_id, counting every
// clone's weight, as fio counts each job clone.
func flowGroups(jobs []Job) []*flowGroup {
	byID := map[int]*flowGroup{}
	out := make([]*flowGroup, len(jobs))
	for i := range jobs {
		j := &jobs[i]
		if j.Flow <= 0 {
			continue
		}
		g := byID[j.FlowID]
		if g == nil {
			g = &flowGroup{}
			byID[j.FlowID] = g
		}
		g.weight.Add(int64(j.Flow * j.NumJobs))
		out[i] = g
	}
	return out
}

// flowHeld reports whether the worker is ahead of its share and must wait
// (setting when to look again); otherwise it counts the I/O it will issue.
func (w *worker) flowHeld(now int64) bool {
	g := w.flow
	mine, total, weight := float64(w.flowIOs), float64(max(g.total.Load(), 1)), float64(max(g.weight.Load(), 1))
	if mine/total > float64(w.job.Flow)/weight {
		w.wakeNs = now + int64(max(w.job.FlowSleep, flowRetry))
		if w.endNs > 0 {
			w.wakeNs = min(w.wakeNs, w.endNs)
		}
		return true
	}
	g.total.Add(1)
	w.flowIOs++
	return false
}

// flowDone takes the worker's weight out of its group once it stops, so
// the others are not held back for its share.
func (w *worker) flowDone() {
	if w.flow != nil {
		w.flow.weight.Add(-int64(w.job.Flow))
	}
}
