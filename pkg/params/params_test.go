package params

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func num(s string) json.Number { return json.Number(s) }

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want []Param
	}{
		{"null", `null`, nil},
		{"empty", ``, nil},
		{"empty list", `[]`, []Param{}},
		{
			// Exactly as Airflow 2.10.5 wrote fx_tags_params.
			"2.10 list form",
			`[["table", {"__class": "airflow.models.param.Param", "default": "x", "description": null, "schema": {"__var": {}, "__type": "dict"}}], ["limit", {"__class": "airflow.models.param.Param", "default": 10, "description": null, "schema": {"__var": {}, "__type": "dict"}}]]`,
			[]Param{
				{Key: "table", Default: "x", HasDefault: true, Schema: map[string]any{}},
				{Key: "limit", Default: num("10"), HasDefault: true, Schema: map[string]any{}},
			},
		},
		{
			"3.x class, description, nested schema",
			`[["n", {"__class": "airflow.sdk.definitions.param.Param", "default": 3, "description": "how many", "schema": {"__var": {"type": "integer", "minimum": 1, "enum": [1, 2, 3]}, "__type": "dict"}}],
			  ["obj", {"__class": "airflow.sdk.definitions.param.Param", "default": {"__type": "dict", "__var": {"a": [1, {"__type": "dict", "__var": {"b": null}}]}}, "description": null,
			           "schema": {"__type": "dict", "__var": {"type": "object", "properties": {"__type": "dict", "__var": {"a": {"__type": "dict", "__var": {"type": "array"}}}}}}}]]`,
			[]Param{
				{Key: "n", Default: num("3"), HasDefault: true, Description: "how many",
					Schema: map[string]any{"type": "integer", "minimum": num("1"), "enum": []any{num("1"), num("2"), num("3")}}},
				{Key: "obj", Default: map[string]any{"a": []any{num("1"), map[string]any{"b": nil}}}, HasDefault: true,
					Schema: map[string]any{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "array"}}}},
			},
		},
		{
			"no default (arg_not_set) and explicit null default",
			`[["req", {"__class": "airflow.models.param.Param", "default": {"__type": "arg_not_set", "__var": null}, "description": null, "schema": {"__type": "dict", "__var": {"type": "string"}}}],
			  ["opt", {"__class": "airflow.models.param.Param", "default": null, "description": null, "schema": {"__type": "dict", "__var": {"type": ["null", "string"]}}}],
			  ["absent", {"__class": "airflow.models.param.Param"}]]`,
			[]Param{
				{Key: "req", Schema: map[string]any{"type": "string"}},
				{Key: "opt", Default: nil, HasDefault: true, Schema: map[string]any{"type": []any{"null", "string"}}},
				{Key: "absent", Schema: map[string]any{}},
			},
		},
		{
			"2.9.2 object form keeps declaration order, unwrapped attrs",
			`{"zeta": {"__class": "airflow.models.param.Param", "default": [1, 2], "description": "d", "schema": {"type": "array"}},
			  "alpha": {"__class": "airflow.models.param.Param", "default": {"__type": "tuple", "__var": ["a", "b"]}, "description": null, "schema": {}}}`,
			[]Param{
				{Key: "zeta", Default: []any{num("1"), num("2")}, HasDefault: true, Description: "d", Schema: map[string]any{"type": "array"}},
				{Key: "alpha", Default: []any{"a", "b"}, HasDefault: true, Schema: map[string]any{}},
			},
		},
		{
			"pre-2.2 plain values are boxed",
			`{"b": "x", "a": {"k": 1}}`,
			[]Param{
				{Key: "b", Default: "x", HasDefault: true, Schema: map[string]any{}},
				{Key: "a", Default: map[string]any{"k": num("1")}, HasDefault: true, Schema: map[string]any{}},
			},
		},
		{
			"datetime and timedelta defaults",
			`[["when", {"__class": "airflow.models.param.Param", "default": {"__type": "datetime", "__var": 1704067200.5}, "description": null, "schema": {"__type": "dict", "__var": {}}}],
			  ["every", {"__class": "airflow.models.param.Param", "default": {"__type": "timedelta", "__var": 300.0}, "description": null, "schema": {"__type": "dict", "__var": {}}}]]`,
			[]Param{
				{Key: "when", Default: "2024-01-01T00:00:00.5Z", HasDefault: true, Schema: map[string]any{}},
				{Key: "every", Default: num("300.0"), HasDefault: true, Schema: map[string]any{}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(json.RawMessage(tt.raw))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestDecodeInvalid(t *testing.T) {
	for _, raw := range []string{
		`5`,
		`"x"`,
		`[["a"]]`,
		`[[1, {}]]`,
		`[["a", {"__class": "airflow.models.param.Param", "schema": {"__type": "dict", "__var": 3}}]]`,
		`[["a", {"__class": "airflow.models.param.Param", "schema": "nope"}]]`,
		`[["a", {"__class": "airflow.models.param.Param", "default": {"__type": "dict", "__var": {"x": {"no": "type"}}}}]]`,
		`{"a": 1`,
	} {
		if _, err := Decode(json.RawMessage(raw)); !errors.Is(err, ErrInvalidParams) {
			t.Errorf("Decode(%s) error = %v, want ErrInvalidParams", raw, err)
		}
	}
}

// conf decodes a conf the way the CLI will: numbers stay json.Number.
func conf(t *testing.T, s string) map[string]any {
	t.Helper()
	if s == "" {
		return nil
	}
	v, err := decodeJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v.(map[string]any)
}

func mustDecode(t *testing.T, raw string) []Param {
	t.Helper()
	ps, err := Decode(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

const fxTagsParams = `[["table", {"__class": "airflow.sdk.definitions.param.Param", "default": "x", "description": null, "schema": {"__var": {}, "__type": "dict"}}], ["limit", {"__class": "airflow.sdk.definitions.param.Param", "default": 10, "description": null, "schema": {"__var": {}, "__type": "dict"}}]]`

const typed = `[
 ["limit", {"__class": "airflow.models.param.Param", "default": 10, "description": null, "schema": {"__type": "dict", "__var": {"type": "integer", "minimum": 1}}}],
 ["mode", {"__class": "airflow.models.param.Param", "default": "full", "description": null, "schema": {"__type": "dict", "__var": {"type": "string", "enum": ["full", "delta"]}}}],
 ["maybe", {"__class": "airflow.models.param.Param", "default": null, "description": null, "schema": {"__type": "dict", "__var": {"type": ["null", "integer"]}}}]
]`

func TestResolve(t *testing.T) {
	tests := []struct {
		name      string
		params    string
		conf      string
		want      string // effective conf as JSON; empty when an error is expected
		errParam  string
		errReason string // substring of the reason
	}{
		{"defaults only", fxTagsParams, ``, `{"table": "x", "limit": 10}`, "", ""},
		{"conf overrides, untyped params accept anything", fxTagsParams, `{"limit": "many", "table": ["t"]}`, `{"table": ["t"], "limit": "many"}`, "", ""},
		{"unknown conf keys are kept", fxTagsParams, `{"extra": {"a": 1}}`, `{"table": "x", "limit": 10, "extra": {"a": 1}}`, "", ""},
		{"no params, conf kept", `[]`, `{"a": 1, "nested": {"b": [1, 2]}}`, `{"a": 1, "nested": {"b": [1, 2]}}`, "", ""},
		{"typed defaults valid", typed, ``, `{"limit": 10, "mode": "full", "maybe": null}`, "", ""},
		{"typed conf valid", typed, `{"limit": 3, "mode": "delta", "maybe": 7}`, `{"limit": 3, "mode": "delta", "maybe": 7}`, "", ""},
		{"integral float is an integer", typed, `{"limit": 3.0}`, `{"limit": 3.0, "mode": "full", "maybe": null}`, "", ""},
		{"wrong type", typed, `{"limit": "ten"}`, "", "limit", "want integer"},
		{"below minimum", typed, `{"limit": 0}`, "", "limit", "minimum"},
		{"not in enum", typed, `{"mode": "half"}`, "", "mode", "full"},
		{"explicit null is validated", typed, `{"limit": null}`, "", "limit", "want integer"},
		{"bool is not an integer", typed, `{"limit": true}`, "", "limit", "want integer"},
		{"first failure in declaration order", typed, `{"maybe": "x", "limit": "y"}`, "", "limit", ""},
		{
			"no default and no value fails even if null allowed",
			`[["req", {"__class": "airflow.models.param.Param", "default": {"__type": "arg_not_set", "__var": null}, "description": null, "schema": {"__type": "dict", "__var": {"type": ["null", "string"]}}}]]`,
			``, "", "req", reasonNoValue,
		},
		{
			"no default, value given",
			`[["req", {"__class": "airflow.models.param.Param", "default": {"__type": "arg_not_set", "__var": null}, "description": null, "schema": {"__type": "dict", "__var": {"type": "string"}}}]]`,
			`{"req": "v"}`, `{"req": "v"}`, "", "",
		},
		{
			"format assertions are on",
			`[["to", {"__class": "airflow.models.param.Param", "default": "a@example.com", "description": null, "schema": {"__type": "dict", "__var": {"type": "string", "format": "email"}}}]]`,
			`{"to": "not-an-address"}`, "", "to", "email",
		},
		{
			"nested object schema",
			`[["cfg", {"__class": "airflow.models.param.Param", "default": {"__type": "dict", "__var": {"n": 1}}, "description": null, "schema": {"__type": "dict", "__var": {"type": "object", "required": {"__type": "set", "__var": ["n"]}, "properties": {"__type": "dict", "__var": {"n": {"__type": "dict", "__var": {"type": "integer"}}}}}}}]]`,
			`{"cfg": {"n": "x"}}`, "", "cfg", "/n",
		},
		{
			"invalid default is rejected at trigger time",
			`[["n", {"__class": "airflow.models.param.Param", "default": "x", "description": null, "schema": {"__type": "dict", "__var": {"type": "integer"}}}]]`,
			``, "", "n", "want integer",
		},
		{
			"invalid schema",
			`[["n", {"__class": "airflow.models.param.Param", "default": 1, "description": null, "schema": {"__type": "dict", "__var": {"type": "integr"}}}]]`,
			``, "", "n", "invalid schema",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(mustDecode(t, tt.params), conf(t, tt.conf))
			if tt.want == "" {
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("Resolve error = %v (result %v), want *ValidationError", err, got)
				}
				if ve.Param != tt.errParam || !strings.Contains(ve.Reason, tt.errReason) {
					t.Errorf("error = %+v, want param %q and reason containing %q", ve, tt.errParam, tt.errReason)
				}
				if !strings.HasPrefix(err.Error(), `conf: param "`+tt.errParam+`": `) {
					t.Errorf("Error() = %q", err.Error())
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if want := conf(t, tt.want); !reflect.DeepEqual(got, want) {
				t.Errorf("Resolve = %v, want %v", got, want)
			}
		})
	}
}

func TestResolveDateTimeLeniency(t *testing.T) {
	ps := mustDecode(t, `[["at", {"__class": "airflow.models.param.Param", "default": "2024-01-01T00:00:00+00:00", "description": null, "schema": {"__type": "dict", "__var": {"type": "string", "format": "date-time"}}}]]`)
	tests := []struct {
		value    string
		ok2, ok3 bool
	}{
		{"2024-01-01T10:00:00Z", true, true},
		{"2024-01-01T10:00:00.123+02:00", true, true},
		{"2024-01-01T10:00:00", true, false}, // naive: Airflow 2 only warned
		{"2024-01-01 10:00", true, false},
		{"20240101T1000", true, false},
		{"2024-02-30T10:00:00", false, false},
		{"2024-01-01", false, false},
		{"tomorrow", false, false},
	}
	for _, tt := range tests {
		c := map[string]any{"at": tt.value}
		if _, err := ResolveFor(2, ps, c); (err == nil) != tt.ok2 {
			t.Errorf("2.x %q: err = %v, want ok=%v", tt.value, err, tt.ok2)
		}
		if _, err := ResolveFor(3, ps, c); (err == nil) != tt.ok3 {
			t.Errorf("3.x %q: err = %v, want ok=%v", tt.value, err, tt.ok3)
		}
	}
}

func TestValidationErrorMessage(t *testing.T) {
	err := &ValidationError{Param: "limit", Reason: "bad"}
	if got, want := err.Error(), `conf: param "limit": bad`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
