package output

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/template"
	"time"

	"github.com/itchyny/gojq"

	"github.com/dagctl/dagctl/internal/apperr"
)

// TemplateHelp documents --template's helpers (flag help and docs).
const TemplateHelp = `Go text/template over the same data, with helpers:
  json VALUE           VALUE as compact JSON
  join SEP LIST        LIST's items joined by SEP
  timefmt LAYOUT TIME  an RFC 3339 TIME in a Go layout (e.g. "2006-01-02"), empty for null
Numbers are integers or floats, so {{if gt .id 3}} compares (a float with 1.5, not 1).`

// Filter is a compiled --jq expression or --template: it replaces the JSON
// that -o json prints with what the expression makes of it.
type Filter struct {
	expr string
	jq   *gojq.Code
	tmpl *template.Template
}

// CompileJQ parses a jq expression (exit 2 on a syntax error).
func CompileJQ(expr string) (*Filter, error) {
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, apperr.Invalid("--jq %q: %v", expr, err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, apperr.Invalid("--jq %q: %v", expr, err)
	}
	return &Filter{expr: expr, jq: code}, nil
}

// CompileTemplate parses a Go template (exit 2 on a syntax error).
func CompileTemplate(text string) (*Filter, error) {
	t, err := template.New("template").Option("missingkey=zero").Funcs(templateFuncs).Parse(text)
	if err != nil {
		return nil, apperr.Invalid("--template %q: %v", text, err)
	}
	return &Filter{expr: text, tmpl: t}, nil
}

var templateFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := marshalCompact(v)
		return string(b), err
	},
	"join": func(sep string, list any) (string, error) {
		items, ok := list.([]any)
		if !ok {
			if list == nil {
				return "", nil
			}
			return "", fmt.Errorf("join: %T is not a list", list)
		}
		parts := make([]string, len(items))
		for i, x := range items {
			parts[i] = scalarText(x)
		}
		return strings.Join(parts, sep), nil
	},
	"timefmt": func(layout string, v any) (string, error) {
		if v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("timefmt: %v is not a time", v)
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return "", fmt.Errorf("timefmt: %q is not an RFC 3339 time", s)
		}
		return t.Format(layout), nil
	},
}

// scalarText renders a value the way jq -r would: strings raw, the rest as JSON.
func scalarText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := marshalCompact(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func marshalCompact(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// generic turns data into the plain JSON values (maps, slices, json.Number)
// that jq and templates see: exactly what -o json prints.
func generic(data any) (any, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("encode json: %w", err)
	}
	return decodeGeneric(b)
}

func decodeGeneric(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	return v, nil
}

// Apply runs the filter on data and writes the result to w.
func (f *Filter) Apply(w io.Writer, data any) error {
	v, err := generic(data)
	if err != nil {
		return err
	}
	return f.apply(w, v)
}

// ApplyJSON runs the filter on an encoded JSON document.
func (f *Filter) ApplyJSON(w io.Writer, doc []byte) error {
	v, err := decodeGeneric(doc)
	if err != nil {
		return err
	}
	return f.apply(w, v)
}

func (f *Filter) apply(w io.Writer, v any) error {
	if f.tmpl != nil {
		if err := f.tmpl.Execute(w, plainNumbers(v)); err != nil {
			return apperr.Invalid("--template %q: %v", f.expr, err)
		}
		return nil
	}
	// A stream's buffered writer is flushed by the stream, not per item.
	bw, shared := w.(*bufio.Writer)
	if !shared {
		bw = bufio.NewWriter(w)
	}
	iter := f.jq.Run(v)
	for {
		x, ok := iter.Next()
		if !ok {
			break
		}
		if err, isErr := x.(error); isErr {
			if h, halt := err.(*gojq.HaltError); halt && h.Value() == nil {
				break
			}
			_ = bw.Flush()
			return apperr.Invalid("--jq %q: %v", f.expr, err)
		}
		if s, isStr := x.(string); isStr {
			bw.WriteString(s)
		} else {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(x); err != nil {
				return apperr.Invalid("--jq %q: %v", f.expr, err)
			}
			bw.Write(bytes.TrimRight(buf.Bytes(), "\n"))
		}
		bw.WriteByte('\n')
	}
	if shared {
		return nil
	}
	return bw.Flush()
}
