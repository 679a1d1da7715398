package workloads

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// errPercent marks a size given as a percentage, which only some options take.
var errPercent = errors.New("percentage")

// ParseSize reads a size the way fio does with its default kb_base=1024:
// k/m/g/t/p (optionally followed by b, any case) are powers of 1024, while
// the IEC spellings kib/mib/gib/tib/pib are powers of 1000 (fio's
// compatibility quirk, kept so job files mean what they mean to fio). A 0x
// prefix reads hex. "100%" is rejected here.
func ParseSize(s string) (int64, error) {
	v, pct, err := parseSizeOrPercent(s)
	if err != nil {
		return 0, err
	}
	if pct {
		return 0, fmt.Errorf("size %q: %w not supported here", s, errPercent)
	}
	return v, nil
}

func parseSizeOrPercent(s string) (v int64, percent bool, err error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, false, fmt.Errorf("size %q: empty", s)
	}
	base := 10
	digits := t
	if len(t) > 2 && (t[:2] == "0x" || t[:2] == "0X") {
		base = 16
		digits = t[2:]
	}
	end := 0
	for end < len(digits) && isDigit(digits[end], base) {
		end++
	}
	if end == 0 {
		return 0, false, fmt.Errorf("size %q: no number", s)
	}
	n, err := strconv.ParseInt(digits[:end], base, 64)
	if err != nil {
		return 0, false, fmt.Errorf("size %q: %w", s, err)
	}
	suffix := strings.ToLower(strings.TrimSpace(digits[end:]))
	if suffix == "%" {
		if n > 100 {
			return 0, false, fmt.Errorf("size %q: percentage over 100", s)
		}
		return n, true, nil
	}
	mult, ok := sizeSuffix(suffix)
	if !ok {
		return 0, false, fmt.Errorf("size %q: unknown suffix %q (want k, m, g, t, p, optionally with b; kib.. are powers of 1000 as in fio)", s, suffix)
	}
	if n > math.MaxInt64/mult {
		return 0, false, fmt.Errorf("size %q: overflows 64 bits", s)
	}
	return n * mult, false, nil
}

func isDigit(c byte, base int) bool {
	if c >= '0' && c <= '9' {
		return true
	}
	if base == 16 {
		c |= 0x20
		return c >= 'a' && c <= 'f'
	}
	return false
}

func sizeSuffix(s string) (int64, bool) {
	pow := map[byte]int{'k': 1, 'm': 2, 'g': 3, 't': 4, 'p': 5}
	switch {
	case s == "" || s == "b":
		return 1, true
	case len(s) == 3 && s[1:] == "ib" && pow[s[0]] > 0:
		return ipow(1000, pow[s[0]]), true
	case (len(s) == 1 || (len(s) == 2 && s[1] == 'b')) && pow[s[0]] > 0:
		return ipow(1024, pow[s[0]]), true
	}
	return 0, false
}

func ipow(b int64, n int) int64 {
	r := int64(1)
	for range n {
		r *= b
	}
	return r
}

// ParseDuration reads a fio time value: an integer in seconds unless it has a
// suffix (us/usec, ms/msec, s/sec, m/min, h/hr, d/day). Go duration syntax
// ("1m30s", "1.5s") is accepted too, since scenario files use it.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	end := 0
	for end < len(t) && t[end] >= '0' && t[end] <= '9' {
		end++
	}
	if end == 0 {
		return 0, fmt.Errorf("time %q: no number", s)
	}
	unit, ok := map[string]time.Duration{
		"": time.Second, "us": time.Microsecond, "usec": time.Microsecond,
		"ms": time.Millisecond, "msec": time.Millisecond, "s": time.Second, "sec": time.Second,
		"m": time.Minute, "min": time.Minute, "h": time.Hour, "hr": time.Hour,
		"d": 24 * time.Hour, "day": 24 * time.Hour,
	}[t[end:]]
	if !ok {
		d, err := time.ParseDuration(t)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("time %q: want an integer with us, ms, s, m, h or d", s)
		}
		return d, nil
	}
	n, err := strconv.ParseInt(t[:end], 10, 64)
	if err != nil || n > int64(math.MaxInt64/unit) {
		return 0, fmt.Errorf("time %q: out of range", s)
	}
	return time.Duration(n) * unit, nil
}

// parseBool reads fio's boolean values; a bare option name means true.
func parseBool(s string, bare bool) (bool, error) {
	if bare {
		return true, nil
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (want 0 or 1)", s)
}

// parseInt reads a plain integer in [lo, hi].
func parseInt(s string, lo, hi int64) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d outside %d..%d", n, lo, hi)
	}
	return n, nil
}

// setBSSplit reads bssplit=SPLIT or READS,WRITES[,TRIMS] as fio's
// str_split_parse: with two, trims take the writes'.
func setBSSplit(j *Job, v string, _ bool) error {
	parts := strings.Split(v, ",")
	if len(parts) > 3 {
		return fmt.Errorf("%q: at most one split for reads, writes and trims", v)
	}
	var dirs [numDirs][]BSSplit
	for i, part := range parts {
		s, err := parseBSSplit(part)
		if err != nil {
			return err
		}
		dirs[i] = s
	}
	if len(parts) == 2 {
		dirs[DirTrim] = dirs[DirWrite]
	}
	j.BSSplit, j.BSSplitWrite, j.BSSplitTrim = dirs[DirRead], dirs[DirWrite], dirs[DirTrim]
	return nil
}

// parseBSSplit reads one split, 4k/10:64k/50:32k; an entry without a
// percentage shares what the others leave, as in fio.
func parseBSSplit(s string) ([]BSSplit, error) {
	var out []BSSplit
	left, blanks := 100, 0
	for _, part := range strings.Split(s, ":") {
		size, pct, hasPct := strings.Cut(strings.TrimSpace(part), "/")
		n, err := ParseSize(size)
		if err != nil || n <= 0 || n > math.MaxInt32 {
			return nil, fmt.Errorf("entry %q: bad size", part)
		}
		e := BSSplit{Size: int(n), Percent: -1}
		if hasPct && strings.TrimSpace(pct) != "" {
			p, err := parseInt(pct, 0, 100)
			if err != nil {
				return nil, fmt.Errorf("entry %q: %w", part, err)
			}
			e.Percent = int(p)
			left -= int(p)
		} else {
			blanks++
		}
		out = append(out, e)
	}
	if left < 0 {
		return nil, fmt.Errorf("percentages add up to %d", 100-left)
	}
	for i := range out {
		if out[i].Percent < 0 {
			out[i].Percent = left / blanks
			left -= out[i].Percent
			blanks--
		}
	}
	return out, nil
}

// parseRatePair reads rate=R[,W[,T]]: one value caps every direction;
// ",W" caps only writes.
func parseRatePair(s string, size bool) ([numDirs]int64, error) {
	var out [numDirs]int64
	parts := strings.Split(s, ",")
	if len(parts) > int(numDirs) {
		return out, fmt.Errorf("%q: want READ[,WRITE[,TRIM]]", s)
	}
	for i, p := range parts {
		n, err := parseRateValue(p, size)
		if err != nil {
			return out, err
		}
		out[i] = n
	}
	if len(parts) == 1 {
		out[DirWrite], out[DirTrim] = out[DirRead], out[DirRead]
	}
	return out, nil
}

// parseRateValue reads one direction's cap: bytes/s (with fio's suffixes)
// or a count; empty is no cap.
func parseRateValue(p string, size bool) (int64, error) {
	p = strings.TrimSpace(p)
	switch {
	case p == "":
		return 0, nil
	case size:
		return ParseSize(p)
	}
	return parseInt(p, 0, math.MaxInt64)
}

// setRW reads rw=PATTERN[:N]. For a sequential pattern N is a size (with
// fio's suffixes, negative to go backwards) added after each I/O; for a
// random one, the count of I/Os per random offset, as fio reads them.
func setRW(j *Job, v string, _ bool) error {
	name, mod, hasMod := strings.Cut(v, ":")
	rw, err := ParseRW(name)
	if err != nil {
		return err
	}
	j.RW, j.SeqAdd, j.SeqNr = rw, 0, 0
	if !hasMod {
		return nil
	}
	if rw.Random() {
		n, err := parseInt(mod, 1, math.MaxInt32)
		j.SeqNr = int(n)
		return err
	}
	neg := strings.HasPrefix(strings.TrimSpace(mod), "-")
	n, err := ParseSize(strings.TrimPrefix(strings.TrimSpace(mod), "-"))
	if neg {
		n = -n
	}
	j.SeqAdd = n
	return err
}

// setBS reads bs=N or a range bs=LO-HI (bsrange=LO-HI, LO:HI too). A
// per-direction value (bs=4k,64k) is refused: one size serves both.
func setBS(j *Job, v string, _ bool) error {
	if strings.Contains(v, ",") {
		return fmt.Errorf("%q: %w: per-direction block sizes; give one size or a range for both", v, ErrUnsupportedOption)
	}
	lo, hi, ranged := strings.Cut(v, "-")
	if !ranged {
		lo, hi, ranged = strings.Cut(v, ":")
	}
	n, err := parseBS(lo)
	if err != nil {
		return err
	}
	j.BS, j.BSMax, j.BSSplit, j.BSSplitWrite, j.BSSplitTrim = n, 0, nil, nil, nil
	if ranged {
		if j.BSMax, err = parseBS(hi); err == nil && j.BSMax < n {
			err = fmt.Errorf("%q: the high end is below the low", v)
		}
		if j.BSMax == n {
			j.BSMax = 0 // bsrange=4k-4k is bs=4k
		}
	}
	return err
}

// maxBS is the largest transfer a job that moves data may use: depth
// buffers of it are allocated. A job that only trims allocates no data
// and may go up to maxTrimBS (fio's zone-sized trims).
const (
	maxBS     = 64 << 20
	maxTrimBS = 1 << 30
)

func parseBS(v string) (int, error) {
	n, err := ParseSize(v)
	if err == nil && (n <= 0 || n > maxTrimBS) {
		err = fmt.Errorf("%d outside 1..1GiB", n)
	}
	return int(n), err
}
