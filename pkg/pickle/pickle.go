// Package pickle reads and writes the Python pickles Airflow 2 keeps in
// dag_run.conf.
//
// Airflow 2 declares dag_run.conf as SQLAlchemy's PickleType
// (airflow/models/dagrun.py), which stores pickle.dumps(value,
// protocol=pickle.HIGHEST_PROTOCOL), i.e. protocol 5 on the Python versions
// Airflow 2.7-2.11 support. The conf itself comes from json.loads of the
// user's JSON (the CLI's --conf, the REST API body), so the values are
// JSON-like: dict, list, str, int, float, bool and None.
//
// Dumps and DumpsJSON write the exact bytes CPython's C pickler
// (Modules/_pickle.c) writes for pickle.dumps(json.loads(text), protocol=5),
// including its frames, memo and batching. Loads and LoadsJSON read any
// pickle of JSON-like values (protocols 0 to 5) without ever importing or
// calling anything: opcodes that name classes or call functions are refused
// with an *UnsupportedError, except the few builtins older protocols use for
// sets and bytes, which are recognised by name and rebuilt in Go.
package pickle

import (
	"errors"
	"fmt"
)

// OrderedMap is a JSON object / Python dict that keeps its key order
// (Python dicts keep insertion order, which for json.loads is text order).
// Every key in Keys has an entry in Values, and Keys has no duplicates.
type OrderedMap struct {
	Keys   []string
	Values map[string]any
}

// Set adds or replaces a key. A replaced key keeps its first position, as
// assigning to an existing Python dict key does.
func (m *OrderedMap) Set(key string, value any) {
	if m.Values == nil {
		m.Values = map[string]any{}
	}
	if _, ok := m.Values[key]; !ok {
		m.Keys = append(m.Keys, key)
	}
	m.Values[key] = value
}

// Get returns the value of key.
func (m OrderedMap) Get(key string) (any, bool) {
	v, ok := m.Values[key]
	return v, ok
}

// Len is the number of keys.
func (m OrderedMap) Len() int { return len(m.Keys) }

// MarshalJSON writes the object with its keys in order (see LoadsJSON for
// how values are written).
func (m OrderedMap) MarshalJSON() ([]byte, error) {
	var w jsonWriter
	if err := w.value(m, 0); err != nil {
		return nil, err
	}
	return w.buf, nil
}

// ErrMalformed is wrapped by every error about bytes that are not a valid
// pickle (truncated data, a bad stack, an unknown opcode, bad JSON text).
var ErrMalformed = errors.New("malformed")

// UnsupportedError reports a pickle opcode that reads values outside the
// JSON-like ones, typically a class or function reference (GLOBAL,
// STACK_GLOBAL, REDUCE, ...). Such pickles are refused instead of executed.
type UnsupportedError struct {
	Opcode string // opcode name as in Python's pickletools, e.g. "GLOBAL"
	Detail string // e.g. the class it names, "datetime datetime"
}

func (e *UnsupportedError) Error() string {
	s := "pickle: opcode " + e.Opcode
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s + " is not supported: only dict, list, tuple, set, str, bytes, int, float, bool and None can be read"
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("pickle: %w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}
