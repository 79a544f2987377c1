package output

import (
	"bytes"
	"encoding/json"
	"time"
	"unicode"
	"unicode/utf8"
)

// Fast is a streamed item that encodes itself, byte for byte as the
// reflective path would, without reflection or a string per field: the
// streamed lists of a million rows go through it.
type Fast interface {
	// AppendJSON appends the item as -o json prints it inside a list: an
	// object indented by two spaces, without a trailing newline.
	AppendJSON(b []byte) []byte
	// AppendRow appends the table cells, each through cell, separated by sep.
	AppendRow(b []byte, sep byte, cell func([]byte, string) []byte) []byte
	// Slow returns what Stream.Item takes, for the other formats and filters.
	Slow() (data any, row []string, name string)
}

const hex = "0123456789abcdef"

// AppendJSONString appends s as a JSON string the way -o json writes it
// (encoding/json with HTML escaping off: invalid UTF-8 becomes U+FFFD,
// U+2028 and U+2029 are escaped).
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendTimeText appends t as TimeStr writes it (RFC 3339, UTC).
func AppendTimeText(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, time.RFC3339)
}

// AppendJSONTime appends an optional time as a JSON string or null.
func AppendJSONTime(b []byte, t *time.Time) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = AppendTimeText(b, *t)
	return append(b, '"')
}

// AppendJSONRaw appends a raw JSON value nested at depth (in two-space
// steps), re-indented as the encoder does for a json.RawMessage field.
func AppendJSONRaw(b []byte, raw []byte, depth int) []byte {
	if len(raw) == 2 && (raw[0] == '{' && raw[1] == '}' || raw[0] == '[' && raw[1] == ']') {
		return append(b, raw...)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return append(b, "null"...)
	}
	var out bytes.Buffer
	prefix := make([]byte, 2*depth)
	for i := range prefix {
		prefix[i] = ' '
	}
	if err := json.Indent(&out, compact.Bytes(), string(prefix), "  "); err != nil {
		return append(b, "null"...)
	}
	return append(b, out.Bytes()...)
}

// AppendCSVField appends s as encoding/csv's Writer writes a field (comma
// separator, \n line ends): quoted when it holds a comma, a quote or a line
// break, starts with a space, or is \., with quotes doubled.
func AppendCSVField(b []byte, s string) []byte {
	if !csvNeedsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// csvNeedsQuotes is encoding/csv's fieldNeedsQuotes for a comma.
func csvNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

// rawCell appends a table cell in a pipe: as is.
func rawCell(b []byte, s string) []byte { return append(b, s...) }
