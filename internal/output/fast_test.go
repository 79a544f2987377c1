package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var trickyStrings = []string{
	"", "plain", "with space", " leading space", "\tleading tab", "comma,inside", `quote"inside`, "line\nbreak",
	"cr\rreturn", `\.`, "<html> & 'x'", "ünïcödé ✓", "\u2028sep\u2029", "ctl\x01\x1f", "bad\xffutf8", `back\slash`,
	"\u00a0nbsp first", "manual__2024-01-01T00:00:00+00:00",
}

// The fast encoders must write exactly what encoding/json and encoding/csv write.
func TestFastEncodersMatchStdlib(t *testing.T) {
	for _, s := range trickyStrings {
		want, _ := MarshalJSON(s)
		if got := AppendJSONString(nil, s); string(got) != strings.TrimRight(string(want), "\n") {
			t.Errorf("json %q: got %s want %s", s, got, want)
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write([]string{s})
		w.Flush()
		if got := AppendCSVField(nil, s); string(got)+"\n" != buf.String() {
			t.Errorf("csv %q: got %q want %q", s, got, buf.String())
		}
	}
	tm := time.Date(2024, 2, 29, 23, 59, 58, 123456789, time.FixedZone("x", 3600))
	if got, want := string(AppendJSONTime(nil, &tm)), `"`+*TimeStr(&tm)+`"`; got != want {
		t.Errorf("time %s want %s", got, want)
	}
	if got := string(AppendJSONTime(nil, nil)); got != "null" {
		t.Errorf("nil time = %s", got)
	}
	for _, raw := range []string{`{}`, `[]`, `{"a": [1, {"b": "<x>"}], "c": {}, "d": []}`, `{"s":"\u2028"}`, `[1,2]`, `"x"`, `3`} {
		type wrap struct {
			Conf json.RawMessage `json:"conf"`
		}
		full, _ := MarshalJSON([]wrap{{json.RawMessage(raw)}})
		got := "[\n  {\n    \"conf\": " + string(AppendJSONRaw(nil, []byte(raw), 2)) + "\n  }\n]\n"
		if got != string(full) {
			t.Errorf("raw %s:\ngot  %s\nwant %s", raw, got, full)
		}
	}
}
