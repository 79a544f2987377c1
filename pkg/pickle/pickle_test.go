package pickle

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
)

func TestDumpsReference(t *testing.T) {
	m := OrderedMap{}
	m.Set("a", 1)
	nested := &OrderedMap{}
	nested.Set("b", []any{int64(1), uint8(2)})
	m.Set("nested", nested)
	got, err := Dumps(m)
	want := "80059523000000000000007d94288c0161944b018c066e6573746564947d948c0162945d94284b014b026573752e"
	if err != nil || hex.EncodeToString(got) != want {
		t.Fatalf("Dumps = %x, %v; want %s", got, err, want)
	}
	got, err = Dumps(map[string]any{})
	if err != nil || hex.EncodeToString(got) != "80057d942e" {
		t.Fatalf("Dumps({}) = %x, %v", got, err)
	}
}

// Go values pickle like the JSON text encoding/json writes for them.
func TestDumpsGoValues(t *testing.T) {
	values := []any{
		nil, true, false, "", "a", "é", "text", 0, -1, 255, 256, int8(-5), int16(300), int32(-70000),
		int64(1) << 40, uint(7), uint16(65535), uint32(1) << 31, uint64(math.MaxUint64),
		new(big.Int).Lsh(big.NewInt(1), 100), 1.5, float32(0.25),
		json.Number("12"), json.Number("1.0"), json.Number("-1e3"),
		[]any{"a", "a", []any{}, map[string]any{"z": 1, "a": "z"}},
		map[string]any{"b": []any{1, 2}, "a": map[string]any{"b": nil}},
	}
	for _, v := range values {
		text, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		want, err := DumpsJSON(text)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Dumps(v)
		if err != nil || hex.EncodeToString(got) != hex.EncodeToString(want) {
			if _, isFloat := v.(float64); !isFloat {
				t.Errorf("Dumps(%#v) = %x, %v; want %x (from %s)", v, got, err, want, text)
			}
		}
	}
	// A Go float is a Python float even when integral (JSON text "2" is not).
	got, _ := Dumps(2.0)
	if hex.EncodeToString(got) != "8005950a00000000000000474000000000000000"+"2e" {
		t.Errorf("Dumps(2.0) = %x", got)
	}
}

func TestDumpsErrors(t *testing.T) {
	bad := []any{
		struct{}{},
		[]string{"typed slices are not JSON-like values"},
		"\xff",
		OrderedMap{Keys: []string{"a", "a"}, Values: map[string]any{"a": 1}},
		OrderedMap{Keys: []string{"a"}, Values: map[string]any{"b": 1}},
		json.Number("1x"),
		[]any{make(chan int)},
	}
	for _, v := range bad {
		if b, err := Dumps(v); err == nil {
			t.Errorf("Dumps(%#v) = %x, want an error", v, b)
		}
	}
	for _, text := range []string{"", "{", `{"a" 1}`, `[1,]`, `01`, `1.`, `"\x"`, "\"a\tb\"", `nan`, `{1: 2}`, `[1] x`, "\"\xff\"", `"\u12"`} {
		if b, err := DumpsJSON([]byte(text)); !errors.Is(err, ErrMalformed) {
			t.Errorf("DumpsJSON(%q) = %x, %v; want ErrMalformed", text, b, err)
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	v, err := DecodeJSON([]byte(`{"b": 1, "a": [1.5, 10000000000000000000000, -0, "\ud800", null], "b": 2}`))
	if err != nil {
		t.Fatal(err)
	}
	m := v.(OrderedMap)
	if strings.Join(m.Keys, ",") != "b,a" || m.Values["b"] != int64(2) {
		t.Fatalf("keys %v values %v", m.Keys, m.Values)
	}
	a := m.Values["a"].([]any)
	if a[0] != 1.5 || a[1].(*big.Int).String() != "10000000000000000000000" || a[2] != int64(0) || a[3] != "\xed\xa0\x80" || a[4] != nil {
		t.Fatalf("values %#v", a)
	}
	if v, err := DecodeJSON([]byte(`1e999`)); err != nil || !math.IsInf(v.(float64), 1) {
		t.Fatalf("1e999 = %v, %v", v, err)
	}
}

func TestLoadsValues(t *testing.T) {
	tests := []struct {
		name, hex, want string
	}{
		// pickle.dumps({"aé€😀": [True, False, -7, 12345678901234567890, 1.5], "t": (1, 2)}, protocol=0)
		{"protocol 0 text opcodes", hex.EncodeToString([]byte("(dp0\nVa\xe9\\u20ac\\U0001f600\np1\n(lp2\nI01\naI00\naI-7\naL12345678901234567890L\naF1.5\nasVt\np3\n(I1\nI2\ntp4\ns.")),
			`{"aé€😀": [true, false, -7, 12345678901234567890, 1.5], "t": [1, 2]}`},
		{"python 2 str", hex.EncodeToString([]byte("(S'x\\'y\\n\\x41\\101'\np0\ng0\nl.")), `["x'y\nAA", "x'y\nAA"]`},
		{"lone surrogate", "80058c03eda080942e", `"\ud800"`},
		{"protocol 2 tuple key", "80027d71004b014b028671014b0373", ""},
		{"float reprs", "80055d9428473ff000000000000047430000000000000047000000000000000147bff8000000000000652e", `[1.0, 562949953421312.0, 5e-324, -1.5]`},
		{"dict keys converted", "8005951d000000000000007d9428884b01894b024e4b03473ff80000000000004b044b054b06752e", `{"true": 1, "false": 2, "null": 3, "1.5": 4, "5": 6}`},
		{"equal keys merge", "80057d94284b014b02473ff00000000000004b03884b04752e", `{"1": 4}`},
	}
	for _, tt := range tests {
		b, _ := hex.DecodeString(tt.hex)
		got, err := LoadsJSON(b)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s: got %s, want an error", tt.name, got)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: got %s, %v\nwant %s", tt.name, got, err, tt.want)
		}
	}
}

func TestLoadsGoTypes(t *testing.T) {
	b, _ := DumpsJSON([]byte(`{"n": 1, "big": 100000000000000000000, "f": 0.5, "s": "x", "l": [null, true]}`))
	v, err := Loads(b)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := v.(OrderedMap)
	if !ok || strings.Join(m.Keys, ",") != "n,big,f,s,l" {
		t.Fatalf("Loads = %#v", v)
	}
	if m.Values["n"] != int64(1) || m.Values["big"].(*big.Int).String() != "100000000000000000000" ||
		m.Values["f"] != 0.5 || m.Values["s"] != "x" {
		t.Fatalf("values %#v", m.Values)
	}
	// OrderedMap marshals in key order through encoding/json too.
	out, err := json.Marshal([]any{m})
	if err != nil || string(out) != `[{"n":1,"big":100000000000000000000,"f":0.5,"s":"x","l":[null,true]}]` {
		t.Fatalf("json.Marshal = %s, %v", out, err)
	}
}

func TestLoadsRefuses(t *testing.T) {
	tests := []struct {
		name string
		data string
		kind string
	}{
		{"os.system", "cos\nsystem\n(S'echo hi'\ntR.", "unsupported"},
		{"stack global", "\x80\x04\x8c\x02os\x8c\x06system\x93.", "unsupported"},
		{"builtins.eval", "\x80\x04\x8c\x08builtins\x8c\x04eval\x93.", "unsupported"},
		{"set as a value", "cbuiltins\nset\n.", "unsupported"},
		{"set with bad args", "cbuiltins\nset\nK\x01\x85R.", "unsupported"},
		{"build", "]\x94}b.", "unsupported"},
		{"persistent id", "\x80\x05K\x01Q.", "unsupported"},
		{"self-containing list", "\x80\x05]\x94h\x00a.", "recursive"},
		{"protocol 6", "\x80\x06N.", "malformed"},
		{"frame too long", "\x80\x05\x95\xff\x00\x00\x00\x00\x00\x00\x00N.", "malformed"},
		{"huge string length", "\x80\x05\x8d\xff\xff\xff\xff\xff\xff\xff\x7f.", "malformed"},
		{"append to dict", "}K\x01a.", "unsupported"},
		{"setitem on list", "]K\x01K\x02s.", "malformed"},
		{"pop mark without mark", "1.", "malformed"},
		{"non-ASCII py2 str", "U\x02\xc3\xa9.", "malformed"},
		{"invalid utf-8", "\x8c\x01\xff.", "malformed"},
	}
	for _, tt := range tests {
		got, err := Loads([]byte(tt.data))
		var ue *UnsupportedError
		switch tt.kind {
		case "unsupported":
			if !errors.As(err, &ue) {
				t.Errorf("%s: got %v, %v; want UnsupportedError", tt.name, got, err)
			}
		case "malformed":
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: got %v, %v; want ErrMalformed", tt.name, got, err)
			}
		default:
			if err == nil || !strings.Contains(err.Error(), "contains itself") {
				t.Errorf("%s: got %v, %v", tt.name, got, err)
			}
		}
	}
	_, err := Loads([]byte("cos\nsystem\n."))
	if err == nil || !strings.Contains(err.Error(), "GLOBAL (os.system)") {
		t.Errorf("error does not name the class: %v", err)
	}
}

func TestPythonFloatRepr(t *testing.T) {
	tests := map[float64]string{
		0: "0.0", 1: "1.0", -2.5: "-2.5", 0.1: "0.1", 1e15: "1000000000000000.0", 1e16: "1e+16",
		1.5e16: "1.5e+16", 0.0001: "0.0001", 0.00001: "1e-05", 1.25e-7: "1.25e-07", 123456.789: "123456.789",
		5e-324: "5e-324", math.MaxFloat64: "1.7976931348623157e+308", 1e100: "1e+100",
		9999999999999998: "9999999999999998.0",
	}
	for f, want := range tests {
		if got := pythonFloatRepr(f); got != want {
			t.Errorf("pythonFloatRepr(%v) = %q, want %q", f, got, want)
		}
	}
	if got := pythonFloatRepr(math.Copysign(0, -1)); got != "-0.0" {
		t.Errorf("-0.0 -> %q", got)
	}
}

func TestLoadsExpansionBudget(t *testing.T) {
	// l0 = [1]; l(i+1) = [l(i)] * 8, thirty levels deep: 8**30 leaves if expanded.
	var b strings.Builder
	b.WriteString("\x80\x05]\x94K\x01a")
	for i := 0; i < 30; i++ {
		b.WriteString("]\x94(")
		for j := 0; j < 8; j++ {
			b.WriteString("h" + string(rune(i)))
		}
		b.WriteString("e")
	}
	b.WriteString(".")
	_, err := Loads([]byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("got %v, want the expansion budget error", err)
	}
}
