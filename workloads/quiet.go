package workloads

import (
	"errors"
	"fmt"
	"strings"
)

// quietOption is a fio option that means nothing for a block target driven
// by nvmf-chaos's engine, and that fio itself accepts there without
// complaint. ParseFio and ApplyOption check its value and record a note on
// the job (Job.Notes) saying why it changes nothing; README.md's bench
// section lists them (TestQuietOptionsDocumented keeps it so). An option in
// neither this table nor options is an ErrUnsupportedOption: a job file
// relying on it would measure something else than its author meant.
type quietOption struct {
	check   func(v string, bare bool) error
	boolean bool // may be written without a value
	reason  string
}

var quietOptions = map[string]quietOption{
	"invalidate":          {checkBool, true, "the page cache is not dropped (with direct=1, the default, there is none in the path)"},
	"gtod_reduce":         {checkBool, true, "every I/O is timed anyway"},
	"thread":              {checkBool, true, "workers are goroutines, whether fio would use threads or processes"},
	"cpus_allowed":        {checkNonEmpty, false, "workers are goroutines the Go runtime schedules, not pinned to CPUs"},
	"cpumask":             {checkNonEmpty, false, "workers are goroutines the Go runtime schedules, not pinned to CPUs"},
	"cpus_allowed_policy": {checkOneOf("shared", "split"), false, "workers are goroutines the Go runtime schedules, not pinned to CPUs"},
	"ioscheduler":         {checkNonEmpty, false, "the kernel's I/O scheduler is left as it is"},
	"nice":                {checkRange(-20, 19), false, "workers run at the process's priority"},
	"fadvise_hint":        {checkNonEmpty, true, "no page-cache hints are given (with direct=1, the default, there is no cache in the path)"},
	"overwrite":           {checkBool, true, "files are not laid out first: the target is used as it is"},
	"create_serialize":    {checkBool, true, "files are not laid out first: the target is used as it is"},
	"create_on_open":      {checkBool, true, "files are not laid out first: the target is used as it is"},
	"fallocate":           {checkOneOf("none", "native", "posix", "keep", "truncate", "0", "1"), false, "files are not laid out first: the target is used as it is"},
	"numa_cpu_nodes":      {checkNonEmpty, false, "workers are goroutines the Go runtime schedules, not bound to NUMA nodes"},
	"numa_mem_policy":     {checkNonEmpty, false, "buffers are allocated by the Go runtime, without a NUMA policy"},
	"threads":             {checkNonEmpty, false, "an option of fio's tiobench profile, which does nothing in fio either without profile=tiobench"},
	"io_submit_mode":      {checkOneOf("inline", "offload"), false, "every worker submits asynchronously; offload only moves fio's own submission to helper threads"},
	"random_generator":    {checkOneOf("tausworthe", "lfsr", "tausworthe64"), false, "offsets come from nvmf-chaos's generator: with the random map a keyed permutation that, like lfsr, visits each block once per pass"},
	"verify_async":        {checkRange(0, 1<<20), false, "each worker checks what it reads as it completes; there are no separate verify threads"},
	"verify_dump":         {checkBool, true, "failed blocks are listed as offenders in the output and the record, not dumped to files"},
	"error_dump":          {checkBool, true, "every failed I/O is kept in the record (errors)"},
}

func checkBool(v string, bare bool) error { _, err := parseBool(v, bare); return err }

func checkNonEmpty(v string, bare bool) error {
	if !bare && strings.TrimSpace(v) == "" {
		return errors.New("empty value")
	}
	return nil
}

func checkOneOf(values ...string) func(string, bool) error {
	return func(v string, _ bool) error {
		for _, ok := range values {
			if strings.EqualFold(strings.TrimSpace(v), ok) {
				return nil
			}
		}
		return fmt.Errorf("%q: want %s", v, strings.Join(values, " or "))
	}
}

func checkRange(lo, hi int64) func(string, bool) error {
	return func(v string, _ bool) error { _, err := parseInt(v, lo, hi); return err }
}

// engineNote says how the engine runs a job written for fio's ioengine e.
func engineNote(e string) string {
	switch e {
	case "null":
		return "fio's null engine does no I/O; here the job does I/O on its target (give null://SIZE as the target for none)"
	case "psync", "sync", "pvsync", "pvsync2", "vsync":
		return "nvmf-chaos's engine runs the job with one I/O in flight, as " + e + " would"
	}
	return "nvmf-chaos's engine runs the job, keeping iodepth I/Os in flight as " + e + " would"
}

// note records that option (set at "file:line", or "" from a flag) was
// accepted without effect, and why.
func (j *Job) note(at, option, value string, bare bool, reason string) {
	s := option
	if !bare {
		s += "=" + value
	}
	if at != "" {
		s = at + ": " + s
	}
	j.Notes = append(j.Notes, s+": "+reason)
}

// AllNotes lists the remarks on how r ran, once each: the backend's, then the
// jobs' notes on options accepted without effect.
func (r *Result) AllNotes() []string {
	out := append([]string(nil), r.Notes...)
	seen := map[string]bool{}
	for _, j := range r.Jobs {
		for _, n := range j.Job.Notes {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}
