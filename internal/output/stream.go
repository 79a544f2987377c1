package output

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dagctl/dagctl/internal/iostreams"
)

// Stream prints a list item by item, in constant memory, through a
// buffered writer: a JSON array, a YAML sequence, CSV or plain rows, or
// bare names. Call Close at the end (or Flush when giving up on an error).
type Stream struct {
	w       *bufio.Writer
	opts    Options
	headers []string
	n       int
	started bool
	tty     bool
	buf     []byte
}

// NewStream starts a streamed list with the given table headers.
func NewStream(ios *iostreams.IOStreams, opts Options, headers []string) *Stream {
	return &Stream{w: bufio.NewWriterSize(ios.Out, 64<<10), opts: opts, headers: headers, tty: ios.IsStdoutTTY()}
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
		if !s.opts.NoHeaders {
			return s.writeLine(s.headers, ',', AppendCSVField)
		}
	case Table:
		// A stream cannot size columns ahead: it prints plain tab-separated
		// rows, with the header first on a terminal.
		if s.tty && !s.opts.NoHeaders {
			_, err := io.WriteString(s.w, strings.ToUpper(strings.Join(s.headers, "\t"))+"\n")
			return err
		}
	}
	return nil
}

func (s *Stream) writeLine(cells []string, sep byte, cell func([]byte, string) []byte) error {
	b := s.buf[:0]
	for i, c := range cells {
		if i > 0 {
			b = append(b, sep)
		}
		b = cell(b, c)
	}
	b = append(b, '\n')
	s.buf = b
	_, err := s.w.Write(b)
	return err
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
		s.jsonSep()
		_, err = io.WriteString(s.w, indent(strings.TrimRight(string(b), "\n")))
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
		out, err := yaml.Marshal([]any{plainNumbers(generic)})
		if err != nil {
			return err
		}
		_, err = s.w.Write(out)
		return err
	case CSV:
		return s.writeLine(row, ',', AppendCSVField)
	case Name:
		_, err := io.WriteString(s.w, name+"\n")
		return err
	default:
		return s.writeLine(row, '\t', rawCell)
	}
}

func (s *Stream) jsonSep() {
	if s.n > 0 {
		_, _ = s.w.WriteString(",\n")
	} else {
		_ = s.w.WriteByte('\n')
	}
}

// FastItem prints an item that encodes itself (json, csv and table); the
// other formats and --jq/--template take the reflective path.
func (s *Stream) FastItem(x Fast) error {
	if s.opts.Filter != nil || (s.opts.Format != JSON && s.opts.Format != CSV && s.opts.Format != Table) {
		return s.Item(x.Slow())
	}
	if err := s.start(); err != nil {
		return err
	}
	b := s.buf[:0]
	switch s.opts.Format {
	case JSON:
		s.jsonSep()
		b = x.AppendJSON(b)
	case CSV:
		b = x.AppendRow(b, ',', AppendCSVField)
		b = append(b, '\n')
	default:
		b = x.AppendRow(b, '\t', rawCell)
		b = append(b, '\n')
	}
	s.buf = b
	s.n++
	_, err := s.w.Write(b)
	return err
}

// Flush writes out what is buffered (for an early return on an error).
func (s *Stream) Flush() error { return s.w.Flush() }

// Close ends the list (an empty list prints [] in JSON and [] in YAML) and flushes.
func (s *Stream) Close() error {
	if s.opts.Filter != nil {
		return s.w.Flush()
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
		if _, err := io.WriteString(s.w, end); err != nil {
			return err
		}
	case YAML:
		if s.n == 0 {
			if _, err := io.WriteString(s.w, "[]\n"); err != nil {
				return err
			}
		}
	}
	return s.w.Flush()
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}
