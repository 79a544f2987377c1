package params

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// argNotSet stands for Airflow's NOTSET sentinel, serialized as
// {"__type": "arg_not_set", "__var": null}.
type argNotSet struct{}

// Decode reads the "params" value of a serialized DAG (or task), in every
// form Airflow has written it (serialized_objects.py _deserialize_params_dict):
//   - 2.9.3 and later, 3.x: a list of [key, {"__class": ..., "default": ...,
//     "description": ..., "schema": ...}] pairs, in declaration order;
//   - 2.9.2 and earlier: a JSON object {key: {"__class": ...}};
//   - before 2.2: plain values ({key: value}), which Airflow boxes into Param(value).
//
// The attributes of a Param entry are wrapped with {"__type","__var"} from
// 2.2 on (e.g. "schema": {"__type": "dict", "__var": {...}}); unwrapped
// attributes are taken as they are, as Airflow does. An empty or null raw
// value gives no params.
func Decode(raw json.RawMessage) ([]Param, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var pairs []rawPair
	var err error
	switch raw[0] {
	case '[':
		pairs, err = listPairs(raw)
	case '{':
		pairs, err = objectPairs(raw)
	default:
		err = fmt.Errorf("want a list or an object, got %.20s", raw)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidParams, err)
	}
	out := make([]Param, 0, len(pairs))
	for _, p := range pairs {
		v, err := decodeJSON(p.value)
		if err != nil {
			return nil, fmt.Errorf("%w: param %q: %v", ErrInvalidParams, p.key, err)
		}
		param, err := decodeParam(p.key, v)
		if err != nil {
			return nil, fmt.Errorf("%w: param %q: %v", ErrInvalidParams, p.key, err)
		}
		out = append(out, param)
	}
	return out, nil
}

type rawPair struct {
	key   string
	value json.RawMessage
}

func listPairs(raw []byte) ([]rawPair, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, err
	}
	pairs := make([]rawPair, 0, len(items))
	for i, item := range items {
		var kv []json.RawMessage
		if err := json.Unmarshal(item, &kv); err != nil || len(kv) != 2 {
			return nil, fmt.Errorf("item %d: want a [key, param] pair", i)
		}
		var key string
		if err := json.Unmarshal(kv[0], &key); err != nil {
			return nil, fmt.Errorf("item %d: key is not a string", i)
		}
		pairs = append(pairs, rawPair{key, kv[1]})
	}
	return pairs, nil
}

// objectPairs keeps the keys in document order: the old object form was
// written from an ordered Python dict.
func objectPairs(raw []byte) ([]rawPair, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // '{'
		return nil, err
	}
	var pairs []rawPair
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("object key is not a string")
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		pairs = append(pairs, rawPair{key, v})
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, err
	}
	return pairs, nil
}

func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func decodeParam(key string, v any) (Param, error) {
	p := Param{Key: key, Schema: map[string]any{}}
	m, ok := v.(map[string]any)
	if !ok || m["__class"] == nil {
		// Old-style value: Param(v), no schema.
		p.Default, p.HasDefault = v, true
		return p, nil
	}
	attr := func(name string) (any, bool, error) {
		val, ok := m[name]
		if !ok {
			return nil, false, nil
		}
		if isSerialized(val) {
			d, err := deserialize(val)
			return d, true, err
		}
		return val, true, nil
	}
	def, ok, err := attr("default")
	if err != nil {
		return p, fmt.Errorf("default: %v", err)
	}
	if _, notSet := def.(argNotSet); ok && !notSet {
		p.Default, p.HasDefault = def, true
	}
	desc, _, err := attr("description")
	if err != nil {
		return p, fmt.Errorf("description: %v", err)
	}
	if s, ok := desc.(string); ok {
		p.Description = s
	}
	schema, ok, err := attr("schema")
	if err != nil {
		return p, fmt.Errorf("schema: %v", err)
	}
	if ok && schema != nil {
		sm, isMap := schema.(map[string]any)
		if !isMap {
			return p, fmt.Errorf("schema is not an object")
		}
		p.Schema = sm
	}
	return p, nil
}

// isSerialized mirrors _deserialize_param's check: only values that carry the
// {"__type": ...} envelope (or lists made only of such values) are decoded.
func isSerialized(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		_, ok := t["__type"]
		return ok
	case []any:
		for _, item := range t {
			m, ok := item.(map[string]any)
			if !ok {
				return false
			}
			if _, ok := m["__type"]; !ok {
				return false
			}
		}
		return true
	}
	return false
}

// deserialize undoes BaseSerialization.serialize for the types a param
// attribute can hold. Python-only types become their nearest JSON value:
// sets and tuples are lists, a datetime is an RFC 3339 string (UTC), a
// timedelta is its seconds.
func deserialize(v any) (any, error) {
	switch t := v.(type) {
	case []any:
		out := make([]any, len(t))
		for i, item := range t {
			d, err := deserialize(item)
			if err != nil {
				return nil, err
			}
			out[i] = d
		}
		return out, nil
	case map[string]any:
		typ, ok := t["__type"].(string)
		if !ok {
			return nil, fmt.Errorf("encoded value has no __type")
		}
		inner := t["__var"]
		switch typ {
		case "dict":
			m, ok := inner.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("dict value is not an object")
			}
			out := make(map[string]any, len(m))
			for k, item := range m {
				d, err := deserialize(item)
				if err != nil {
					return nil, err
				}
				out[k] = d
			}
			return out, nil
		case "set", "tuple":
			l, ok := inner.([]any)
			if !ok {
				return nil, fmt.Errorf("%s value is not a list", typ)
			}
			return deserialize(l)
		case "arg_not_set":
			return argNotSet{}, nil
		case "datetime":
			n, ok := inner.(json.Number)
			if !ok {
				return nil, fmt.Errorf("datetime value is not a number")
			}
			f, err := n.Float64()
			if err != nil {
				return nil, err
			}
			sec, frac := math.Modf(f)
			ts := time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000).UTC()
			return ts.Format(time.RFC3339Nano), nil
		case "timedelta":
			return inner, nil
		default:
			// A type this package does not model (pod, asset, ...): keep the
			// encoded form rather than fail the whole DAG.
			return t, nil
		}
	}
	return v, nil
}
