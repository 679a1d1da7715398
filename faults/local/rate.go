package local

import (
	"fmt"
	"strconv"
	"strings"
)

// rateUnits are tc's rate units (tc(8) "RATES"), in bits per second.
// Longest suffixes first so "kbit" is not read as "bit".
var rateUnits = []struct {
	suffix string
	bits   float64
}{
	{"tbit", 1e12}, {"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3},
	{"tbps", 8e12}, {"gbps", 8e9}, {"mbps", 8e6}, {"kbps", 8e3},
	{"bit", 1}, {"bps", 8},
}

// minRate and maxRate bound a bandwidth fault: below 8 kbit/s even a
// keep-alive stalls for seconds, above 100 Gbit/s nothing is squeezed.
const (
	minRate = 8e3
	maxRate = 100e9
)

// ParseRate reads a rate in tc syntax ("10mbit", "1.5gbit", "500kbps"; a
// bare number is bits per second) and returns bits per second.
func ParseRate(s string) (uint64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range rateUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.bits
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, fmt.Errorf("rate %q: want a number and a tc unit such as 10mbit", s)
	}
	bits := v * mult
	if !(bits >= minRate && bits <= maxRate) { // written so NaN fails too
		return 0, fmt.Errorf("rate %q: want 8kbit..100gbit", s)
	}
	return uint64(bits), nil
}
