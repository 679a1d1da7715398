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
}

// ioprioRT is the real-time class, the default of cmdprio_class.
const ioprioRT = 1

func ioprioValue(class, level, hint int) uint16 {
	return uint16(class<<13 | hint<<3 | level)
}

// used reports whether the job's I/Os carry priorities.
func (p *Prio) used() bool { return p.Set || p.CmdPercent != [2]int{} }

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
	if j.Prio.CmdPercent == [2]int{} {
		return nil
	}
	switch j.IOEngine {
	case "", "libaio", "io_uring":
		return nil
	}
	return fmt.Errorf("%w %q: cmdprio_percentage%s: an option of fio's libaio and io_uring engines, not of ioengine=%s", ErrInvalidJob, j.Name, j.where("cmdprio_percentage"), j.IOEngine)
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
	if j.Prio.CmdPercent != [2]int{} {
		opt = "cmdprio_percentage"
	}
	return fmt.Errorf("%w %q: %s%s: this target's backend cannot carry a per-I/O priority (file:// passes it to the kernel; NVMe/TCP and null:// have no place for it)", ErrInvalidJob, j.Name, opt, j.where(opt))
}

// pickPrio is the priority of the worker's next I/O in direction d.
func (w *worker) pickPrio(d Direction) uint16 {
	p := &w.job.Prio
	if d < DirTrim && p.CmdPercent[d] > 0 && int(w.prioRng.Uint64()%100) < p.CmdPercent[d] {
		return p.cmd(d)
	}
	return p.base()
}
