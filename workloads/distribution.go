package workloads

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Distribution is fio's random_distribution: how random offsets spread over
// a job's region. The zero value is uniform (random).
type Distribution struct {
	// Kind is "" (uniform), "zipf", "pareto", "normal", "zoned" or "zoned_abs".
	Kind string `json:"kind,omitempty"`
	// Param is zipf's theta, pareto's power, normal's deviation in percent.
	Param float64 `json:"param,omitempty"`
	// Center in [0,1] places the most probable offset; -1 leaves zipf and
	// pareto's hot blocks scattered over the region, as fio does.
	Center float64 `json:"center,omitempty"`
	// Zones of zoned (Size in percent of the region) and zoned_abs (bytes).
	Zones []Zone `json:"zones,omitempty"`
	// Sequence is sequence's block indices, drawn in order, over and over;
	// with Stride each round moves on by the sequence's length
	// (random_sequence_stride).
	Sequence []uint64 `json:"sequence,omitempty"`
	Stride   bool     `json:"stride,omitempty"`
}

// maxSequence is fio's limit on sequence elements.
const maxSequence = 64

func parseSequence(s string) ([]uint64, error) {
	var seq []uint64
	for _, p := range strings.Split(s, ",") {
		n, err := parseInt(p, 0, math.MaxInt64)
		if err != nil {
			return nil, fmt.Errorf("sequence element %q: %w", p, err)
		}
		seq = append(seq, uint64(n))
	}
	if len(seq) > maxSequence {
		return nil, fmt.Errorf("sequence of %d elements: at most %d", len(seq), maxSequence)
	}
	return seq, nil
}

// Zone is one part of a zoned distribution: Percent of the accesses fall in
// the next Size of the region.
type Zone struct {
	Percent int   `json:"percent"`
	Size    int64 `json:"size"`
}

// ParseDistribution reads a random_distribution value: random,
// zipf:THETA[:CENTER], pareto:POWER[:CENTER], normal:DEV[:CENTER],
// zoned:P/S%:..., zoned_abs:P/SIZE:... (one set for every direction).
func ParseDistribution(s string) (Distribution, error) {
	d := Distribution{Center: -1}
	kind, rest, _ := strings.Cut(strings.TrimSpace(s), ":")
	kind = strings.ToLower(kind)
	if kind == "sequence" {
		d.Kind = kind
		seq, err := parseSequence(rest)
		d.Sequence = seq
		return d, err
	}
	if strings.Contains(rest, ",") {
		return d, fmt.Errorf("%q: %w: per-direction distributions; give one for all", s, ErrUnsupportedOption)
	}
	switch kind {
	case "random":
		return Distribution{}, nil
	case "zipf", "pareto", "normal":
		return parseSkew(kind, rest)
	case "zoned", "zoned_abs":
		d.Kind = kind
		zones, err := parseZones(rest, kind == "zoned_abs")
		d.Zones = zones
		return d, err
	}
	return d, fmt.Errorf("%q: want random, zipf, pareto, normal, zoned, zoned_abs or sequence", s)
}

func parseSkew(kind, rest string) (Distribution, error) {
	d := Distribution{Kind: kind, Center: -1}
	p, c, hasCenter := strings.Cut(rest, ":")
	v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
	if err != nil {
		return d, fmt.Errorf("%s: %q is not a number", kind, p)
	}
	d.Param = v
	switch {
	case kind == "zipf" && (v <= 0 || v == 1):
		return d, fmt.Errorf("zipf theta %v: want > 0 and not 1", v)
	case kind == "pareto" && (v <= 0 || v >= 1):
		return d, fmt.Errorf("pareto power %v: want between 0 and 1", v)
	case kind == "normal" && (v < 0 || v > 100):
		return d, fmt.Errorf("normal deviation %v: want 0..100 (percent)", v)
	}
	if hasCenter {
		if d.Center, err = strconv.ParseFloat(strings.TrimSpace(c), 64); err != nil || d.Center < 0 || d.Center > 1 {
			return d, fmt.Errorf("%s center %q: want 0..1", kind, c)
		}
	}
	return d, nil
}

// parseZones reads P/S:P/S...; a zone without a size takes what is left
// (zoned only), and the percentages must add up to 100.
func parseZones(s string, abs bool) ([]Zone, error) {
	var zones []Zone
	accesses, space := 0, int64(0)
	for _, part := range strings.Split(s, ":") {
		p, size, _ := strings.Cut(strings.TrimSpace(part), "/")
		pct, err := parseInt(p, 0, 100)
		if err != nil {
			return nil, fmt.Errorf("zone %q: %w", part, err)
		}
		z := Zone{Percent: int(pct)}
		switch {
		case strings.TrimSpace(size) == "" && !abs:
			z.Size = 100 - space
		case abs:
			z.Size, err = ParseSize(size)
		default:
			z.Size, err = parseInt(strings.TrimSuffix(size, "%"), 0, 100)
		}
		if err != nil {
			return nil, fmt.Errorf("zone %q: %w", part, err)
		}
		accesses, space = accesses+z.Percent, space+z.Size
		zones = append(zones, z)
	}
	switch {
	case accesses != 100:
		return nil, fmt.Errorf("zone accesses add up to %d%%, want 100", accesses)
	case !abs && space > 100:
		return nil, fmt.Errorf("zones cover %d%% of the region", space)
	}
	return zones, nil
}

// sampler draws block indices in [0, n) for one worker.
type sampler interface {
	next(r *rand.PCG) uint64
}

// newSampler returns the sampler of d over n blocks of unit bytes, or nil
// for uniform draws.
func newSampler(d Distribution, n uint64, unit int64, r *rand.PCG) sampler {
	off := r.Uint64() % n // where scattered hot blocks start, as fio's rand_off
	if d.Center >= 0 {
		off = uint64(float64(n) * d.Center)
	}
	switch d.Kind {
	case "zipf":
		return newZipf(n, d.Param, off, d.Center < 0)
	case "pareto":
		return &pareto{n: n, pow: math.Log(d.Param) / math.Log(1-d.Param), off: off, hash: d.Center < 0}
	case "normal":
		return newNormal(n, d.Param, d.Center)
	case "zoned", "zoned_abs":
		return newZoned(d, n, unit)
	case "sequence":
		return &sequence{seq: d.Sequence, stride: d.Stride, n: n}
	}
	return nil
}

// sequence replays fixed block indices; with stride, each round is the
// next group of len(seq) blocks.
type sequence struct {
	seq       []uint64
	stride    bool
	n         uint64
	pos, base uint64
}

func (q *sequence) next(*rand.PCG) uint64 {
	v := (q.base + q.seq[q.pos]) % q.n
	if q.pos++; q.pos == uint64(len(q.seq)) {
		q.pos = 0
		if q.stride {
			q.base += uint64(len(q.seq))
		}
	}
	return v
}

// uniform is a float in [0, 1).
func uniform(r *rand.PCG) float64 { return float64(r.Uint64()>>11) / (1 << 53) }

// zipf is fio's generator (Gray et al., "Quickly generating billion-record
// synthetic databases"): rank 1 is the most probable.
type zipf struct {
	n                        uint64
	theta, zetan, alpha, eta float64
	off                      uint64
	hash                     bool
	twoCut                   float64
}

// zipfMaxGen caps the terms of zeta(n), as fio does: past it the sum barely
// moves and computing it would take seconds.
const zipfMaxGen = 10_000_000

func newZipf(n uint64, theta float64, off uint64, hash bool) *zipf {
	z := &zipf{n: n, theta: theta, off: off, hash: hash}
	for i := range min(n, zipfMaxGen) {
		z.zetan += math.Pow(1/float64(i+1), theta)
	}
	zeta2 := 1 + math.Pow(0.5, theta)
	z.alpha = 1 / (1 - theta)
	z.eta = (1 - math.Pow(2/float64(n), 1-theta)) / (1 - zeta2/z.zetan)
	z.twoCut = 1 + math.Pow(0.5, theta)
	return z
}

func (z *zipf) next(r *rand.PCG) uint64 {
	u := uniform(r)
	var v uint64
	switch uz := u * z.zetan; {
	case uz < 1:
		v = 0
	case uz < z.twoCut:
		v = 1
	default:
		v = min(uint64(float64(z.n)*math.Pow(z.eta*u-z.eta+1, z.alpha)), z.n-1)
	}
	return scatter(v, z.off, z.n, z.hash)
}

// pareto is fio's: rank (n-1)*u^pow.
type pareto struct {
	n    uint64
	pow  float64
	off  uint64
	hash bool
}

func (p *pareto) next(r *rand.PCG) uint64 {
	return scatter(uint64(float64(p.n-1)*math.Pow(uniform(r), p.pow)), p.off, p.n, p.hash)
}

// scatter spreads ranks over the region: hashed, as fio does, so the hot
// blocks are not all at the start, or shifted to the center when one is given.
func scatter(v, off, n uint64, hash bool) uint64 {
	if hash {
		v = mix64(v)
	}
	return (v%n + off) % n
}

// normal draws around the center (default mid-region) with a standard
// deviation of dev percent of the region.
type normal struct {
	n            uint64
	center, sdev float64
}

func newNormal(n uint64, dev, center float64) *normal {
	if center < 0 {
		center = 0.5
	}
	return &normal{n: n, center: center * float64(n), sdev: dev / 100 * float64(n)}
}

func (g *normal) next(r *rand.PCG) uint64 {
	// Box-Muller on the worker's own generator keeps the draw repeatable.
	u1, u2 := uniform(r), uniform(r)
	z := math.Sqrt(-2*math.Log(1-u1)) * math.Cos(2*math.Pi*u2)
	v := math.Round(g.center + z*g.sdev)
	return uint64(math.Mod(math.Mod(v, float64(g.n))+float64(g.n), float64(g.n)))
}

// zoned picks a zone by its share of accesses, then a block in it uniformly.
type zoned struct {
	cum    []int    // cumulative access percentages
	starts []uint64 // first block of each zone
	sizes  []uint64 // blocks in each zone (at least 1)
	n      uint64
}

func newZoned(d Distribution, n uint64, unit int64) *zoned {
	z := &zoned{n: n}
	var start uint64
	total := 0
	for _, zn := range d.Zones {
		blocks := uint64(zn.Size / unit)
		if d.Kind == "zoned" {
			blocks = uint64(float64(n) * float64(zn.Size) / 100)
		}
		blocks = max(min(blocks, n-min(start, n-1)), 1)
		total += zn.Percent
		z.cum, z.starts, z.sizes = append(z.cum, total), append(z.starts, min(start, n-1)), append(z.sizes, blocks)
		start += blocks
	}
	return z
}

func (z *zoned) next(r *rand.PCG) uint64 {
	p := int(r.Uint64() % 100)
	for i, c := range z.cum {
		if p < c {
			return (z.starts[i] + r.Uint64()%z.sizes[i]) % z.n
		}
	}
	return r.Uint64() % z.n
}

var errZonedAbsTooBig = errors.New("zoned_abs zones reach past the region")

// check validates zoned_abs sizes against a region of length bytes.
func (d Distribution) check(length int64) error {
	if d.Kind != "zoned_abs" {
		return nil
	}
	var total int64
	for _, z := range d.Zones {
		total += z.Size
	}
	if total > length {
		return fmt.Errorf("%w: %d bytes of %d", errZonedAbsTooBig, total, length)
	}
	return nil
}
