package scenarios

import (
	"fmt"
	"slices"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp"
)

// Floors Scale keeps so a shortened scenario still measures what the full
// one does. Each floor is capped by the original value: Scale shortens,
// it never lengthens a part that was already short.
const (
	// minScaledWarmup lets the host connect and the queues fill.
	minScaledWarmup = 500 * time.Millisecond
	// minScaledBaseline is two latency slots (reports.Histograms uses 1 s),
	// so at least one whole slot lies before the first fault and baseline
	// latency SLOs have a sample.
	minScaledBaseline = 2 * time.Second
	// minScaledFault: below this a fault is a blip within the host's retry
	// granularity rather than an outage.
	minScaledFault = 500 * time.Millisecond
	// minScaledGap is the quiet time between two firings of a repeated
	// fault, enough for a path to reconnect between flaps.
	minScaledGap = 500 * time.Millisecond
	// minScaledTail is I/O after the last fault ends, for failover_time to
	// see I/O resume (reports.Options.MinHorizon is 1 s).
	minScaledTail = time.Second
	// minScaledRecoveryTail is the tail when a recovery_time SLO is set:
	// recovery needs 3 s steady at >= 90 % of baseline after the fault,
	// plus room for the path to come back and for one noisy second on a
	// shared machine (with 4 s, one slow second made it unbounded in CI).
	minScaledRecoveryTail = 6 * time.Second
	// minScaledRuntime is a workload's shortest scaled runtime: two
	// latency slots, so a whole one lies in its overlap window.
	minScaledRuntime = 2 * time.Second
)

// Scale fits s's timeline to a measured duration d, so any scenario can be
// smoke-tested in CI or stretched for a soak: warmup, every fault's at and
// duration, every repeat interval and every workload's startdelay and
// runtime are multiplied by d / timeline.duration (a workload's startdelay
// keeps a baseline before it as a fault's at does).
//
// Floors keep a scaled scenario meaningful (see the constants above). The
// one that matters most is the keep-alive rule: a fault that outlasted
// host.kato (default 10 s) keeps at least 2 × kato, so a hang the host
// had to detect and fail over from is not shortened into one it simply
// waits out; a fault shorter than kato stays shorter. Repeat counts are
// kept. When the floors do not fit in d, Scale fails naming the fault and
// the shortest duration that works, and leaves s unchanged. The scaled
// scenario is validated again; source names it in errors.
func Scale(s *Scenario, d time.Duration, source string) error {
	old := s.Timeline.Duration.D()
	switch {
	case d <= 0:
		return &FieldError{File: source, Field: "timeline.duration", Msg: fmt.Sprintf("scale to %s: want a positive duration", d)}
	case old <= 0:
		return &FieldError{File: source, Field: "timeline.duration", Msg: "cannot scale a timeline without a duration"}
	case d == old:
		return nil
	}
	t, ferr := scaledTimeline(s, d)
	var ws []Workload
	if ferr == nil {
		ws, ferr = scaledWorkloads(s, d)
	}
	if ferr != nil {
		ferr.File = source
		if shortest := shortestScale(s); shortest > d {
			ferr.Msg += fmt.Sprintf("; the shortest duration this scenario scales to is %s", shortest)
		}
		return ferr
	}
	s.Timeline = t
	s.Workloads = ws
	s.Sweep = scaledSweep(s, timeScale(float64(d)/float64(old)))
	if err := Validate(s, source); err != nil {
		return fmt.Errorf("scaled to %s: %w", d, err)
	}
	return nil
}

// scaledTimeline computes s's timeline scaled to d, or the first fault
// that no longer fits with its floors.
func scaledTimeline(s *Scenario, d time.Duration) (Timeline, *FieldError) {
	old := s.Timeline.Duration.D()
	sc := timeScale(float64(d) / float64(old))
	floor := sc.floor

	t := Timeline{Warmup: Duration(floor(s.Timeline.Warmup.D(), minScaledWarmup)), Duration: Duration(d)}
	t.Faults = slices.Clone(s.Timeline.Faults)
	tail := minScaledTail
	if slices.ContainsFunc(s.SLOs, func(o SLO) bool { return o.Metric == "recovery_time" }) {
		tail = minScaledRecoveryTail
	}
	for i := range t.Faults {
		ev := &t.Faults[i]
		origEnd := faultEnd(*ev)
		ev.At = Duration(sc.at(ev.At.D()))
		ev.Duration = Duration(sc.duration(s.Host, ev.Duration.D()))
		ev.Jitter = Duration(sc.mul(ev.Jitter.D()))
		if r := ev.Repeat; r != nil {
			gap := r.Every.D() - s.Timeline.Faults[i].Duration.D()
			ev.Repeat = &FaultRepeat{Count: r.Count, Every: ev.Duration + Duration(floor(gap, minScaledGap))}
		}
		need := min(old-origEnd, tail)
		if end := faultEnd(*ev); end+need > d {
			return t, &FieldError{Field: fmt.Sprintf("timeline.faults[%d]", i), Msg: fmt.Sprintf(
				"scaled to %s, the %s fault would end at %s (duration kept at %s) leaving %s of the %s it needs after it",
				d, ev.Kind, end, ev.Duration, max(d-end, 0), need)}
		}
	}
	return t, nil
}

// scaledWorkloads scales s's workloads' startdelay and runtime to a
// timeline of d, as faults' at and duration, or names the first workload
// whose floors no longer fit. A workload that ran to the end still does.
func scaledWorkloads(s *Scenario, d time.Duration) ([]Workload, *FieldError) {
	old := s.Timeline.Duration.D()
	sc := timeScale(float64(d) / float64(old))
	ws := slices.Clone(s.Workloads)
	for i := range ws {
		w := &ws[i]
		toEnd := w.Runtime == 0 || w.StartDelay+w.Runtime >= s.Timeline.Duration
		if w.StartDelay > 0 {
			w.StartDelay = Duration(sc.at(w.StartDelay.D()))
		}
		switch {
		case w.Runtime == 0:
		case toEnd:
			w.Runtime = Duration(d) - w.StartDelay
		default:
			w.Runtime = Duration(sc.floor(w.Runtime.D(), minScaledRuntime))
		}
		if w.StartDelay >= Duration(d) || w.StartDelay+w.Runtime > Duration(d) {
			return nil, &FieldError{Field: fmt.Sprintf("workloads[%d]", i), Msg: fmt.Sprintf(
				"scaled to %s, workload %s would start at %s and run %s, past the end", d, w.Name, w.StartDelay, w.Runtime)}
		}
	}
	return ws, nil
}

// timeScale multiplies timeline durations by a factor, keeping floors.
type timeScale float64

func (f timeScale) mul(x time.Duration) time.Duration {
	return time.Duration(float64(x) * float64(f)).Round(time.Millisecond)
}

// floor scales x but keeps at least lo, or x itself when x was shorter.
func (f timeScale) floor(x, lo time.Duration) time.Duration { return max(f.mul(x), min(x, lo)) }

// at scales a fault's start, keeping a baseline before it.
func (f timeScale) at(x time.Duration) time.Duration { return f.floor(x, minScaledBaseline) }

// duration scales a fault's duration, keeping faultFloor.
func (f timeScale) duration(h Host, x time.Duration) time.Duration {
	return max(f.mul(x), faultFloor(h, x))
}

// scaledSweep scales the values of swept fault times (faults[i].at,
// faults[i].duration) as the timeline's own, so a sweep over outage
// lengths still fits a run shortened with --duration. Values that do not
// parse are kept for validation to report.
func scaledSweep(s *Scenario, sc timeScale) []SweepAxis {
	out := slices.Clone(s.Sweep)
	for i, ax := range out {
		_, field, ok := parseFaultParam(ax.Param)
		if !ok || (field != "at" && field != "duration") {
			continue
		}
		vals := slices.Clone(ax.Values)
		for k, v := range vals {
			d, err := ParseDuration(v)
			if err != nil {
				continue
			}
			if field == "at" {
				d = sc.at(d)
			} else {
				d = sc.duration(s.Host, d)
			}
			vals[k] = Duration(d).String()
		}
		out[i].Values = vals
	}
	return out
}

// faultFloor is the shortest a fault of duration dur may be scaled to.
func faultFloor(h Host, dur time.Duration) time.Duration {
	kato := h.KATO.D()
	if kato == 0 {
		kato = nvmetcp.DefaultKATO
	}
	lo := min(dur, minScaledFault)
	if dur > kato {
		lo = max(lo, min(dur, 2*kato))
	}
	return lo
}

// faultEnd is the latest the last firing of a fault recovers, from warmup
// end (with the most jitter).
func faultEnd(ev FaultEvent) time.Duration {
	end := ev.At.D() + ev.Duration.D() + max(ev.Jitter.D(), 0)
	if ev.Repeat != nil && ev.Repeat.Count > 1 {
		end += time.Duration(ev.Repeat.Count-1) * ev.Repeat.Every.D()
	}
	return end
}

// shortestScale finds, by bisection to 100 ms, the shortest duration s's
// timeline scales to with every floor kept. Floors only grow relative to
// the timeline as it shrinks, so fitting is monotone in the duration.
func shortestScale(s *Scenario) time.Duration {
	lo, hi := time.Duration(0), s.Timeline.Duration.D()
	for range 64 {
		if hi-lo <= 100*time.Millisecond {
			break
		}
		mid := lo + (hi-lo)/2
		_, err := scaledTimeline(s, mid)
		if err == nil {
			_, err = scaledWorkloads(s, mid)
		}
		if err == nil {
			hi = mid
		} else {
			lo = mid
		}
	}
	const step = 100 * time.Millisecond
	return (hi + step - 1) / step * step
}
