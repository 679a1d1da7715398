package live

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// How often the progress line is refreshed: a few times a second on a
// terminal, where the line is rewritten in place; every few seconds in a
// log (CI), where each refresh is a new line.
const (
	TerminalEvery = 300 * time.Millisecond
	PlainEvery    = 5 * time.Second
)

// Progress shows a Run's Snapshot on w. On a terminal it keeps one line
// rewritten in place; elsewhere it prints a plain line every PlainEvery.
// Progress is itself an io.Writer: log lines written through it appear
// above the live line instead of tearing it.
type Progress struct {
	w     io.Writer
	run   *Run
	tty   bool
	width int
	every time.Duration

	mu      sync.Mutex
	shown   bool // a live line is on screen (terminal)
	started bool
	stop    chan struct{}
	done    chan struct{}
}

// NewProgress returns a progress view of run on w; tty says w is a
// terminal, width its columns (0: unknown, lines are not cut).
func NewProgress(w io.Writer, run *Run, tty bool, width int) *Progress {
	every := PlainEvery
	if tty {
		every = TerminalEvery
	}
	return &Progress{w: w, run: run, tty: tty, width: width, every: every}
}

// Start begins refreshing. Call Stop to end it.
func (p *Progress) Start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return
	}
	p.started = true
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go p.loop()
}

func (p *Progress) loop() {
	defer close(p.done)
	t := time.NewTicker(p.every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.Render()
		}
	}
}

// Stop ends the refreshing and leaves the last state on screen, ended by a
// newline. Safe to call twice, or without Start.
func (p *Progress) Stop() {
	p.mu.Lock()
	started := p.started
	p.started = false
	p.mu.Unlock()
	if !started {
		return
	}
	close(p.stop)
	<-p.done
	p.Render()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprintln(p.w)
		p.shown = false
	}
}

// Render shows the current state once.
func (p *Progress) Render() {
	line := FormatLine(p.run.Snapshot())
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.tty {
		fmt.Fprintln(p.w, line)
		return
	}
	if p.width > 1 && len([]rune(line)) > p.width-1 {
		line = string([]rune(line)[:p.width-1]) // a wrapped line cannot be rewritten
	}
	fmt.Fprint(p.w, "\r"+line+clearEOL)
	p.shown = true
}

// clearEOL is the ANSI "erase to end of line" sequence.
const clearEOL = "\x1b[K"

// Write prints b above the live line.
func (p *Progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r"+clearEOL)
		p.shown = false // redrawn at the next tick
	}
	return p.w.Write(b)
}

// FormatLine renders a snapshot as one line:
//
//	[ 12.3s/1m5s] oltp 12.3k IOPS 48.0MiB/s p99 1.23ms | faults: process-kill@tgt-a | vol0: 127.0.0.1:4420 down, 127.0.0.1:4421 optimized
func FormatLine(s Snapshot) string {
	var b strings.Builder
	b.WriteString("[" + fmtElapsed(s.Elapsed))
	if s.Total > 0 {
		b.WriteString("/" + s.Total.String())
	}
	b.WriteString("]")
	if s.Total > 0 && s.Elapsed > s.Total && !s.Finished {
		// The workloads have stopped: their rates fall to zero while
		// the harness gathers results and tears down, which would read
		// as an outage.
		b.WriteString(" timeline done: collecting results, tearing down")
		return b.String()
	}
	if len(s.Workloads) == 0 {
		b.WriteString(" no I/O yet")
	}
	for i, w := range s.Workloads {
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " %s %s IOPS %s p99 %s", w.Name, fmtCount(w.IOPS), fmtBytes(w.BW), fmtLatency(w.P99))
		if w.Errors > 0 {
			fmt.Fprintf(&b, " errors %d", w.Errors)
		}
	}
	b.WriteString(" | faults: ")
	if len(s.Faults) == 0 {
		b.WriteString("none")
	}
	for i, f := range s.Faults {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Kind + "@" + f.Node)
	}
	vol := ""
	for _, ps := range s.Paths {
		if ps.Volume != vol {
			b.WriteString(" | " + ps.Volume + ": ")
			vol = ps.Volume
		} else {
			b.WriteString(", ")
		}
		b.WriteString(ps.Path + " " + ps.State)
	}
	if s.Finished {
		b.WriteString(" | SLOs " + map[bool]string{true: "passed", false: "FAILED"}[s.Pass])
	}
	return b.String()
}

func fmtElapsed(d time.Duration) string { return fmt.Sprintf("%6.1fs", d.Seconds()) }

// fmtCount writes a rate with 3 significant digits and an SI suffix.
func fmtCount(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.3gM", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.3gk", x/1e3)
	}
	return fmt.Sprintf("%.0f", x)
}

func fmtBytes(bps float64) string {
	const mib = 1 << 20
	if bps >= 1<<30 {
		return fmt.Sprintf("%.2fGiB/s", bps/(1<<30))
	}
	return fmt.Sprintf("%.1fMiB/s", bps/mib)
}

// fmtLatency writes a latency with 3 significant digits.
func fmtLatency(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%.3gµs", float64(d)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.3gms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.3gs", d.Seconds())
}
