package params

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// Resolve applies conf over the params' defaults and validates every param the
// way Airflow 3 does when it creates a DAG run, and returns the effective
// params: every declared param with its value, plus every conf key that names
// no param (Airflow keeps those, boxed into a Param without schema).
//
//   - a conf value replaces the default, even when it is null (null is then
//     validated against the schema like any other value);
//   - a param with neither a conf value nor a default fails with Airflow's
//     "No value passed and Param has no default value", whatever its schema;
//   - each value is validated with JSON Schema (draft 2020-12 unless the
//     schema names another, like Python's jsonschema.validate) with format
//     assertions on (Airflow passes FormatChecker()).
//
// The first failing param in declaration order is reported. (Airflow 2.x and
// 3.0 check conf keys in the conf's own order first; a Go map has none.)
func Resolve(ps []Param, conf map[string]any) (map[string]any, error) {
	return ResolveFor(3, ps, conf)
}

// ResolveFor is Resolve for an Airflow major version. With major 2, a string
// that fails "format": "date-time" is still accepted when it parses as an ISO
// 8601 date and time (Airflow 2's Param._warn_if_not_rfc3339_dt, which only
// warned); Airflow 3 removed that leniency.
func ResolveFor(major int, ps []Param, conf map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(ps)+len(conf))
	declared := make(map[string]bool, len(ps))
	for _, p := range ps {
		declared[p.Key] = true
		val, given := conf[p.Key]
		if !given {
			if !p.HasDefault {
				return nil, &ValidationError{Param: p.Key, Reason: reasonNoValue}
			}
			val = p.Default
		}
		if err := validate(major, p.Schema, val); err != nil {
			return nil, &ValidationError{Param: p.Key, Reason: err.Error()}
		}
		out[p.Key] = val
	}
	for k, v := range conf {
		if !declared[k] {
			out[k] = v
		}
	}
	return out, nil
}

const schemaURL = "airflow-param.json"

func validate(major int, schema map[string]any, val any) error {
	if len(schema) == 0 {
		return nil
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(schemaURL, schema); err != nil {
		return fmt.Errorf("invalid schema: %v", err)
	}
	sch, err := c.Compile(schemaURL)
	if err != nil {
		// Python's jsonschema.validate raises SchemaError here.
		return fmt.Errorf("invalid schema: %v", err)
	}
	err = sch.Validate(val)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	if major == 2 && onlyDateTimeFormat(ve) {
		if s, ok := val.(string); ok && isISO8601DateTime(s) {
			return nil
		}
	}
	return errors.New(reason(ve))
}

// reason is the validator's message without its first line, which only names
// the schema's internal URL.
func reason(ve *jsonschema.ValidationError) string {
	lines := strings.Split(ve.Error(), "\n")
	if len(lines) > 1 {
		lines = lines[1:]
	}
	for i, l := range lines {
		l = strings.TrimPrefix(strings.TrimSpace(l), "- ")
		lines[i] = strings.TrimPrefix(l, "at '': ") // the value itself
	}
	return strings.Join(lines, "; ")
}

func onlyDateTimeFormat(ve *jsonschema.ValidationError) bool {
	var leaves []*jsonschema.ValidationError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, e)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	for _, l := range leaves {
		f, ok := l.ErrorKind.(*kind.Format)
		if !ok || f.Want != "date-time" {
			return false
		}
	}
	return len(leaves) > 0
}

// iso8601DateTime covers the extended and basic ISO 8601 forms pendulum's
// parse_iso8601 turns into a datetime: a date, 'T' or a space, an hour with
// optional minutes, seconds and fraction, and an optional offset.
var iso8601DateTime = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(
		`^(\d{4})-?(\d{2})-?(\d{2})[T ](\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$`)
})

func isISO8601DateTime(s string) bool {
	m := iso8601DateTime().FindStringSubmatch(s)
	if m == nil {
		return false
	}
	num := func(i int) int {
		if m[i] == "" {
			return 0
		}
		n, _ := strconv.Atoi(m[i])
		return n
	}
	year, month, day := num(1), num(2), num(3)
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return false
	}
	return num(4) < 24 && num(5) < 60 && num(6) < 60
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
