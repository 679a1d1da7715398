package workloads

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LogOptions are a job's fio log files: write_lat_log, write_bw_log and
// write_iops_log name a prefix (empty: the job's name), log_avg_msec
// averages each log over windows instead of one line per I/O, and
// log_offset adds each I/O's offset.
type LogOptions struct {
	Lat, BW, IOPS                   bool
	LatPrefix, BWPrefix, IOPSPrefix string
	AvgMsec                         int
	Offset                          bool
	// Prio writes each I/O's priority value in hex (log_prio); without it
	// the column is 1 for a real-time class I/O, as in fio.
	Prio bool
}

func (o LogOptions) any() bool { return o.Lat || o.BW || o.IOPS }

// maxLogSamples bounds one worker's per-I/O samples (40 bytes each); past
// it samples are counted as dropped and the writer says so.
const maxLogSamples = 1 << 24

// logSample is one line's worth: one I/O, or one direction's window.
type logSample struct {
	ns    int64 // since the job started: completion, or the window's end
	lat   int64 // ns: the I/O's, or the window's sum
	bytes int64
	ios   int64 // 1 for an I/O
	off   int64
	bs    int32 // 0 for a window, as fio writes it
	dir   Direction
	prio  uint16
}

// ioLog collects one worker's samples as its I/Os complete. Only the
// worker's goroutine touches it.
type ioLog struct {
	origin  int64 // run-clock ns the job started
	avg     int64 // window in ns; 0: every I/O
	winEnd  int64
	win     [numDirs]logSample
	samples []logSample
	dropped int64
}

func newIOLog(o LogOptions, origin int64) *ioLog {
	l := &ioLog{origin: origin, avg: int64(o.AvgMsec) * 1e6}
	l.winEnd = origin + l.avg
	return l
}

// add records a completed I/O.
func (l *ioLog) add(op *Op, dir Direction) {
	lat := op.completeNs - op.submitNs
	if l.avg == 0 {
		l.push(logSample{ns: op.completeNs - l.origin, lat: lat, bytes: int64(len(op.Buf)), ios: 1, off: op.Offset, bs: int32(len(op.Buf)), dir: dir, prio: op.Prio})
		return
	}
	for op.completeNs >= l.winEnd {
		l.flush()
		l.winEnd += l.avg
	}
	w := &l.win[dir]
	w.lat, w.bytes, w.ios = w.lat+lat, w.bytes+int64(len(op.Buf)), w.ios+1
}

// flush closes the current window: one sample per direction that did I/O.
func (l *ioLog) flush() {
	for d := range numDirs {
		if w := l.win[d]; w.ios > 0 {
			l.push(logSample{ns: l.winEnd - l.origin, lat: w.lat, bytes: w.bytes, ios: w.ios, dir: d})
		}
		l.win[d] = logSample{}
	}
}

func (l *ioLog) push(s logSample) {
	if len(l.samples) >= maxLogSamples {
		l.dropped++
		return
	}
	l.samples = append(l.samples, s)
}

// finish closes the last, partial window at end (fio flushes it too, so
// the last interval may be shorter).
func (l *ioLog) finish(end int64) {
	if l.avg == 0 {
		return
	}
	l.winEnd = min(l.winEnd, end)
	l.flush()
}

// WorkerLog is one worker's samples for fio's log files.
type WorkerLog struct {
	// Index is fio's job number in the file name (name_bw.Index.log).
	Index int
	log   *ioLog
}

// WriteFioLogs writes the log files the jobs of r asked for into dir (a
// prefix with an absolute path is kept as it is), in
// fio's format ("time, value, direction, block size[, offset], priority",
// time in ms since the job started; latency in ns, bandwidth in KiB/s, IOPS),
// as name_lat.N.log, name_clat.N.log, name_bw.N.log and name_iops.N.log.
// It returns the files written and a note per worker that dropped samples.
func WriteFioLogs(dir string, r *Result) (files, notes []string, err error) {
	for _, jr := range r.Jobs {
		o := jr.Job.Logs
		for _, wl := range jr.Logs {
			kinds := []struct {
				on       bool
				prefix   string
				suffixes []string
				value    func(s logSample, avg int64) int64
			}{
				// The engine times I/Os from submission, so lat and
				// clat are the same; slat is not measured.
				{o.Lat, o.LatPrefix, []string{"lat", "clat"}, latValue},
				{o.BW, o.BWPrefix, []string{"bw"}, bwValue},
				{o.IOPS, o.IOPSPrefix, []string{"iops"}, iopsValue},
			}
			for _, k := range kinds {
				if !k.on {
					continue
				}
				for _, suf := range k.suffixes {
					name := fmt.Sprintf("%s_%s.%d.log", cmpOr(k.prefix, jr.Name), suf, wl.Index)
					if !filepath.IsAbs(name) {
						name = filepath.Join(dir, name)
					}
					if err := writeLog(name, wl.log, o, k.value); err != nil {
						return files, notes, err
					}
					files = append(files, name)
				}
			}
			if wl.log.dropped > 0 {
				notes = append(notes, fmt.Sprintf("job %q worker %d: %d log samples past %d were not kept", jr.Name, wl.Index, wl.log.dropped, maxLogSamples))
			}
		}
	}
	return files, notes, nil
}

func cmpOr(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

func latValue(s logSample, _ int64) int64 { return s.lat / s.ios }

// bwValue is KiB/s: of the I/O over its latency, or of the window.
func bwValue(s logSample, avg int64) int64 {
	span := avg
	if s.bs != 0 {
		span = s.lat
	}
	return s.bytes * 1e9 / max(span, 1) / 1024
}

// iopsValue is 1 for an I/O, as in fio, or the window's rate.
func iopsValue(s logSample, avg int64) int64 {
	if s.bs != 0 {
		return 1
	}
	return s.ios * 1e9 / max(avg, 1)
}

func writeLog(name string, l *ioLog, o LogOptions, value func(logSample, int64) int64) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	w := bufio.NewWriter(f)
	for _, s := range l.samples {
		fmt.Fprintf(w, "%d, %d, %d, %d", s.ns/1e6, value(s, l.avg), s.dir, s.bs)
		if o.Offset {
			fmt.Fprintf(w, ", %d", s.off)
		}
		switch {
		case o.Prio:
			fmt.Fprintf(w, ", 0x%04x\n", s.prio)
		case s.prio>>13 == ioprioRT:
			fmt.Fprint(w, ", 1\n")
		default:
			fmt.Fprint(w, ", 0\n")
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("log file %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("log file %s: %w", name, err)
	}
	return nil
}
