package supervisor

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// Stat is the part of /proc/PID/stat the harness uses.
type Stat struct {
	PID   int
	State byte // 'R', 'S', 'D', 'T' (stopped), 'Z' (zombie), …
	PPID  int
	PGID  int
	// StartTime is when the process started, in clock ticks since boot: with
	// the PID it names one process for good, even after the PID is recycled.
	StartTime uint64
}

// ReadStat reads /proc/PID/stat (Linux only; elsewhere it fails).
func ReadStat(pid int) (Stat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Stat{}, err
	}
	return parseStat(pid, b)
}

// parseStat parses a stat line. The command name is in parentheses and may
// itself hold spaces and parentheses, so fields are counted from the last ')'.
func parseStat(pid int, b []byte) (Stat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return Stat{}, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); starttime is field 22.
	if len(f) < 20 || len(f[0]) != 1 {
		return Stat{}, fmt.Errorf("/proc/%d/stat: %d fields after the name", pid, len(f))
	}
	st := Stat{PID: pid, State: f[0][0]}
	var err error
	if st.PPID, err = strconv.Atoi(string(f[1])); err != nil {
		return Stat{}, fmt.Errorf("/proc/%d/stat: ppid: %w", pid, err)
	}
	if st.PGID, err = strconv.Atoi(string(f[2])); err != nil {
		return Stat{}, fmt.Errorf("/proc/%d/stat: pgrp: %w", pid, err)
	}
	if st.StartTime, err = strconv.ParseUint(string(f[19]), 10, 64); err != nil {
		return Stat{}, fmt.Errorf("/proc/%d/stat: starttime: %w", pid, err)
	}
	return st, nil
}
