package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/nvmf-chaos/nvmf-chaos/faults/catalog"
)

// maxFileSize bounds what Load reads: a scenario is a page of YAML, and a
// multi-megabyte file is a mistake (or an alias bomb) better refused early.
const maxFileSize = 1 << 20

// Loaded is a validated scenario and where it came from.
type Loaded struct {
	Scenario *Scenario
	// Source is the file path, or "builtin:NAME".
	Source string
	// Dir resolves relative paths in the scenario (fio job files).
	Dir string
}

// Load reads a scenario from a file path or a built-in name, and validates it.
func Load(nameOrPath string) (*Loaded, error) {
	if data, ok := builtinData(nameOrPath); ok && !fileExists(nameOrPath) {
		src := "builtin:" + nameOrPath
		s, err := ParseScenario(src, data)
		if err != nil {
			return nil, err
		}
		return &Loaded{Scenario: s, Source: src}, nil
	}
	data, err := readFile(nameOrPath)
	if err != nil {
		return nil, err
	}
	s, err := ParseScenario(nameOrPath, data)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(nameOrPath)
	resolveJobFiles(s, dir)
	return &Loaded{Scenario: s, Source: nameOrPath, Dir: dir}, nil
}

// resolveJobFiles makes relative fio job-file paths absolute against the
// scenario's folder, the way validation read them, so a run started from
// another working directory uses the same files.
func resolveJobFiles(s *Scenario, dir string) {
	for i := range s.Workloads {
		w := &s.Workloads[i]
		if w.Fio == "" || filepath.IsAbs(w.Fio) {
			continue
		}
		p := filepath.Join(dir, w.Fio)
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		w.Fio = p
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !strings.ContainsAny(path, "/.") {
			return nil, fmt.Errorf("scenario %q: no such file and no built-in of that name (see `nvmf-chaos list`)", path)
		}
		return nil, fmt.Errorf("scenario: %w", err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, maxFileSize+1)); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	if buf.Len() > maxFileSize {
		return nil, fmt.Errorf("scenario %s: larger than %d bytes", path, maxFileSize)
	}
	return buf.Bytes(), nil
}

// DocumentKind returns the kind: of a YAML document without validating it.
func DocumentKind(file string, data []byte) (string, error) {
	var head struct {
		Kind string `yaml:"kind"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return "", &FieldError{File: file, Msg: cleanYAMLError(err)}
	}
	return head.Kind, nil
}

// ParseScenario decodes and validates a scenario document. file names it in
// errors. Every problem found is returned at once as Errors.
func ParseScenario(file string, data []byte) (*Scenario, error) {
	var s Scenario
	pos, err := decodeStrict(file, data, &s)
	if err != nil {
		return nil, err
	}
	v := &validator{file: file, pos: pos}
	v.scenario(&s)
	if len(v.errs) > 0 {
		return nil, v.errs.sorted()
	}
	return &s, nil
}

// ParseSuite decodes and validates a suite document; scenario entries are
// resolved relative to dir and each is loaded and validated too.
func ParseSuite(file string, data []byte) (*Suite, error) {
	var s Suite
	pos, err := decodeStrict(file, data, &s)
	if err != nil {
		return nil, err
	}
	v := &validator{file: file, pos: pos}
	v.suite(&s, filepath.Dir(file))
	if len(v.errs) > 0 {
		return nil, v.errs.sorted()
	}
	return &s, nil
}

// decodeStrict parses one YAML document into out, reporting unknown keys
// and type errors with their lines.
func decodeStrict(file string, data []byte, out any) (positions, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		return nil, Errors{{File: file, Msg: "not valid YAML: " + cleanYAMLError(err)}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Errors{{File: file, Line: extra.Line, Msg: "more than one YAML document; put one scenario per file"}}
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil, Errors{{File: file, Msg: "empty document"}}
	}
	d := &decoder{file: file, pos: positions{}}
	d.check(root.Content[0], reflect.TypeOf(out).Elem(), "")
	if len(d.errs) > 0 {
		return nil, d.errs.sorted()
	}
	if err := root.Content[0].Decode(out); err != nil {
		return nil, Errors{{File: file, Msg: cleanYAMLError(err)}}
	}
	return d.pos, nil
}

// Validate checks a scenario changed after loading (command-line overrides)
// with the same rules as a file; errors name source and field, without
// line numbers.
func Validate(s *Scenario, source string) error {
	_, err := validate(s, source)
	return err
}

// validate is Validate, also returning the timeline's faults with their
// params parsed, by index, for the run to build them from.
func validate(s *Scenario, source string) ([]catalog.Config, error) {
	v := &validator{file: source}
	v.scenario(s)
	if len(v.errs) > 0 {
		return nil, v.errs.sorted()
	}
	return v.faults, nil
}
