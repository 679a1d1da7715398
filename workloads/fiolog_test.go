package workloads

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// logLine is one line of a fio log file, as fio's HOWTO ("Log File
// Formats") documents it: time (ms), value, data direction, block size,
// [offset,] command priority.
type logLine struct {
	ms, value int64
	dir       int
	bs        int64
	off       int64 // -1 without log_offset
	prio      int
}

// parseFioLog reads a log file written in fio's format, with or without
// the offset column.
func parseFioLog(path string) ([]logLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []logLine
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Split(sc.Text(), ", ")
		if len(fields) != 5 && len(fields) != 6 {
			return nil, fmt.Errorf("line %d: %d columns: %q", n, len(fields), sc.Text())
		}
		v := make([]int64, len(fields))
		for i, s := range fields {
			if v[i], err = strconv.ParseInt(s, 10, 64); err != nil {
				return nil, fmt.Errorf("line %d column %d: %w", n, i+1, err)
			}
		}
		l := logLine{ms: v[0], value: v[1], dir: int(v[2]), bs: v[3], off: -1, prio: int(v[len(v)-1])}
		if len(v) == 6 {
			l.off = v[4]
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

// TestFioLogs runs a job writing every log and reads the files back: per
// I/O, each line is one I/O with its size and (log_offset) offset; with
// log_avg_msec, one line per window and direction whose values add up to
// what the job did.
func TestFioLogs(t *testing.T) {
	file := `[global]
rw=randrw
bs=4k
size=1m
iodepth=4
write_lat_log
write_bw_log=tp
write_iops_log=tp
[every]
log_offset=1
[windows]
stonewall
log_avg_msec=1
`
	jobs, err := ParseFio(strings.NewReader(file), "l.fio", nil, WithTarget("null://1m"))
	if err != nil {
		t.Fatal(err)
	}
	r := runT(t, openT(t, "null://1m", jobs...), jobs)
	dir := t.TempDir()
	files, notes, err := WriteFioLogs(dir, r)
	if err != nil || len(notes) != 0 {
		t.Fatalf("err %v, notes %q", err, notes)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	sort.Strings(names)
	want := "every_clat.1.log every_lat.1.log tp_bw.1.log tp_bw.2.log tp_iops.1.log tp_iops.2.log windows_clat.2.log windows_lat.2.log"
	if strings.Join(names, " ") != want {
		t.Fatalf("files %v, want %s", names, want)
	}
	ios := r.Jobs[0].Read.IOs + r.Jobs[0].Write.IOs
	for _, name := range []string{"every_lat.1.log", "tp_iops.1.log", "tp_bw.1.log"} {
		lines, err := parseFioLog(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if int64(len(lines)) != ios {
			t.Fatalf("%s: %d lines, want one per I/O (%d)", name, len(lines), ios)
		}
		for _, l := range lines {
			if l.bs != 4096 || l.off < 0 || l.off%4096 != 0 || l.dir > 1 || l.value < 0 || strings.Contains(name, "iops") && l.value != 1 {
				t.Fatalf("%s: line %+v", name, l)
			}
		}
	}
	lines, err := parseFioLog(filepath.Join(dir, "tp_iops.2.log"))
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	last := int64(-1)
	for _, l := range lines {
		if l.bs != 0 || l.off != -1 || l.ms < last {
			t.Fatalf("window line %+v after %d ms", l, last)
		}
		last = l.ms
		sum += l.value // IOPS over 1 ms windows: I/Os per window * 1000
	}
	if got, want := sum/1000, r.Jobs[1].Read.IOs+r.Jobs[1].Write.IOs; got != want {
		t.Errorf("windows add up to %d I/Os, want %d", got, want)
	}
}

func TestLogOptionErrors(t *testing.T) {
	for _, line := range []string{"log_avg_msec=-1", "log_offset=maybe"} {
		if _, err := ParseFio(strings.NewReader("[j]\n"+line+"\n"), "l.fio", nil); err == nil {
			t.Errorf("%s accepted", line)
		}
	}
}
