package workloads

import (
	"fmt"
	"strings"
)

// I/O priorities, as fio sets them: prioclass/prio/priohint give every I/O
// of the job a priority (fio's ioprio_set on the job's thread), and
// cmdprio_percentage with cmdprio_class/cmdprio/cmdprio_hint give that
// percentage of the reads and writes another one (fio's libaio and io_uring
// engines, per I/O). A priority is Linux's ioprio value: class << 13 |
// hint << 3 | level. Only backends that pass it on to the kernel take such
// a job (file://; see prioDevice).

// Prio holds a job's priority options.
type Prio struct {
	// Class, Level and Hint are prioclass, prio and priohint; Set is
	// whether any was given (else the I/Os carry no priority).
	Class int  `json:"prioclass,omitempty"`
	Level int  `json:"prio,omitempty"`
	Hint  int  `json:"priohint,omitempty"`
	Set   bool `json:"set,omitempty"`
	// CmdPercent of the reads ([0]) and writes ([1]) carry CmdClass
	// (default 1, real time), CmdLevel and CmdHint instead.
	CmdPercent [2]int `json:"cmdprio_percentage,omitzero"`
	CmdClass   [2]int `json:"cmdprio_class,omitzero"`
	CmdLevel   [2]int `json:"cmdprio,omitzero"`
	CmdHint    [2]int `json:"cmdprio_hint,omitzero"`
	// CmdBSSplit, instead of CmdPercent, gives the reads' ([0]) and
	// writes' ([1]) percentages by block size (cmdprio_bssplit).
	CmdBSSplit [2][]PrioSplit `json:"cmdprio_bssplit,omitzero"`
}

// PrioSplit is one cmdprio_bssplit entry: Percent of the I/Os of BS bytes
// carry its priority, or with Own unset cmdprio_class/cmdprio/cmdprio_hint.
type PrioSplit struct {
	BS      int  `json:"bs"`
	Percent int  `json:"percent"`
	Own     bool `json:"own,omitempty"`
	Class   int  `json:"class,omitempty"`
	Level   int  `json:"level,omitempty"`
	Hint    int  `json:"hint,omitempty"`
}

// ioprioRT is the real-time class, the default of cmdprio_class.
const ioprioRT = 1

func ioprioValue(class, level, hint int) uint16 {
	return uint16(class<<13 | hint<<3 | level)
}

// used reports whether the job's I/Os carry priorities.
func (p *Prio) used() bool { return p.Set || p.cmdprio() }

// cmdprio reports whether cmdprio_percentage or cmdprio_bssplit is set.
func (p *Prio) cmdprio() bool {
	return p.CmdPercent != [2]int{} || p.CmdBSSplit[0] != nil || p.CmdBSSplit[1] != nil
}

// setCmdprioBSSplit reads cmdprio_bssplit=READS[,WRITES[,TRIMS]], each a
// ':' list of bs/percent[/class/level[/hint]] (trims' is ignored, as fio
// ignores it); one list is for reads and writes.
func setCmdprioBSSplit(j *Job, v string, _ bool) error {
	parts := strings.Split(v, ",")
	if len(parts) > 3 {
		return fmt.Errorf("%q: at most one list for reads, writes and trims", v)
	}
	for d := range 2 {
		var l []PrioSplit
		for e := range strings.SplitSeq(parts[min(d, len(parts)-1)], ":") {
			s, err := parsePrioSplit(e)
			if err != nil {
				return err
			}
			l = append(l, s)
		}
		j.Prio.CmdBSSplit[d] = l
	}
	return nil
}

func parsePrioSplit(e string) (PrioSplit, error) {
	f := strings.Split(strings.TrimSpace(e), "/")
	if len(f) == 3 || len(f) > 5 {
		return PrioSplit{}, fmt.Errorf("entry %q: want bs/percent, bs/percent/class/level or bs/percent/class/level/hint", e)
	}
	bs, err := ParseSize(f[0])
	if err != nil || bs <= 0 || bs > maxTrimBS {
		return PrioSplit{}, fmt.Errorf("entry %q: bad block size", e)
	}
	s := PrioSplit{BS: int(bs)}
	limits := []int64{100, 3, 7, 1023}
	dst := []*int{&s.Percent, &s.Class, &s.Level, &s.Hint}
	for i, v := range f[1:] {
		if strings.TrimSpace(v) == "" && i == 0 {
			continue // bs/: no percentage
		}
		n, err := parseInt(v, 0, limits[i])
		if err != nil {
			return PrioSplit{}, fmt.Errorf("entry %q: %w", e, err)
		}
		*dst[i] = int(n)
	}
	s.Own = len(f) >= 4
	return s, nil
}

// base is the priority of every I/O cmdprio does not pick.
func (p *Prio) base() uint16 {
	if !p.Set {
		return 0
	}
	return ioprioValue(p.Class, p.Level, p.Hint)
}

// cmd is the priority cmdprio gives to the I/Os it picks in direction d.
func (p *Prio) cmd(d Direction) uint16 {
	return ioprioValue(cmpOrInt(p.CmdClass[d], ioprioRT), p.CmdLevel[d], p.CmdHint[d])
}

func cmpOrInt(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// prioOpt sets prioclass, prio or priohint.
func prioOpt(field func(*Prio) *int, hi int64) optionSetter {
	return func(j *Job, v string, _ bool) error {
		n, err := parseInt(v, 0, hi)
		*field(&j.Prio) = int(n)
		j.Prio.Set = true
		return err
	}
}

// cmdprioOpt sets a cmdprio option: one value for reads and writes, or
// "R,W" (an empty side keeps its value).
func cmdprioOpt(field func(*Prio) *[2]int, lo, hi int64) optionSetter {
	return func(j *Job, v string, _ bool) error {
		parts := strings.Split(v, ",")
		if len(parts) > 2 {
			return fmt.Errorf("%q: want one value, or one for reads and one for writes", v)
		}
		dst := field(&j.Prio)
		for i := range 2 {
			s := strings.TrimSpace(parts[min(i, len(parts)-1)])
			if s == "" {
				continue
			}
			n, err := parseInt(s, lo, hi)
			if err != nil {
				return err
			}
			dst[i] = int(n)
		}
		return nil
	}
}

// validatePrio checks what fio checks: cmdprio options belong to its
// libaio and io_uring engines.
func (j *Job) validatePrio() error {
	if !j.Prio.cmdprio() {
		return nil
	}
	if j.Prio.CmdPercent != [2]int{} && (j.Prio.CmdBSSplit[0] != nil || j.Prio.CmdBSSplit[1] != nil) {
		return fmt.Errorf("%w %q: cmdprio_bssplit%s: cmdprio_percentage and cmdprio_bssplit are mutually exclusive (as in fio)", ErrInvalidJob, j.Name, j.where("cmdprio_bssplit"))
	}
	for d, l := range j.Prio.CmdBSSplit {
		total := map[int]int{}
		for _, e := range l {
			if total[e.BS] += e.Percent; total[e.BS] > 100 {
				return fmt.Errorf("%w %q: cmdprio_bssplit%s: the %s entries of %d bytes add up to over 100%%", ErrInvalidJob, j.Name, j.where("cmdprio_bssplit"), Direction(d), e.BS)
			}
		}
	}
	switch j.IOEngine {
	case "", "libaio", "io_uring":
		return nil
	}
	return fmt.Errorf("%w %q: cmdprio%s: cmdprio options belong to fio's libaio and io_uring engines, not to ioengine=%s", ErrInvalidJob, j.Name, j.where("cmdprio_percentage"), j.IOEngine)
}

// prioDevice is a Device that passes Op.Prio on to where it is honoured.
type prioDevice interface {
	Device
	ioPriorities()
}

// checkPrio refuses a job with priorities on a backend that would drop them.
func checkPrio(j *Job, dev Device) error {
	if _, ok := dev.(prioDevice); ok || !j.Prio.used() {
		return nil
	}
	opt := "prioclass"
	switch {
	case j.Prio.CmdPercent != [2]int{}:
		opt = "cmdprio_percentage"
	case j.Prio.cmdprio():
		opt = "cmdprio_bssplit"
	}
	return fmt.Errorf("%w %q: %s%s: this target's backend cannot carry a per-I/O priority (file:// passes it to the kernel; NVMe/TCP and null:// have no place for it)", ErrInvalidJob, j.Name, opt, j.where(opt))
}

// pickPrio is the priority of the worker's next I/O, of size bytes in
// direction d (fio's fio_cmdprio_set_ioprio).
func (w *worker) pickPrio(d Direction, size int) uint16 {
	p := &w.job.Prio
	switch {
	case d >= DirTrim:
	case p.CmdPercent[d] > 0:
		if int(w.prioRng.Uint64()%100) < p.CmdPercent[d] {
			return p.cmd(d)
		}
	case p.CmdBSSplit[d] != nil:
		return p.bsPrio(d, size, int(w.prioRng.Uint64()%100))
	}
	return p.base()
}

// bsPrio picks among the cmdprio_bssplit entries of size by r in [0, 100):
// each takes its percentage in turn; past their total, the default.
func (p *Prio) bsPrio(d Direction, size, r int) uint16 {
	cum := 0
	for _, e := range p.CmdBSSplit[d] {
		if e.BS != size {
			continue
		}
		if cum += e.Percent; r < cum {
			if !e.Own {
				return p.cmd(d)
			}
			return ioprioValue(e.Class, e.Level, e.Hint)
		}
	}
	return p.base()
}
