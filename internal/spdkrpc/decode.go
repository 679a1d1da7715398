package spdkrpc

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// DecodeParams decodes a handler's params into v (a pointer to one of the
// params structs) the way SPDK's spdk_json_decode_object does: params must
// be an object, every member must be known, and every required member must
// be present. A field is required exactly when its json tag lacks
// omitempty, the same convention the client relies on when it encodes.
//
// The error says what is wrong; the handler chooses the code and message
// SPDK uses for that method (nvmf methods answer CodeInvalidParams
// "Invalid parameters", bdev and lvol ones CodeInternalError
// "spdk_json_decode_object failed").
func DecodeParams(params json.RawMessage, v any) error {
	return decodeParams(params, v, true)
}

// DecodeParamsRelaxed is DecodeParams ignoring unknown top-level members,
// as SPDK's spdk_json_decode_object_relaxed does for nvmf_create_transport,
// nvmf_subsystem_add_listener and nvmf_subsystem_add_host.
func DecodeParamsRelaxed(params json.RawMessage, v any) error {
	return decodeParams(params, v, false)
}

func decodeParams(params json.RawMessage, v any, strict bool) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("decode params: want a pointer to a struct, got %T", v)
	}
	if len(params) == 0 {
		params = json.RawMessage("{}") // no params: only all-optional structs pass
	}
	if kind(params) != '{' {
		return fmt.Errorf("params must be a JSON object")
	}
	if err := checkRequired(params, rv.Elem().Type(), "", strict); err != nil {
		return err
	}
	if !strict {
		// encoding/json matches member names case-insensitively; SPDK does
		// not, so an ignored "NQN" must not fill the nqn field.
		var err error
		if params, err = keepKnown(params, rv.Elem().Type()); err != nil {
			return err
		}
	}
	if err := json.Unmarshal(params, v); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	return nil
}

// checkRequired walks the struct type alongside the object's members,
// reporting a missing required member or, when strict (and always below the
// top level, as SPDK's nested decoders are strict), an unknown one.
func checkRequired(raw json.RawMessage, t reflect.Type, path string, strict bool) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return fmt.Errorf("params %s: %w", strings.TrimSuffix(path, "."), err)
	}
	known := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, optional, ok := jsonName(f)
		if !ok {
			continue
		}
		known[name] = true
		sub, present := members[name]
		if !present {
			if !optional {
				return fmt.Errorf("missing required member %q", path+name)
			}
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && kind(sub) == '{' {
			if err := checkRequired(sub, ft, path+name+".", true); err != nil {
				return err
			}
		}
	}
	if strict {
		for name := range members {
			if !known[name] {
				return fmt.Errorf("unknown member %q", path+name)
			}
		}
	}
	return nil
}

// keepKnown drops the top-level members t has no field for.
func keepKnown(raw json.RawMessage, t reflect.Type) (json.RawMessage, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return nil, fmt.Errorf("params: %w", err)
	}
	kept := map[string]json.RawMessage{}
	for i := range t.NumField() {
		if name, _, ok := jsonName(t.Field(i)); ok {
			if m, present := members[name]; present {
				kept[name] = m
			}
		}
	}
	return json.Marshal(kept)
}

// jsonName returns a field's member name and whether it is optional; ok is
// false for fields encoding/json skips.
func jsonName(f reflect.StructField) (name string, optional, ok bool) {
	if !f.IsExported() {
		return "", false, false
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false, false
	}
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	for _, o := range strings.Split(opts, ",") {
		if o == "omitempty" || o == "omitzero" {
			optional = true
		}
	}
	return name, optional, true
}
