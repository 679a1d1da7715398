package scenarios

import (
	"embed"
	"fmt"
	"path"
	"sort"
	"strings"
)

// library holds the built-in scenarios, one file per scenario named after
// its metadata.name.
//
//go:embed library/*.yaml
var library embed.FS

// Builtin is one entry of the built-in library.
type Builtin struct {
	Name        string
	Description string
	Scenario    *Scenario
}

// builtinData returns the YAML of a built-in scenario.
func builtinData(name string) ([]byte, bool) {
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return nil, false
	}
	data, err := library.ReadFile(path.Join("library", name+".yaml"))
	return data, err == nil
}

// Builtins parses and returns every built-in scenario, sorted by name. An
// error means the embedded library itself is broken (a test guards that).
func Builtins() ([]Builtin, error) {
	entries, err := library.ReadDir("library")
	if err != nil {
		return nil, fmt.Errorf("built-in library: %w", err)
	}
	out := make([]Builtin, 0, len(entries))
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".yaml")
		data, _ := builtinData(name)
		s, err := ParseScenario("builtin:"+name, data)
		if err != nil {
			return nil, err
		}
		if s.Metadata.Name != name {
			return nil, fmt.Errorf("built-in %s: metadata.name is %q, want the file name", name, s.Metadata.Name)
		}
		out = append(out, Builtin{Name: name, Description: s.Metadata.Description, Scenario: s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
