package scenarios

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/invopop/jsonschema"
)

// Schema IDs: where editors may fetch the committed schemas from.
const schemaBase = "https://github.com/nvmf-chaos/nvmf-chaos/raw/main/scenarios/schema/"

// durationPattern is Go duration syntax ("1.5s", "1m30s", "0").
const durationPattern = `^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$`

// JSONSchema returns the JSON Schema (draft 2020-12) of a scenario or a
// suite document (kind is KindScenario or KindSuite), generated from the Go
// types so it cannot drift from what Load reads; scenarios/schema holds the
// committed copies editors use. Objects are strict (unknown keys are
// errors, as in Load) except a workload, which takes any fio option.
// Where the YAML loader accepts a bare number for a string field (SLO
// bounds, sweep values, fault params, fio options), so does the schema.
func JSONSchema(kind string) ([]byte, error) {
	var v any
	switch kind {
	case KindScenario:
		v = &Scenario{}
	case KindSuite:
		v = &Suite{}
	default:
		return nil, fmt.Errorf("schema for %q: want %s or %s", kind, KindScenario, KindSuite)
	}
	r := &jsonschema.Reflector{Mapper: mapUnits}
	s := r.Reflect(v)
	s.ID = jsonschema.ID(schemaBase + map[string]string{KindScenario: "scenario", KindSuite: "suite"}[kind] + ".schema.json")
	s.Title = "nvmf-chaos " + kind
	loosen(s.Definitions)
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("schema for %s: %w", kind, err)
	}
	return append(out, '\n'), nil
}

// mapUnits writes durations and sizes as the strings a file holds.
func mapUnits(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[Duration]():
		return &jsonschema.Schema{Type: "string", Pattern: durationPattern,
			Description: "Go duration: 500ms, 2s, 1m30s"}
	case reflect.TypeFor[Size]():
		return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
			{Type: "string", Pattern: `^\s*[0-9]+\s*([kKmMgGtT]([iI]?[bB])?|[bB])?\s*$`},
			{Type: "integer", Minimum: "0"},
		}, Description: "size with 1024-based suffix: 4096, 64k, 256MiB, 1GiB"}
	}
	return nil
}

// scalar is any YAML scalar: the loader reads 32 and "32" alike into a
// string field.
func scalar() *jsonschema.Schema {
	return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Type: "string"}, {Type: "number"}, {Type: "boolean"}}}
}

// loosen lets through the scalars the YAML loader accepts, where a file
// is likely to write a bare number.
func loosen(defs jsonschema.Definitions) {
	if w, ok := defs["Workload"]; ok {
		w.AdditionalProperties = scalar()
		w.Description = "a fio-style job: name, volume, and fio options inline (rw, bs, iodepth, ...) or a fio job file"
	}
	set := func(def, prop string, s *jsonschema.Schema) {
		d, ok := defs[def]
		if !ok || d.Properties == nil {
			return
		}
		if old, ok := d.Properties.Get(prop); ok {
			s.Description = old.Description
			d.Properties.Set(prop, s)
		}
	}
	set("SLO", "max", scalar())
	set("SLO", "min", scalar())
	set("FaultEvent", "params", &jsonschema.Schema{Type: "object", AdditionalProperties: scalar()})
	set("SweepAxis", "values", &jsonschema.Schema{Type: "array", Items: scalar(), MinItems: ptr(uint64(1))})
}

func ptr[T any](v T) *T { return &v }
