package reports

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Value is a measured metric value in its unit's storage form (ns, count,
// IOPS, bytes/s). +Inf means unbounded: I/O never resumed, or the run ended
// before recovery. It is written to JSON as a number, or the string "+Inf".
type Value float64

// Unbounded reports whether v is +Inf.
func (v Value) Unbounded() bool { return math.IsInf(float64(v), 1) }

// MarshalJSON writes a number, or "+Inf" which JSON numbers cannot express.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.Unbounded() {
		return []byte(`"+Inf"`), nil
	}
	if math.IsNaN(float64(v)) || math.IsInf(float64(v), -1) {
		return nil, fmt.Errorf("value %v cannot be written", float64(v))
	}
	return json.Marshal(float64(v))
}

// UnmarshalJSON reads what MarshalJSON writes.
func (v *Value) UnmarshalJSON(b []byte) error {
	if string(b) == `"+Inf"` {
		*v = Value(math.Inf(1))
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("value: want a number or \"+Inf\": %w", err)
	}
	*v = Value(f)
	return nil
}

// FormatValue renders v for humans in unit u: "1.003s", "12", "20.5k",
// "95.4MiB/s"; an unbounded value reads "unbounded".
func FormatValue(u Unit, v Value) string {
	if v.Unbounded() {
		return "unbounded"
	}
	f := float64(v)
	switch u {
	case UnitDuration:
		return roundDuration(time.Duration(math.Round(f))).String()
	case UnitCount:
		return strconv.FormatInt(int64(math.Round(f)), 10)
	case UnitIOPS:
		return scaled(f, 1000, []string{"", "k", "M"}, "")
	case UnitRatio:
		return strconv.FormatFloat(f, 'f', 2, 64) + "x"
	default:
		return scaled(f, 1024, []string{"B", "KiB", "MiB", "GiB"}, "/s")
	}
}

// roundDuration keeps four significant digits: 1.0034567s reads 1.003s,
// 300.031µs reads 300µs.
func roundDuration(d time.Duration) time.Duration {
	r := time.Duration(1)
	for x := d / 10000; x > 0; x /= 10 {
		r *= 10
	}
	return d.Round(r)
}

func scaled(f, base float64, suffixes []string, tail string) string {
	i := 0
	for i+1 < len(suffixes) && math.Abs(f) >= base {
		f /= base
		i++
	}
	s := strconv.FormatFloat(f, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + suffixes[i] + tail
}
