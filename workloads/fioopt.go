package workloads

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// optionSetter applies one fio option's value to a job. bare is true for an
// option written without "=" (a boolean flag such as time_based).
type optionSetter func(j *Job, value string, bare bool) error

// aliases maps fio's alternative option names to the canonical one.
var aliases = map[string]string{
	"readwrite": "rw", "blocksize": "bs", "blocksize_range": "bsrange", "blocksize_unaligned": "bs_unaligned", "timeout": "runtime", "wait_for_previous": "stonewall",
	"io_limit": "io_size", "ss": "steadystate", "ss_dur": "steadystate_duration",
	"ss_ramp": "steadystate_ramp_time", "ss_interval": "steadystate_check_interval", "rate_min": "ratemin", "rate_cycle": "ratecycle", "ba": "blockalign", "allrandrepeat": "randrepeat", "fill_fs": "fill_device",
}

func canonicalOption(key string) string {
	if a, ok := aliases[key]; ok {
		return a
	}
	return key
}

// options is the table of supported fio options. Anything not here is an
// ErrUnsupportedOption.
var options = map[string]optionSetter{
	"name":        func(j *Job, v string, _ bool) error { j.Name = v; return nil },
	"description": func(*Job, string, bool) error { return nil }, // documentation only
	"rw":          setRW,
	"rwmixread":   intOpt(func(j *Job) *int { return &j.RWMixRead }, 0, 100),
	"rwmixwrite": func(j *Job, v string, _ bool) error {
		n, err := parseInt(v, 0, 100)
		j.RWMixRead = 100 - int(n)
		return err
	},
	"bs":           setBS,
	"bsrange":      setBS,
	"bs_unaligned": boolOpt(func(j *Job) *bool { return &j.BSUnaligned }),
	"bssplit":      setBSSplit,
	"iodepth":      intOpt(func(j *Job) *int { return &j.IODepth }, 1, 65536),
	"numjobs":      intOpt(func(j *Job) *int { return &j.NumJobs }, 1, 4096),
	"size": func(j *Job, v string, _ bool) error {
		if n, ok, err := parseZoneCount(v); ok || err != nil {
			j.zones.size, j.Size, j.SizePercent = max(n, 1), 0, 0
			return err
		}
		j.zones.size = 0
		n, pct, err := parseSizeOrPercent(v)
		switch {
		case err != nil:
			return err
		case pct && n == 0:
			return errors.New("0% addresses nothing")
		case pct:
			j.Size, j.SizePercent = 0, int(n)
		default:
			j.Size, j.SizePercent = n, 0
		}
		return nil
	},
	"filesize": func(j *Job, v string, _ bool) error {
		if strings.ContainsAny(v, "-:") {
			return fmt.Errorf("%q: %w: a range (random sizes per file); give one size", v, ErrUnsupportedOption)
		}
		n, err := ParseSize(v)
		j.FileSize = n
		return err
	},
	"offset_increment": func(j *Job, v string, _ bool) error {
		n, pct, err := parseSizeOrPercent(v)
		if err != nil {
			return err
		}
		j.OffsetIncrement, j.OffsetIncrementPercent = n, 0
		if pct {
			j.OffsetIncrement, j.OffsetIncrementPercent = 0, int(n)
		}
		return nil
	},
	"fill_device": boolOpt(func(j *Job) *bool { return &j.FillDevice }),
	"offset":      zoneSizeOpt(func(j *Job) *int64 { return &j.Offset }, func(z *zoneUnits) *int64 { return &z.offset }),
	"io_size":     zoneSizeOpt(func(j *Job) *int64 { return &j.IOSize }, func(z *zoneUnits) *int64 { return &z.ioSize }),
	"loops":       intOpt(func(j *Job) *int { return &j.Loops }, 1, math.MaxInt32),
	"number_ios":  sizeOpt(func(j *Job) *int64 { return &j.NumberIOs }),
	"runtime":     func(j *Job, v string, _ bool) error { d, err := ParseDuration(v); j.Runtime = d; return err },
	"ramp_time":   func(j *Job, v string, _ bool) error { d, err := ParseDuration(v); j.RampTime = d; return err },
	"time_based":  boolOpt(func(j *Job) *bool { return &j.TimeBased }),
	"stonewall":   boolOpt(func(j *Job) *bool { return &j.Stonewall }),
	"new_group":   boolOpt(func(j *Job) *bool { return &j.NewGroup }),
	"wait_for":    func(j *Job, v string, _ bool) error { j.WaitFor = strings.TrimSpace(v); return nil },
	"startdelay": func(j *Job, v string, _ bool) error {
		if strings.Contains(v, "-") {
			return fmt.Errorf("%q: %w: a range (a random delay per clone)", v, ErrUnsupportedOption)
		}
		d, err := ParseDuration(v)
		j.StartDelay = d
		return err
	},
	"rate_iops": func(j *Job, v string, _ bool) error {
		r, err := parseRatePair(v, false)
		j.RateIOPS = r
		return err
	},
	"rate": func(j *Job, v string, _ bool) error {
		r, err := parseRatePair(v, true)
		j.Rate = r
		return err
	},
	"write_lat_log":  logOpt(func(o *LogOptions) (*bool, *string) { return &o.Lat, &o.LatPrefix }),
	"write_bw_log":   logOpt(func(o *LogOptions) (*bool, *string) { return &o.BW, &o.BWPrefix }),
	"write_iops_log": logOpt(func(o *LogOptions) (*bool, *string) { return &o.IOPS, &o.IOPSPrefix }),
	"log_avg_msec":   intOpt(func(j *Job) *int { return &j.Logs.AvgMsec }, 0, math.MaxInt32),
	"log_offset":     boolOpt(func(j *Job) *bool { return &j.Logs.Offset }),
	"percentile_list": func(j *Job, v string, _ bool) error {
		l, err := parsePercentiles(v)
		j.Report.Percentiles = l
		return err
	},
	"clat_percentiles": func(j *Job, v string, bare bool) error {
		b, err := parseBool(v, bare)
		j.Report.NoClatPercentiles = !b
		return err
	},
	"lat_percentiles": boolOpt(func(j *Job) *bool { return &j.Report.LatPercentiles }),
	"unified_rw_reporting": func(j *Job, v string, _ bool) error {
		u, err := parseUnified(v)
		j.Report.Unified = u
		return err
	},
	"zonemode": func(j *Job, v string, _ bool) error {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "none", "strided":
			j.ZBD.On = false
			return nil // strided is what zonesize asks for
		case "zbd":
			j.ZBD.On = true // zones emulated on the conventional target, as fio does
			return nil
		}
		return fmt.Errorf("%q: want none, strided or zbd", v)
	},
	"zonesize":                      sizeOpt(func(j *Job) *int64 { return &j.ZoneSize }),
	"refill_buffers":                boolOpt(func(j *Job) *bool { return &j.Dedupe.Refill }),
	"dedupe_percentage":             intOpt(func(j *Job) *int { return &j.Dedupe.Percent }, 0, 100),
	"dedupe_mode":                   setDedupeMode,
	"dedupe_working_set_percentage": intOpt(func(j *Job) *int { return &j.Dedupe.WorkingSet }, 0, 100),
	"dedupe_global":                 boolOpt(func(j *Job) *bool { return &j.Dedupe.Global }),
	"prioclass":                     prioOpt(func(p *Prio) *int { return &p.Class }, 3),
	"prio":                          prioOpt(func(p *Prio) *int { return &p.Level }, 7),
	"priohint":                      prioOpt(func(p *Prio) *int { return &p.Hint }, 1023),
	"cmdprio_percentage":            cmdprioOpt(func(p *Prio) *[2]int { return &p.CmdPercent }, 0, 100),
	"cmdprio_class":                 cmdprioOpt(func(p *Prio) *[2]int { return &p.CmdClass }, 0, 3),
	"cmdprio":                       cmdprioOpt(func(p *Prio) *[2]int { return &p.CmdLevel }, 0, 7),
	"cmdprio_bssplit":               setCmdprioBSSplit,
	"cmdprio_hint":                  cmdprioOpt(func(p *Prio) *[2]int { return &p.CmdHint }, 0, 1023),
	"log_prio":                      boolOpt(func(j *Job) *bool { return &j.Logs.Prio }),
	"zonecapacity":                  sizeOpt(func(j *Job) *int64 { return &j.ZBD.Capacity }),
	"read_beyond_wp":                boolOpt(func(j *Job) *bool { return &j.ZBD.ReadBeyondWP }),
	"max_open_zones":                intOpt(func(j *Job) *int { return &j.ZBD.MaxOpenZones }, 0, 4096),
	"zone_reset_threshold":          ratioOpt(func(j *Job) *float64 { return &j.ZBD.ResetThreshold }),
	"zone_reset_frequency":          ratioOpt(func(j *Job) *float64 { return &j.ZBD.ResetFrequency }),
	"zonerange":                     sizeOpt(func(j *Job) *int64 { return &j.ZoneRange }),
	"zoneskip":                      sizeOpt(func(j *Job) *int64 { return &j.ZoneSkip }),
	"steadystate": func(j *Job, v string, _ bool) error {
		ss, err := parseSteadyState(v)
		ss.Dur, ss.Ramp, ss.Interval = j.SteadyState.Dur, j.SteadyState.Ramp, j.SteadyState.Interval
		j.SteadyState = ss
		return err
	},
	"steadystate_duration":       ssTime(func(s *SteadyState) *time.Duration { return &s.Dur }),
	"steadystate_ramp_time":      ssTime(func(s *SteadyState) *time.Duration { return &s.Ramp }),
	"steadystate_check_interval": ssTime(func(s *SteadyState) *time.Duration { return &s.Interval }),
	"flow":                       intOpt(func(j *Job) *int { return &j.Flow }, 0, math.MaxInt32),
	"flow_id":                    intOpt(func(j *Job) *int { return &j.FlowID }, 0, math.MaxInt32),
	"flow_sleep": func(j *Job, v string, _ bool) error {
		d, err := parseMicros(v)
		j.FlowSleep = d
		return err
	},
	"thinktime": func(j *Job, v string, _ bool) error {
		d, err := parseMicros(v)
		j.ThinkTime = d
		return err
	},
	"thinktime_blocks": intOpt(func(j *Job) *int { return &j.ThinkBlocks }, 1, math.MaxInt32),
	"exitall":          boolOpt(func(j *Job) *bool { return &j.ExitAll }),
	"exit_what": func(j *Job, v string, _ bool) error {
		switch w := strings.ToLower(strings.TrimSpace(v)); w {
		case "group", "stonewall", "all":
			j.ExitWhat = w
			return nil
		}
		return fmt.Errorf("%q: want group, stonewall or all", v)
	},
	"ratemin": func(j *Job, v string, _ bool) error {
		r, err := parseRatePair(v, true)
		j.RateMin = r
		return err
	},
	"rate_iops_min": func(j *Job, v string, _ bool) error {
		r, err := parseRatePair(v, false)
		j.RateIOPSMin = r
		return err
	},
	"ratecycle": func(j *Job, v string, _ bool) error {
		n, err := parseInt(v, 1, math.MaxInt32) // milliseconds, as fio reads it
		j.RateCycle = time.Duration(n) * time.Millisecond
		return err
	},
	"rate_process": func(j *Job, v string, _ bool) error {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "linear":
			j.RateProcess = ""
		case "poisson":
			j.RateProcess = "poisson"
		default:
			return fmt.Errorf("%q: want linear or poisson", v)
		}
		return nil
	},
	"random_distribution": func(j *Job, v string, _ bool) error {
		d, err := ParseDistribution(v)
		d.Stride = j.Distribution.Stride // random_sequence_stride may come first
		j.Distribution = d
		return err
	},
	"random_sequence_stride": boolOpt(func(j *Job) *bool { return &j.Distribution.Stride }),
	"percentage_random": func(j *Job, v string, _ bool) error {
		if strings.Contains(v, ",") {
			return fmt.Errorf("%q: %w: per-direction percentages; give one for all", v, ErrUnsupportedOption)
		}
		n, err := parseInt(v, 0, 100)
		j.PercentSequential = 100 - int(n)
		return err
	},
	"blockalign": func(j *Job, v string, _ bool) error {
		if strings.Contains(v, ",") {
			return fmt.Errorf("%q: %w: per-direction alignment; give one for all", v, ErrUnsupportedOption)
		}
		n, err := ParseSize(v)
		if err == nil && n <= 0 {
			err = fmt.Errorf("%d must be positive", n)
		}
		j.BlockAlign = n
		return err
	},
	"norandommap":     boolOpt(func(j *Job) *bool { return &j.NoRandomMap }),
	"randrepeat":      boolOpt(func(j *Job) *bool { return &j.RandRepeat }),
	"group_reporting": boolOpt(func(j *Job) *bool { return &j.GroupReporting }),
	"randseed": func(j *Job, v string, _ bool) error {
		n, err := parseInt(v, 0, math.MaxInt64)
		j.RandSeed = uint64(n)
		return err
	},
	"verify": func(j *Job, v string, _ bool) error {
		name, err := parseVerify(v)
		j.Verify = name
		return err
	},
	"verify_pattern": func(j *Job, v string, _ bool) error {
		p, err := ParseVerifyPattern(v)
		j.VerifyPattern = p
		if err == nil && j.Verify == "" {
			j.Verify = "pattern" // as fio: a pattern alone is what is verified
		}
		return err
	},
	"verify_interval": func(j *Job, v string, _ bool) error {
		n, err := ParseSize(v)
		if err == nil && (n <= 0 || n > 64<<20) {
			err = fmt.Errorf("%d outside 1..64MiB", n)
		}
		j.VerifyInterval = int(n)
		return err
	},
	"verify_fatal":   boolOpt(func(j *Job) *bool { return &j.VerifyFatal }),
	"verify_backlog": intOpt(func(j *Job) *int { return &j.VerifyBacklog }, 0, math.MaxInt32),
	"do_verify":      boolOpt(func(j *Job) *bool { return &j.DoVerify }),
	"zero_buffers":   boolOpt(func(j *Job) *bool { return &j.ZeroBuffers }),
	"buffer_pattern": func(j *Job, v string, _ bool) error {
		p, err := ParseVerifyPattern(v)
		j.BufferPattern = p
		return err
	},
	"buffer_compress_percentage": intOpt(func(j *Job) *int { return &j.BufferCompressPercentage }, 0, 100),
	"direct":                     boolOpt(func(j *Job) *bool { return &j.Direct }),
	"fsync":                      intOpt(func(j *Job) *int { return &j.FsyncBlocks }, 0, math.MaxInt32),
	"fdatasync":                  intOpt(func(j *Job) *int { return &j.FdatasyncBlocks }, 0, math.MaxInt32),
	"end_fsync":                  boolOpt(func(j *Job) *bool { return &j.EndFsync }),
	"latency_target":             microsOpt(func(j *Job) *time.Duration { return &j.LatencyTarget }),
	"latency_window":             microsOpt(func(j *Job) *time.Duration { return &j.LatencyWindow }),
	"latency_run":                boolOpt(func(j *Job) *bool { return &j.LatencyRun }),
	"latency_percentile": func(j *Job, v string, _ bool) error {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err == nil && (f < 0 || f > 100) {
			err = fmt.Errorf("%g is not a percentage", f)
		}
		j.LatencyPercentile = f
		return err
	},
	"fsync_on_close": boolOpt(func(j *Job) *bool { return &j.FsyncOnClose }),
	"buffered": func(j *Job, v string, bare bool) error {
		b, err := parseBool(v, bare)
		j.Direct = !b
		return err
	},
	"filename":        fileOpt(func(f *fileOptions) *string { return &f.filename }),
	"directory":       fileOpt(func(f *fileOptions) *string { return &f.directory }),
	"filename_format": fileOpt(func(f *fileOptions) *string { return &f.format }),
	"ioengine":        setIOEngine,
	"kb_base": func(_ *Job, v string, _ bool) error {
		if strings.TrimSpace(v) != "1024" {
			return fmt.Errorf("%q: only the default 1024 is supported", v)
		}
		return nil
	},
}

func ssTime(field func(*SteadyState) *time.Duration) optionSetter {
	return func(j *Job, v string, _ bool) error {
		d, err := ParseDuration(v)
		*field(&j.SteadyState) = d
		return err
	}
}

// microsOpt sets a time option read in microseconds unless it has a unit.
func microsOpt(field func(*Job) *time.Duration) optionSetter {
	return func(j *Job, v string, _ bool) error {
		d, err := parseMicros(v)
		*field(j) = d
		return err
	}
}

// parseMicros reads a time in microseconds unless it has a unit, as fio
// reads thinktime.
func parseMicros(v string) (time.Duration, error) {
	if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("%d is negative", n)
		}
		return time.Duration(n) * time.Microsecond, nil
	}
	return ParseDuration(v)
}

// logOpt sets a write_*_log option: its value is the file name prefix,
// none means the job's name.
func logOpt(field func(*LogOptions) (*bool, *string)) optionSetter {
	return func(j *Job, v string, _ bool) error {
		on, prefix := field(&j.Logs)
		*on, *prefix = true, strings.TrimSpace(v)
		return nil
	}
}

// ratioOpt sets a ratio between 0 and 1.
func ratioOpt(field func(*Job) *float64) optionSetter {
	return func(j *Job, v string, _ bool) error {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err == nil && (f < 0 || f > 1) {
			err = fmt.Errorf("%g is not between 0 and 1", f)
		}
		*field(j) = f
		return err
	}
}

func intOpt(field func(*Job) *int, lo, hi int64) optionSetter {
	return func(j *Job, v string, _ bool) error {
		n, err := parseInt(v, lo, hi)
		if err == nil {
			*field(j) = int(n)
		}
		return err
	}
}

func sizeOpt(field func(*Job) *int64) optionSetter {
	return func(j *Job, v string, _ bool) error {
		n, err := ParseSize(v)
		if err == nil {
			*field(j) = n
		}
		return err
	}
}

func boolOpt(field func(*Job) *bool) optionSetter {
	return func(j *Job, v string, bare bool) error {
		b, err := parseBool(v, bare)
		if err == nil {
			*field(j) = b
		}
		return err
	}
}

// syncEngines run one I/O at a time in fio; asyncEngines keep iodepth in
// flight. Both map onto the engine's asynchronous Device API.
var ioEngines = map[string]bool{
	"libaio": true, "io_uring": true, "posixaio": true, "null": true,
	"psync": true, "sync": true, "pvsync": true, "pvsync2": true, "vsync": true,
}

func setIOEngine(j *Job, v string, _ bool) error {
	e := strings.ToLower(strings.TrimSpace(v))
	if !ioEngines[e] {
		return fmt.Errorf("%w (nvmf-chaos drives its own targets; generic engines are accepted: libaio, io_uring, posixaio, psync, sync, pvsync, pvsync2, vsync, null)", ErrUnsupportedOption)
	}
	j.IOEngine = e
	return nil
}

// fileOptions are a job's filename=, directory= and filename_format= as
// written; resolveTarget turns them into the job's Target.
type fileOptions struct {
	filename, directory, format string
}

func (f fileOptions) set() bool { return f != fileOptions{} }

func fileOpt(field func(*fileOptions) *string) optionSetter {
	return func(j *Job, v string, _ bool) error {
		v = strings.TrimSpace(v)
		if v == "" {
			return errors.New("empty value")
		}
		*field(&j.files) = v
		return nil
	}
}

// resolveTarget maps the job's file options to a target URL: a URL is kept,
// an absolute path (or a relative one under an absolute directory=) becomes
// file:///path. What fio would resolve against its working directory, or
// spread over several files, is an error naming the option: a target given
// to the job (bench --target, a scenario's volume) replaces them instead.
func (j *Job) resolveTarget() (option string, err error) {
	f := j.files
	if !f.set() {
		return "", nil
	}
	name := f.filename
	switch {
	case f.format != "" && name == "":
		if strings.Contains(f.format, "$") {
			return "filename_format", fmt.Errorf("filename_format %q: %w: one file per job and clone; give a target", f.format, ErrUnsupportedOption)
		}
		name = f.format
	case name == "":
		return "directory", fmt.Errorf("directory %q without filename: fio would create one file per job and clone; give filename= or a target", f.directory)
	}
	switch {
	case strings.Contains(name, "://"):
		if _, err := url.Parse(name); err != nil {
			return "filename", fmt.Errorf("filename %q: %w", name, err)
		}
		j.Target = name
		return "", nil
	case strings.Contains(name, ":"):
		return "filename", fmt.Errorf("filename %q: %w: several files (':' separated) in one job", name, ErrUnsupportedOption)
	case strings.Contains(f.directory, ":"):
		return "directory", fmt.Errorf("directory %q: %w: several directories (':' separated)", f.directory, ErrUnsupportedOption)
	}
	if !path.IsAbs(name) && f.directory != "" {
		name = path.Join(f.directory, name)
	}
	if !path.IsAbs(name) {
		return "filename", fmt.Errorf("filename %q: want an absolute path or a target URL, or give the job a target (bench --target, a scenario's volume) to replace it", name)
	}
	j.Target = (&url.URL{Scheme: "file", Path: name}).String()
	return "", nil
}

// applyOption sets one option on j; at ("file:line", or "") locates the
// notes of options accepted without effect.
func applyOption(j *Job, key, value string, bare bool, at string) error {
	key = canonicalOption(key)
	if q, ok := quietOptions[key]; ok {
		if err := q.check(value, bare); err != nil {
			return &OptionError{Option: key, Value: value, Err: err}
		}
		j.note(at, key, value, bare, q.reason)
		return nil
	}
	set, ok := options[key]
	if why, refused := refusedOptions[key]; !ok && refused {
		return fmt.Errorf("option %q: %w: %s", key, ErrUnsupportedOption, why)
	}
	if !ok {
		return fmt.Errorf("option %q: %w", key, ErrUnsupportedOption)
	}
	if err := set(j, value, bare); err != nil {
		return &OptionError{Option: key, Value: value, Err: err}
	}
	if key == "ioengine" {
		j.note(at, key, value, bare, engineNote(j.IOEngine))
	}
	return nil
}

// OptionError is a value an option cannot take.
type OptionError struct {
	Option, Value string
	Err           error
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("option %s=%q: %v", e.Option, e.Value, e.Err)
}

func (e *OptionError) Unwrap() error { return e.Err }

// ApplyOption sets one fio option on j by its fio name ("bs", "rw",
// "rate_iops", ...), as a command line flag or a scenario's workload key would.
// An empty value for a boolean option means true.
func ApplyOption(j *Job, key, value string) error {
	key = strings.ToLower(strings.TrimSpace(key))
	if err := applyOption(j, key, value, value == "" && isBoolOption(key), ""); err != nil {
		return err
	}
	// directory= alone waits for the filename it prefixes.
	if f := j.files; f.filename != "" || f.format != "" {
		if _, err := j.resolveTarget(); err != nil {
			return err
		}
	}
	finalizeJob(j)
	return nil
}

func isBoolOption(key string) bool {
	key = canonicalOption(key)
	switch key {
	case "time_based", "norandommap", "randrepeat", "group_reporting", "do_verify", "zero_buffers", "direct", "buffered",
		"stonewall", "new_group", "fill_device", "bs_unaligned", "verify_fatal", "log_offset", "random_sequence_stride", "clat_percentiles", "lat_percentiles", "exitall",
		"write_lat_log", "write_bw_log", "write_iops_log", "log_prio", "read_beyond_wp", "refill_buffers", "dedupe_global", "end_fsync", "fsync_on_close", "latency_run":
		return true
	}
	return quietOptions[key].boolean
}

// LookupOption reports whether ParseFio and ApplyOption accept the fio
// option name, and whether it may be given without a value.
func LookupOption(name string) (known, boolean bool) {
	key := canonicalOption(strings.ToLower(strings.TrimSpace(name)))
	_, set := options[key]
	_, quiet := quietOptions[key]
	return set || quiet, isBoolOption(key)
}

// SupportedOptions lists the fio option names ParseFio and ApplyOption
// accept, those accepted without effect included.
func SupportedOptions() []string {
	s := make([]string, 0, len(options)+len(quietOptions)+len(aliases))
	for k := range options {
		s = append(s, k)
	}
	for k := range quietOptions {
		s = append(s, k)
	}
	for k := range aliases {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}
