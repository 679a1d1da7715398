package catalog

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Param describes one parameter a kind accepts in a scenario's params
// map.
type Param struct {
	Name    string
	Help    string
	Default string
}

// ParamError is one bad parameter. The scenario's validator places it at
// its fault's params.<Name>; its message names the parameter and the
// value given.
type ParamError struct {
	Name  string
	Value string
	Msg   string
}

func (e *ParamError) Error() string { return e.Msg }

// ParamErrors lists the bad parameters err reports, in order: err is what
// Spec.Parse or Spec.CheckParam returned. An error that names no
// parameter (there is none today) comes back with an empty Name.
func ParamErrors(err error) []*ParamError {
	if err == nil {
		return nil
	}
	var out []*ParamError
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			out = append(out, ParamErrors(e)...)
		}
		return out
	}
	var pe *ParamError
	if errors.As(err, &pe) {
		return []*ParamError{pe}
	}
	return []*ParamError{{Msg: err.Error()}}
}

// Values reads a fault's params, each with its kind's default when the
// scenario leaves it out, into typed values. A bad value is recorded as a
// ParamError naming it and read as the type's zero, so one pass reports
// every bad parameter; Spec.Parse refuses the fault when any was bad.
type Values struct {
	m    map[string]string
	errs []error
}

// fail records a bad value of name.
func (v *Values) fail(name, format string, a ...any) {
	msg := fmt.Sprintf("%s %q: ", name, v.m[name]) + fmt.Sprintf(format, a...)
	v.errs = append(v.errs, &ParamError{Name: name, Value: v.m[name], Msg: msg})
}

// Fail records that name's value is bad for a reason the typed readers do
// not know (a value that needs another parameter, a syntax of its own).
func (v *Values) Fail(name string, err error) {
	v.errs = append(v.errs, &ParamError{Name: name, Value: v.m[name], Msg: fmt.Sprintf("%s %q: %v", name, v.m[name], err)})
}

// String is name's value as given.
func (v *Values) String(name string) string { return v.m[name] }

// OneOf is name's value, which must be one of allowed.
func (v *Values) OneOf(name string, allowed ...string) string {
	s := v.m[name]
	if !slices.Contains(allowed, s) {
		v.fail(name, "want one of %s", strings.Join(allowed, ", "))
		return ""
	}
	return s
}

// Int is name's value as a whole number in lo..hi.
func (v *Values) Int(name string, lo, hi int) int {
	n, err := strconv.Atoi(strings.TrimSpace(v.m[name]))
	if err != nil || n < lo || n > hi {
		v.fail(name, "want a whole number %d..%d", lo, hi)
		return 0
	}
	return n
}

// Bool is name's value, true or false.
func (v *Values) Bool(name string) bool {
	switch v.m[name] {
	case "true":
		return true
	case "false":
		return false
	}
	v.fail(name, "want one of true, false")
	return false
}

// Duration is name's value in Go syntax, more than 0 and at most hi.
func (v *Values) Duration(name string, hi time.Duration) time.Duration {
	d, err := time.ParseDuration(strings.TrimSpace(v.m[name]))
	switch {
	case err != nil:
		v.fail(name, "want a duration in Go syntax such as 500ms, 2s or 1m30s")
		return 0
	case d <= 0 || d > hi:
		v.fail(name, "want more than 0 and at most %s", hi)
		return 0
	}
	return d
}
