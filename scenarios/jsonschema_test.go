package scenarios

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

var updateSchema = flag.Bool("update", false, "rewrite scenarios/schema from the Go types")

var schemaFiles = map[string]string{KindScenario: "scenario.schema.json", KindSuite: "suite.schema.json"}

// TestJSONSchemaFilesCurrent fails when a schema type changed and the
// committed schema was not regenerated (go test ./scenarios -run
// JSONSchema -update).
func TestJSONSchemaFilesCurrent(t *testing.T) {
	for kind, file := range schemaFiles {
		got, err := JSONSchema(kind)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("schema", file)
		if *updateSchema {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./scenarios -run JSONSchema -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: the Go types changed; run go test ./scenarios -run JSONSchema -update", path)
		}
	}
	if _, err := JSONSchema("Pod"); err == nil {
		t.Error("schema of an unknown kind")
	}
}

func compileSchema(t *testing.T, kind string) *jsonschema.Schema {
	t.Helper()
	data, err := JSONSchema(kind)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaFiles[kind], doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(schemaFiles[kind])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlToJSON converts a YAML document the way an editor's YAML language
// server does before checking it against a schema.
func yamlToJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestBuiltinsMatchJSONSchema: every document the loader accepts that we
// ship validates against the generated schema.
func TestBuiltinsMatchJSONSchema(t *testing.T) {
	sc := compileSchema(t, KindScenario)
	entries, err := library.ReadDir("library")
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string][]byte{"minimal": []byte(minimal), "sweep": []byte(minimal + "repeat: 3\nsweep:\n  - {param: host.kato, values: [1s, 2]}\n")}
	for _, e := range entries {
		docs[e.Name()], _ = library.ReadFile("library/" + e.Name())
	}
	for name, data := range docs {
		if err := sc.Validate(yamlToJSON(t, data)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	su := compileSchema(t, KindSuite)
	for _, name := range BuiltinSuites() {
		data, _ := suiteLibrary.ReadFile("suites/" + name + ".yaml")
		if err := su.Validate(yamlToJSON(t, data)); err != nil {
			t.Errorf("suite %s: %v", name, err)
		}
	}
}

// TestJSONSchemaIsStrict: the schema refuses what the loader refuses,
// except a workload's fio options, which any key may name.
func TestJSONSchemaIsStrict(t *testing.T) {
	sc := compileSchema(t, KindScenario)
	tests := []struct {
		name, from, to string
		ok             bool
	}{
		{"fio option inline", "iodepth: 8}", "iodepth: 8, rwmixread: 70, do_verify: \"1\"}", true},
		{"unknown key", "  duration: 20s", "  duraton: 20s", false},
		{"bad duration", "at: 5s", "at: soon", false},
		{"bad enum", "nodes: [tgt-a, tgt-b]}", "nodes: [tgt-a, tgt-b], backend: moon}", false},
		{"number for duration", "at: 5s", "at: 5", false},
		{"missing required", "metadata: {name: t1}\n", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(minimal, tc.from) {
				t.Fatalf("fixture lacks %q", tc.from)
			}
			err := sc.Validate(yamlToJSON(t, []byte(strings.Replace(minimal, tc.from, tc.to, 1))))
			if (err == nil) != tc.ok {
				t.Errorf("valid = %v, want %v: %v", err == nil, tc.ok, err)
			}
		})
	}
}
