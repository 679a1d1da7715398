package workloads

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// ErrUnsupportedOption is wrapped by errors about fio options nvmf-chaos does
// not implement. They are never silently ignored: a job file that relies on
// one would measure something else than its author meant.
var ErrUnsupportedOption = errors.New("unsupported fio option")

// maxFioLine bounds one job-file line; fio itself reads 4 KiB lines.
const maxFioLine = 64 << 10

// LookupEnv finds an environment variable for ${VAR} expansion.
type LookupEnv func(name string) (string, bool)

// ParseOption changes how ParseFio reads a job file.
type ParseOption func(*parseConfig)

type parseConfig struct {
	override bool   // replace the jobs' file options
	target   string // with this target URL
}

// WithTarget replaces filename=, directory= and filename_format= of every job
// with target before the jobs are checked: what bench --target and a
// scenario's volume do, since job files name files relative to where fio
// runs or not at all (fio then names the file after the job). An empty
// target drops them; the caller opens the target itself.
func WithTarget(target string) ParseOption {
	return func(c *parseConfig) { c.override, c.target = true, target }
}

// ParseFioFile reads the fio job file at path, expanding ${VAR} from the
// process environment.
func ParseFioFile(path string, opts ...ParseOption) ([]Job, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("fio job file: %w", err)
	}
	defer f.Close()
	return ParseFio(f, path, os.LookupEnv, opts...)
}

// ParseFio reads a fio job file (INI): [global] sections set defaults for the
// job sections that follow them, each other section is a job; ';' and '#'
// start comments (whole lines, or after whitespace); ${VAR} is replaced from
// env (nil: no variables). name labels errors ("name:line: ..."). Each
// job's target comes from its file options, or from WithTarget; then the
// jobs are validated.
func ParseFio(r io.Reader, name string, env LookupEnv, opts ...ParseOption) ([]Job, error) {
	var cfg parseConfig
	for _, o := range opts {
		o(&cfg)
	}
	p := fioParser{name: name, env: env, global: DefaultJob("global")}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxFioLine)
	for sc.Scan() {
		p.line++
		if err := p.parseLine(sc.Text()); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, p.line+1, err)
	}
	p.finishJob()
	if len(p.jobs) == 0 {
		return nil, fmt.Errorf("%s: no job sections", name)
	}
	for i := range p.jobs {
		j := &p.jobs[i]
		if cfg.override {
			j.Target, j.files = cfg.target, fileOptions{}
		} else if opt, err := j.resolveTarget(); err != nil {
			return nil, fmt.Errorf("%s: job %q: %w", cmp.Or(j.origin[opt], name), j.Name, err)
		}
		if err := j.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := checkOrder(p.jobs); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p.jobs, nil
}

type fioParser struct {
	name   string
	env    LookupEnv
	line   int
	global Job  // options of [global] sections so far
	cur    *Job // the job section being read; nil in [global] or before any section
	inSect bool
	jobs   []Job
}

func (p *fioParser) errorf(format string, a ...any) error {
	return fmt.Errorf("%s:%d: "+format, append([]any{p.name, p.line}, a...)...)
}

func (p *fioParser) parseLine(raw string) error {
	line := stripComment(raw)
	if line == "" {
		return nil
	}
	if line[0] == '[' {
		return p.section(line)
	}
	if !p.inSect {
		return p.errorf("option %q outside a section", line)
	}
	key, value, hasValue := strings.Cut(line, "=")
	key = strings.ToLower(strings.TrimSpace(key))
	if strings.HasPrefix(key, "include ") {
		return p.errorf("%q: %w", key, ErrUnsupportedOption)
	}
	value, err := expandEnv(strings.TrimSpace(value), p.env)
	if err != nil {
		return p.errorf("option %q: %v", key, err)
	}
	j := &p.global
	if p.cur != nil {
		j = p.cur
	}
	at := fmt.Sprintf("%s:%d", p.name, p.line)
	if err := applyOption(j, key, value, !hasValue, at); err != nil {
		return p.errorf("%w", err)
	}
	j.setOrigin(canonicalOption(key), at)
	return nil
}

func (p *fioParser) section(line string) error {
	end := strings.IndexByte(line, ']')
	if end < 0 || strings.TrimSpace(line[end+1:]) != "" {
		return p.errorf("malformed section header %q", line)
	}
	name := strings.TrimSpace(line[1:end])
	if name == "" {
		return p.errorf("empty section name")
	}
	p.finishJob()
	p.inSect = true
	if strings.EqualFold(name, "global") {
		return nil
	}
	// A job starts as a copy of the global options read so far, as in fio.
	j := p.global
	j.Name = name
	j.BSSplit = append([]BSSplit(nil), p.global.BSSplit...)
	j.Notes = append([]string(nil), p.global.Notes...)
	j.origin = make(map[string]string, len(p.global.origin))
	for k, v := range p.global.origin {
		j.origin[k] = v
	}
	p.cur = &j
	return nil
}

func (p *fioParser) finishJob() {
	if p.cur != nil {
		finalizeJob(p.cur)
		p.jobs = append(p.jobs, *p.cur)
		p.cur = nil
	}
}

// finalizeJob applies the rules fio applies after parsing: synchronous I/O
// engines keep one I/O in flight whatever iodepth says.
func finalizeJob(j *Job) {
	j.resolveZoneUnits()
	switch j.IOEngine {
	case "psync", "sync", "pvsync", "pvsync2":
		j.IODepth = 1
	}
}

// stripComment trims a line and removes a ';' or '#' comment that starts it
// or follows whitespace.
func stripComment(s string) string {
	for i := 0; i < len(s); i++ {
		if (s[i] == ';' || s[i] == '#') && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			s = s[:i]
			break
		}
	}
	return strings.TrimSpace(s)
}

// expandEnv replaces ${VAR}; an unset variable is an error rather than an
// empty string, so a typo cannot turn size=${SIZE} into the whole device.
func expandEnv(s string, env LookupEnv) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ in %q", s)
		}
		name := s[i+2 : i+end]
		var v string
		ok := false
		if env != nil && name != "" {
			v, ok = env(name)
		}
		if !ok {
			return "", fmt.Errorf("environment variable %q is not set", name)
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+end+1:]
	}
}
