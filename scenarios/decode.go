package scenarios

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// positions maps a field path ("timeline.faults[1].at") to where its value
// starts, so semantic validation can point at the line.
type positions map[string]*yaml.Node

// decoder walks a YAML tree against a Go type before decoding it, to report
// every unknown key and badly typed value with its line, which yaml's own
// decoder does only for the first error and without the field path.
type decoder struct {
	file string
	pos  positions
	errs Errors
}

func (d *decoder) errorf(n *yaml.Node, field, format string, a ...any) {
	e := &FieldError{File: d.file, Field: field, Msg: fmt.Sprintf(format, a...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

// check records positions and type errors of n against t at path.
func (d *decoder) check(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.pos[path] = n
	if reflect.PointerTo(t).Implements(reflect.TypeFor[yaml.Unmarshaler]()) {
		d.checkScalar(n, t, path)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		d.check(n, t.Elem(), path)
	case reflect.Struct:
		d.checkStruct(n, t, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errorf(n, path, "want a list, got %s", describe(n))
			return
		}
		for i, el := range n.Content {
			d.check(el, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.errorf(n, path, "want a mapping, got %s", describe(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			d.check(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value))
		}
	default:
		d.checkScalar(n, t, path)
	}
}

// checkScalar decodes one value on its own to locate a type error.
func (d *decoder) checkScalar(n *yaml.Node, t reflect.Type, path string) {
	v := reflect.New(t)
	if err := n.Decode(v.Interface()); err != nil {
		d.errorf(n, path, "%s", cleanYAMLError(err))
	}
}

func (d *decoder) checkStruct(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping, got %s", describe(n))
		return
	}
	fields, inline := yamlFields(t)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		p := join(path, key.Value)
		if seen[key.Value] {
			d.errorf(key, p, "duplicate key")
			continue
		}
		seen[key.Value] = true
		f, ok := fields[key.Value]
		switch {
		case ok:
			d.check(val, f.Type, p)
		case inline:
			// Inline maps take any key; their owner validates the names.
			d.pos[p] = val
			if val.Kind != yaml.ScalarNode {
				d.errorf(val, p, "want a single value, got %s", describe(val))
			}
		default:
			d.unknownKey(key, p, fields)
		}
	}
}

func (d *decoder) unknownKey(key *yaml.Node, path string, fields map[string]reflect.StructField) {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	msg := fmt.Sprintf("unknown field %q", key.Value)
	if s := suggest(key.Value, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	d.errorf(key, path, "%s; allowed: %s", msg, strings.Join(names, ", "))
}

// yamlFields maps YAML keys to struct fields and says whether the struct
// has an inline map that accepts any other key.
func yamlFields(t reflect.Type) (map[string]reflect.StructField, bool) {
	fields := map[string]reflect.StructField{}
	inline := false
	for f := range t.Fields() {
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if strings.Contains(opts, "inline") {
			inline = true
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f
	}
	return fields, inline
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

// cleanYAMLError drops yaml's "yaml: unmarshal errors:\n  line N:" framing:
// the FieldError already carries the line.
func cleanYAMLError(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:\n")
	msg = strings.TrimSpace(msg)
	if i := strings.Index(msg, ": "); strings.HasPrefix(msg, "line ") && i > 0 {
		msg = msg[i+2:]
	}
	return strings.ReplaceAll(msg, "!!str ", "")
}
