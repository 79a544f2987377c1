package output

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/iostreams"
)

type item struct {
	ID   int    `json:"id"`
	Name string `json:"run_id"`
}

func result(items []item) Result {
	return Result{
		Data: items,
		Table: func() Rows {
			rows := make([][]string, len(items))
			for i, it := range items {
				rows[i] = []string{Int(int64(it.ID)), it.Name}
			}
			return Rows{Headers: []string{"id", "run_id"}, Rows: rows}
		},
		Names: func() []string {
			out := make([]string, len(items))
			for i, it := range items {
				out[i] = it.Name
			}
			return out
		},
	}
}

func print(t *testing.T, tty bool, f Format, noHeaders bool, items []item) string {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(tty)
	if err := Print(ios, Options{Format: f, NoHeaders: noHeaders}, result(items)); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestFormats(t *testing.T) {
	items := []item{{1, "a"}, {2, "b"}}
	if got := print(t, false, JSON, false, []item{}); strings.TrimSpace(got) != "[]" {
		t.Errorf("empty json = %q, want []", got)
	}
	var back []item
	if err := json.Unmarshal([]byte(print(t, false, JSON, false, items)), &back); err != nil || len(back) != 2 || back[1].Name != "b" {
		t.Errorf("json round trip = %v %v", back, err)
	}
	if got := print(t, false, Table, false, items); got != "1\ta\n2\tb\n" {
		t.Errorf("piped table = %q, want plain rows without a header", got)
	}
	if got := print(t, true, Table, false, items); !strings.Contains(got, "RUN_ID") || !strings.Contains(got, "b") {
		t.Errorf("terminal table = %q, want a header", got)
	}
	if got := print(t, true, Table, true, items); strings.Contains(got, "RUN_ID") {
		t.Errorf("--no-headers table = %q", got)
	}
	if got := print(t, false, CSV, false, items); got != "id,run_id\n1,a\n2,b\n" {
		t.Errorf("csv = %q", got)
	}
	if got := print(t, false, YAML, false, items); !strings.Contains(got, "- id: 1\n  run_id: a\n") {
		t.Errorf("yaml = %q", got)
	}
	if got := print(t, false, Name, false, items); got != "a\nb\n" {
		t.Errorf("name = %q", got)
	}
	if _, err := ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), "--output") {
		t.Errorf("ParseFormat(xml) = %v", err)
	}
}

func TestStream(t *testing.T) {
	for _, f := range []Format{JSON, YAML} {
		ios, _, out, _ := iostreams.Test()
		s := NewStream(ios, Options{Format: f}, []string{"id", "run_id"})
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(out.String()) != "[]" {
			t.Errorf("empty %s stream = %q, want []", f, out.String())
		}
	}
	ios, _, out, _ := iostreams.Test()
	s := NewStream(ios, Options{Format: JSON}, []string{"id", "run_id"})
	for _, it := range []item{{1, "a"}, {2, "b"}} {
		if err := s.Item(it, []string{Int(int64(it.ID)), it.Name}, it.Name); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var back []item
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || len(back) != 2 {
		t.Errorf("streamed json = %q (%v)", out.String(), err)
	}
}

// TestTemplateComparesNumbers: numbers reach a template as int64/float64,
// so gt/lt/eq work on them, and they print as -o json prints them.
func TestTemplateComparesNumbers(t *testing.T) {
	f, err := CompileTemplate(`{{range .}}{{if gt .id 3}}{{.id}} {{.run_id}} {{.ratio}}{{if lt .ratio 1.0}} low{{end}}{{"\n"}}{{end}}{{end}}`)
	if err != nil {
		t.Fatal(err)
	}
	data := []map[string]any{
		{"id": 2, "run_id": "a", "ratio": 0.5},
		{"id": 4, "run_id": "b", "ratio": 0.25},
		{"id": 12345678901, "run_id": "c", "ratio": 2.5},
	}
	var out strings.Builder
	if err := f.Apply(&out, data); err != nil {
		t.Fatal(err)
	}
	if want := "4 b 0.25 low\n12345678901 c 2.5\n"; out.String() != want {
		t.Errorf("template = %q, want %q", out.String(), want)
	}
}
