package scenarios

import (
	"embed"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// suiteLibrary holds the built-in suites, run by name (`nvmf-chaos suite
// release`).
//
//go:embed suites/*.yaml
var suiteLibrary embed.FS

// SuiteOverrides apply to every entry of a suite, over the entry's own.
type SuiteOverrides struct {
	// Duration scales every scenario's timeline (see Scale).
	Duration time.Duration
	// Seed is every scenario's seed.
	Seed int64
}

// LoadedSuite is a suite ready to run: every entry loaded, its overrides
// applied, validated and planned.
type LoadedSuite struct {
	Suite  *Suite
	Source string
	Runs   []SuiteRun
}

// SuiteRun is one entry of a suite.
type SuiteRun struct {
	// Dir is the entry's folder in the suite folder: "01-target-kill".
	Dir    string
	Source string
	Batch  *Batch
}

// LoadSuite reads a suite from a file or a built-in name and prepares
// every entry. Everything is checked before anything runs: every bad
// entry (a missing file, an override that breaks a rule, a timeline that
// cannot scale) is reported at once, located in the suite file.
func LoadSuite(nameOrPath string, o SuiteOverrides) (*LoadedSuite, error) {
	source, data, err := suiteSource(nameOrPath)
	if err != nil {
		return nil, err
	}
	var s Suite
	pos, err := decodeStrict(source, data, &s)
	if err != nil {
		return nil, err
	}
	dir := "."
	if !strings.HasPrefix(source, "builtin:") {
		dir = filepath.Dir(source)
	}
	v := &validator{file: source, pos: pos}
	v.suite(&s, dir)
	ls := &LoadedSuite{Suite: &s, Source: source}
	for i, e := range s.Scenarios {
		if r := v.suiteEntry(i, e, dir, o); r != nil {
			ls.Runs = append(ls.Runs, *r)
		}
	}
	if len(v.errs) > 0 {
		return nil, v.errs.sorted()
	}
	return ls, nil
}

// suiteSource returns a suite file's name and contents, or a built-in's.
func suiteSource(nameOrPath string) (string, []byte, error) {
	if _, err := os.Stat(nameOrPath); err != nil && nameOrPath != "" && !strings.ContainsAny(nameOrPath, "/\\.") {
		if data, err := suiteLibrary.ReadFile(path.Join("suites", nameOrPath+".yaml")); err == nil {
			return "builtin:" + nameOrPath, data, nil
		}
		return "", nil, fmt.Errorf("suite %q: no such file and no built-in suite of that name (built-in: %s)", nameOrPath, strings.Join(BuiltinSuites(), ", "))
	}
	data, err := readFile(nameOrPath)
	return nameOrPath, data, err
}

// BuiltinSuites lists the built-in suite names.
func BuiltinSuites() []string {
	entries, _ := suiteLibrary.ReadDir("suites")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	return out
}

// suiteEntry loads entry i, applies its overrides and o's, and plans its
// runs; problems are recorded against the entry's field. A scenario that
// does not load was already reported by suite.
func (v *validator) suiteEntry(i int, e SuiteEntry, dir string, o SuiteOverrides) *SuiteRun {
	f := fmt.Sprintf("scenarios[%d]", i)
	ref := e.Scenario
	if _, ok := builtinData(ref); !ok && !filepath.IsAbs(ref) {
		ref = filepath.Join(dir, ref)
	}
	l, err := Load(ref)
	if err != nil {
		return nil
	}
	s := l.Scenario
	if e.Host != nil {
		hv := &validator{}
		if hv.host(e.Host, "host"); len(hv.errs) > 0 {
			return nil // suite reported the override itself
		}
		mergeHost(&s.Host, *e.Host)
	}
	if e.Repeat != 0 {
		s.Repeat = e.Repeat
	}
	s.Seed = firstNonZero(o.Seed, e.Seed, s.Seed)
	d, field := o.Duration, f
	if d == 0 {
		d, field = e.Duration.D(), f+".duration"
	}
	if d > 0 {
		if err := Scale(s, d, l.Source); err != nil {
			v.errorf(field, "%s: %v", s.Metadata.Name, err)
			return nil
		}
	}
	if err := Validate(s, l.Source); err != nil {
		v.errorf(f, "%s with the suite's overrides: %v", s.Metadata.Name, err)
		return nil
	}
	b, err := NewBatch(s, l.Source)
	if err != nil {
		v.errorf(f, "%v", err)
		return nil
	}
	return &SuiteRun{Dir: fmt.Sprintf("%02d-%s", i+1, s.Metadata.Name), Source: l.Source, Batch: b}
}

// mergeHost sets every field the override gives. Digests can only be
// turned on: false is indistinguishable from not given.
func mergeHost(h *Host, o Host) {
	for _, p := range []struct{ dst, src *Duration }{{&h.KATO, &o.KATO}, {&h.ReconnectDelay, &o.ReconnectDelay},
		{&h.CtrlLossTmo, &o.CtrlLossTmo}, {&h.FastIOFailTmo, &o.FastIOFailTmo}, {&h.IOTimeout, &o.IOTimeout}} {
		if *p.src != 0 {
			*p.dst = *p.src
		}
	}
	if o.Policy != "" {
		h.Policy = o.Policy
	}
	if o.NrIOQueues != 0 {
		h.NrIOQueues = o.NrIOQueues
	}
	if o.QueueSize != 0 {
		h.QueueSize = o.QueueSize
	}
	h.HeaderDigest = h.HeaderDigest || o.HeaderDigest
	h.DataDigest = h.DataDigest || o.DataDigest
}

func firstNonZero(xs ...int64) int64 {
	for _, x := range xs {
		if x != 0 {
			return x
		}
	}
	return 0
}
