package scenarios

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written in Go syntax ("1.5s", "200ms") in
// scenario files and results.
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String returns Go syntax.
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML reads Go duration syntax. A bare number is rejected: "30"
// could mean seconds or milliseconds, so the file must say.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a duration such as 500ms or 2s")
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration reads a non-negative Go duration, naming the value on error.
func ParseDuration(s string) (time.Duration, error) {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("duration %q: want Go syntax such as 500ms, 2s or 1m30s", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("duration %q: negative", s)
	}
	return v, nil
}

// MarshalJSON writes Go syntax so results read like the scenario.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads Go syntax.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string such as \"2s\": %w", err)
	}
	v, err := ParseDuration(s)
	*d = Duration(v)
	return err
}

// MarshalYAML writes Go syntax.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// Size is a byte count written with binary suffixes: k, m, g, t (with or
// without "iB"/"B"), all powers of 1024. Unlike fio's IEC quirk, "GiB" here
// means 2^30: a volume size is read as an operator reads it.
type Size int64

// String writes the largest exact binary unit.
func (s Size) String() string {
	units := []string{"TiB", "GiB", "MiB", "KiB"}
	for i, u := range units {
		shift := uint(10 * (len(units) - i))
		if s != 0 && s%(1<<shift) == 0 {
			return strconv.FormatInt(int64(s)>>shift, 10) + u
		}
	}
	return strconv.FormatInt(int64(s), 10)
}

// ParseSize reads a size such as 1GiB, 256m or 4096.
func ParseSize(str string) (Size, error) {
	t := strings.TrimSpace(str)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("size %q: want a number with an optional k, m, g or t suffix (1024-based)", str)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %w", str, err)
	}
	suffix := strings.ToLower(strings.TrimSpace(t[i:]))
	suffix = strings.TrimSuffix(strings.TrimSuffix(suffix, "b"), "i")
	shift := map[string]uint{"": 0, "k": 10, "m": 20, "g": 30, "t": 40}
	sh, ok := shift[suffix]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown suffix %q (want k, m, g or t)", str, t[i:])
	}
	if n > (1<<62)>>sh {
		return 0, fmt.Errorf("size %q: too large", str)
	}
	return Size(n << sh), nil
}

// UnmarshalYAML reads a size.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a size such as 1GiB or 256m")
	}
	v, err := ParseSize(n.Value)
	*s = v
	return err
}

// MarshalYAML writes the size with a binary unit.
func (s Size) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalJSON writes the size with a binary unit.
func (s Size) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads a size string or a plain byte count.
func (s *Size) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("size: want \"1GiB\" or a byte count: %w", err)
		}
		*s = Size(n)
		return nil
	}
	v, err := ParseSize(str)
	*s = v
	return err
}
