package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dagctl/dagctl/internal/iostreams"
)

// Stream prints a list item by item, in constant memory: a JSON array, a
// YAML sequence, CSV or plain rows, or bare names.
type Stream struct {
	w       io.Writer
	opts    Options
	headers []string
	n       int
	csv     *csv.Writer
	started bool
	tty     bool
}

// NewStream starts a streamed list with the given table headers.
func NewStream(ios *iostreams.IOStreams, opts Options, headers []string) *Stream {
	return &Stream{w: ios.Out, opts: opts, headers: headers, tty: ios.IsStdoutTTY()}
}

func (s *Stream) start() error {
	if s.started {
		return nil
	}
	s.started = true
	switch s.opts.Format {
	case JSON:
		_, err := io.WriteString(s.w, "[")
		return err
	case CSV:
		s.csv = csv.NewWriter(s.w)
		if !s.opts.NoHeaders {
			return s.csv.Write(s.headers)
		}
	case Table:
		// A stream cannot size columns ahead: it prints plain tab-separated
		// rows, with the header first on a terminal.
		if s.tty && !s.opts.NoHeaders {
			_, err := fmt.Fprintln(s.w, strings.ToUpper(strings.Join(s.headers, "\t")))
			return err
		}
	}
	return nil
}

// Item prints one element: data for json/yaml, row for table/csv, name for -o name.
func (s *Stream) Item(data any, row []string, name string) error {
	if s.opts.Filter != nil {
		// Each item is filtered on its own, as the one-element list a page
		// of one would print, so that .[] expressions work unchanged.
		s.n++
		return s.opts.Filter.Apply(s.w, []any{data})
	}
	if err := s.start(); err != nil {
		return err
	}
	defer func() { s.n++ }()
	switch s.opts.Format {
	case JSON:
		b, err := MarshalJSON(data)
		if err != nil {
			return err
		}
		sep := "\n"
		if s.n > 0 {
			sep = ",\n"
		}
		_, err = io.WriteString(s.w, sep+indent(strings.TrimRight(string(b), "\n")))
		return err
	case YAML:
		b, err := json.Marshal(data)
		if err != nil {
			return err
		}
		var generic any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&generic); err != nil {
			return err
		}
		out, err := yaml.Marshal([]any{numbersToYAML(generic)})
		if err != nil {
			return err
		}
		_, err = s.w.Write(out)
		return err
	case CSV:
		if err := s.csv.Write(row); err != nil {
			return err
		}
		if s.n%500 == 499 {
			s.csv.Flush()
		}
		return s.csv.Error()
	case Name:
		_, err := fmt.Fprintln(s.w, name)
		return err
	default:
		_, err := fmt.Fprintln(s.w, strings.Join(row, "\t"))
		return err
	}
}

// Close ends the list (an empty list prints [] in JSON and [] in YAML).
func (s *Stream) Close() error {
	if s.opts.Filter != nil {
		return nil
	}
	if err := s.start(); err != nil {
		return err
	}
	switch s.opts.Format {
	case JSON:
		end := "\n]\n"
		if s.n == 0 {
			end = "]\n"
		}
		_, err := io.WriteString(s.w, end)
		return err
	case YAML:
		if s.n == 0 {
			_, err := io.WriteString(s.w, "[]\n")
			return err
		}
	case CSV:
		s.csv.Flush()
		return s.csv.Error()
	}
	return nil
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}
