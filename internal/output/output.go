// Package output prints command results as table, json, yaml, csv or bare
// names. It is the only package that uses go-pretty's table writer.
package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"
	"gopkg.in/yaml.v3"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/iostreams"
)

// Format is an output format accepted by -o.
type Format string

// The formats.
const (
	Table Format = "table"
	JSON  Format = "json"
	YAML  Format = "yaml"
	CSV   Format = "csv"
	Name  Format = "name"
)

// Formats lists the accepted -o values, for help and completion.
var Formats = []string{string(Table), string(JSON), string(YAML), string(CSV), string(Name)}

// ParseFormat checks an -o value.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if s == f {
			return Format(s), nil
		}
	}
	return "", apperr.Invalid("--output: %q is not a format; use one of %s", s, strings.Join(Formats, "|"))
}

// Rows is the tabular form of a result.
type Rows struct {
	Headers []string
	Rows    [][]string
}

// Result is what a command hands to Print: the data for json/yaml and the
// views for the other formats.
type Result struct {
	// Data is encoded as-is by json and yaml (use an empty slice, not nil, for lists).
	Data any
	// Table builds the rows for table and csv.
	Table func() Rows
	// Names lists bare ids for -o name.
	Names func() []string
	// More, when set, is a second table printed after the first, past a
	// blank line (table and csv), e.g. a backfill's runs under its fields.
	More func() Rows
}

// Options are the printing switches shared by every command.
type Options struct {
	Format    Format
	NoHeaders bool
	// Filter, when set (--jq or --template), replaces the -o json output
	// with what it makes of the same data.
	Filter *Filter
}

// Print writes r to the streams' stdout in the chosen format.
func Print(io *iostreams.IOStreams, opts Options, r Result) error {
	if opts.Filter != nil {
		return opts.Filter.Apply(io.Out, r.Data)
	}
	switch opts.Format {
	case JSON:
		return writeJSON(io, r.Data)
	case YAML:
		return writeYAML(io, r.Data)
	case Name:
		if r.Names == nil {
			return apperr.Invalid("--output: name is not available for this command; use table|json|yaml|csv")
		}
		var b strings.Builder
		for _, n := range r.Names() {
			b.WriteString(n)
			b.WriteByte('\n')
		}
		_, err := fmt.Fprint(io.Out, b.String())
		return err
	case CSV:
		if err := writeCSV(io, r.Table(), opts.NoHeaders); err != nil || r.More == nil {
			return err
		}
		if _, err := io.Out.Write([]byte("\n")); err != nil {
			return err
		}
		return writeCSV(io, r.More(), opts.NoHeaders)
	default:
		if err := writeTable(io, r.Table(), opts.NoHeaders); err != nil || r.More == nil {
			return err
		}
		if _, err := io.Out.Write([]byte("\n")); err != nil {
			return err
		}
		return writeTable(io, r.More(), opts.NoHeaders)
	}
}

// MarshalJSON encodes v the way -o json prints it (two-space indent, no HTML escaping).
func MarshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeJSON(io *iostreams.IOStreams, v any) error {
	b, err := MarshalJSON(v)
	if err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	_, err = io.Out.Write(b)
	return err
}

// writeYAML goes through JSON so that yaml keys are the json keys.
func writeYAML(io *iostreams.IOStreams, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	var generic any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	out, err := yaml.Marshal(plainNumbers(generic))
	if err != nil {
		return fmt.Errorf("encode yaml: %w", err)
	}
	_, err = io.Out.Write(out)
	return err
}

// plainNumbers turns json.Number into int64 or float64 (in place), so that
// yaml prints them as numbers and templates can compare them (text/template's
// gt and friends know no json.Number).
func plainNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = plainNumbers(x)
		}
		return t
	case []any:
		for i, x := range t {
			t[i] = plainNumbers(x)
		}
		return t
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		f, _ := t.Float64()
		return f
	default:
		return v
	}
}

func writeCSV(io *iostreams.IOStreams, rows Rows, noHeaders bool) error {
	w := csv.NewWriter(io.Out)
	if !noHeaders {
		if err := w.Write(rows.Headers); err != nil {
			return err
		}
	}
	for _, r := range rows.Rows {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// writeTable draws a go-pretty table for a person; for a pipe it prints plain
// tab-separated rows with no header, colour or truncation.
func writeTable(io *iostreams.IOStreams, rows Rows, noHeaders bool) error {
	if !io.IsStdoutTTY() {
		var b strings.Builder
		for _, r := range rows.Rows {
			b.WriteString(strings.Join(r, "\t"))
			b.WriteByte('\n')
		}
		_, err := fmt.Fprint(io.Out, b.String())
		return err
	}
	t := table.NewWriter()
	t.SetOutputMirror(io.Out)
	style := table.StyleLight
	style.Options = table.OptionsNoBordersAndSeparators
	style.Format.Header = text.FormatUpper
	if io.ColorEnabled() {
		style.Color.Header = text.Colors{text.Bold}
	}
	t.SetStyle(style)
	if !noHeaders {
		t.AppendHeader(toRow(rows.Headers))
	}
	for _, r := range rows.Rows {
		t.AppendRow(toRow(r))
	}
	t.Render()
	return nil
}

func toRow(cells []string) table.Row {
	row := make(table.Row, len(cells))
	for i, c := range cells {
		row[i] = c
	}
	return row
}
