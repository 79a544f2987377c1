package pickle

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxDepth bounds nesting when reading JSON and pickles, so hostile input
// cannot exhaust the stack. Python's own limit (sys.getrecursionlimit) is
// lower still.
const maxDepth = 10000

// DecodeJSON reads JSON text like Python's json.loads: objects become
// OrderedMap in text order (a repeated key keeps its first position and its
// last value), integers int64 or *big.Int, numbers with a fraction or
// exponent float64 (overflowing to ±Inf as Python does), and the literals
// NaN, Infinity and -Infinity are accepted. A \u escape of a lone surrogate
// is kept, encoded as WTF-8, since Python strings can hold it.
func DecodeJSON(text []byte) (any, error) {
	if !utf8.Valid(text) {
		return nil, malformed("JSON text is not valid UTF-8")
	}
	d := jsonDecoder{s: string(text)}
	d.space()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.i != len(d.s) {
		return nil, d.fail("extra data")
	}
	return v, nil
}

type jsonDecoder struct {
	s string
	i int
}

func (d *jsonDecoder) fail(what string) error {
	return fmt.Errorf("json: %w: %s at offset %d", ErrMalformed, what, d.i)
}

func (d *jsonDecoder) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonDecoder) literal(word string) bool {
	if strings.HasPrefix(d.s[d.i:], word) {
		d.i += len(word)
		return true
	}
	return false
}

func (d *jsonDecoder) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, d.fail("nested too deeply")
	}
	if d.i >= len(d.s) {
		return nil, d.fail("expecting value")
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		return d.str()
	case d.literal("true"):
		return true, nil
	case d.literal("false"):
		return false, nil
	case d.literal("null"):
		return nil, nil
	case d.literal("NaN"):
		return math.NaN(), nil
	case d.literal("Infinity"):
		return math.Inf(1), nil
	case d.literal("-Infinity"):
		return math.Inf(-1), nil
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	}
	return nil, d.fail("expecting value")
}

func (d *jsonDecoder) object(depth int) (any, error) {
	d.i++ // {
	m := OrderedMap{Keys: []string{}, Values: map[string]any{}}
	d.space()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		return m, nil
	}
	for {
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return nil, d.fail("expecting property name enclosed in double quotes")
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return nil, d.fail("expecting ':' delimiter")
		}
		d.i++
		d.space()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		m.Set(k, v)
		d.space()
		if d.i < len(d.s) && d.s[d.i] == ',' {
			d.i++
			d.space()
			continue
		}
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			return m, nil
		}
		return nil, d.fail("expecting ',' delimiter")
	}
}

func (d *jsonDecoder) array(depth int) (any, error) {
	d.i++ // [
	list := []any{}
	d.space()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return list, nil
	}
	for {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
		d.space()
		if d.i < len(d.s) && d.s[d.i] == ',' {
			d.i++
			d.space()
			continue
		}
		if d.i < len(d.s) && d.s[d.i] == ']' {
			d.i++
			return list, nil
		}
		return nil, d.fail("expecting ',' delimiter")
	}
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if d.i+4 > len(d.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(d.s[d.i:d.i+4], 16, 32)
	if err != nil || strings.ContainsAny(d.s[d.i:d.i+4], "+-") {
		return 0, false
	}
	d.i += 4
	return rune(n), true
}

func (d *jsonDecoder) str() (string, error) {
	d.i++ // opening quote
	var b strings.Builder
	for {
		start := d.i
		for d.i < len(d.s) && d.s[d.i] != '"' && d.s[d.i] != '\\' && d.s[d.i] >= 0x20 {
			d.i++
		}
		b.WriteString(d.s[start:d.i])
		if d.i >= len(d.s) {
			return "", d.fail("unterminated string")
		}
		switch c := d.s[d.i]; {
		case c == '"':
			d.i++
			return b.String(), nil
		case c < 0x20:
			return "", d.fail("invalid control character")
		}
		// backslash
		d.i++
		if d.i >= len(d.s) {
			return "", d.fail("unterminated string")
		}
		c := d.s[d.i]
		d.i++
		switch c {
		case '"', '\\', '/':
			b.WriteByte(c)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.fail("invalid \\uXXXX escape")
			}
			if r >= 0xd800 && r <= 0xdbff && strings.HasPrefix(d.s[d.i:], `\u`) {
				save := d.i
				d.i += 2
				if lo, ok := d.hex4(); ok && lo >= 0xdc00 && lo <= 0xdfff {
					r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
				} else {
					d.i = save
				}
			}
			writeWTF8(&b, r)
		default:
			d.i--
			return "", d.fail("invalid \\escape")
		}
	}
}

// writeWTF8 writes r as UTF-8, and a surrogate as the three bytes Python's
// "surrogatepass" error handler gives it.
func writeWTF8(b *strings.Builder, r rune) {
	if r >= 0xd800 && r <= 0xdfff {
		b.WriteByte(byte(0xe0 | r>>12))
		b.WriteByte(byte(0x80 | (r>>6)&0x3f))
		b.WriteByte(byte(0x80 | r&0x3f))
		return
	}
	b.WriteRune(r)
}

// decodeWTF8 is utf8.DecodeRuneInString that also accepts an encoded
// surrogate. size is 0 for bytes that are neither.
func decodeWTF8(s string) (r rune, size int) {
	r, size = utf8.DecodeRuneInString(s)
	if r != utf8.RuneError || size > 1 {
		return r, size
	}
	if len(s) >= 3 && s[0] == 0xed && s[1] >= 0xa0 && s[1] <= 0xbf && s[2] >= 0x80 && s[2] <= 0xbf {
		return rune(s[0]&0x0f)<<12 | rune(s[1]&0x3f)<<6 | rune(s[2]&0x3f), 3
	}
	return utf8.RuneError, 0
}

// validWTF8 reports whether s is UTF-8 with possibly lone surrogates,
// i.e. something a Python str can hold.
func validWTF8(s string) bool {
	for len(s) > 0 {
		_, n := decodeWTF8(s)
		if n == 0 {
			return false
		}
		s = s[n:]
	}
	return true
}

// number follows json.scanner's NUMBER_RE:
// (-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)? — an int unless a fraction or
// exponent is present.
func (d *jsonDecoder) number() (any, error) {
	start := d.i
	digits := func() int {
		n := 0
		for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.s[d.i] == '-' {
		d.i++
	}
	if d.i < len(d.s) && d.s[d.i] == '0' {
		d.i++
	} else if digits() == 0 {
		d.i = start
		return nil, d.fail("expecting value")
	}
	isFloat := false
	if d.i+1 < len(d.s) && d.s[d.i] == '.' && d.s[d.i+1] >= '0' && d.s[d.i+1] <= '9' {
		d.i++
		digits()
		isFloat = true
	}
	if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		save := d.i
		d.i++
		if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			d.i = save
		} else {
			isFloat = true
		}
	}
	text := d.s[start:d.i]
	if isFloat {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, d.fail("bad number")
		}
		return f, nil // ±Inf on overflow, like Python's float()
	}
	return parseInt(text)
}

// parseInt returns int64 when the decimal text fits, else *big.Int.
func parseInt(text string) (any, error) {
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, nil
	}
	n, ok := new(big.Int).SetString(text, 10)
	if !ok {
		return nil, malformed("bad integer %q", text)
	}
	return n, nil
}

// jsonWriter writes values as JSON: strings with lone surrogates as \u
// escapes, floats as Python's repr (1.0, 1e+16), non-finite floats as the
// strings "NaN", "Infinity", "-Infinity" so the text stays valid JSON, and
// bytes as base64 strings.
type jsonWriter struct {
	buf []byte
}

func (w *jsonWriter) value(v any, depth int) error {
	if depth > maxDepth {
		return errors.New("pickle: value nested too deeply")
	}
	switch x := v.(type) {
	case nil:
		w.buf = append(w.buf, "null"...)
	case bool:
		w.buf = strconv.AppendBool(w.buf, x)
	case string:
		w.str(x)
	case int64:
		w.buf = strconv.AppendInt(w.buf, x, 10)
	case *big.Int:
		w.buf = x.Append(w.buf, 10)
	case float64:
		switch {
		case math.IsNaN(x):
			w.str("NaN")
		case math.IsInf(x, 1):
			w.str("Infinity")
		case math.IsInf(x, -1):
			w.str("-Infinity")
		default:
			w.buf = append(w.buf, pythonFloatRepr(x)...)
		}
	case []byte:
		w.str(base64.StdEncoding.EncodeToString(x))
	case []any:
		w.buf = append(w.buf, '[')
		for i, e := range x {
			if i > 0 {
				w.buf = append(w.buf, ", "...)
			}
			if err := w.value(e, depth+1); err != nil {
				return err
			}
		}
		w.buf = append(w.buf, ']')
	case OrderedMap:
		w.buf = append(w.buf, '{')
		for i, k := range x.Keys {
			if i > 0 {
				w.buf = append(w.buf, ", "...)
			}
			w.str(k)
			w.buf = append(w.buf, ": "...)
			if err := w.value(x.Values[k], depth+1); err != nil {
				return err
			}
		}
		w.buf = append(w.buf, '}')
	case *OrderedMap:
		return w.value(*x, depth)
	default:
		return fmt.Errorf("pickle: cannot write %T as JSON", v)
	}
	return nil
}

func (w *jsonWriter) str(s string) {
	const hexDigits = "0123456789abcdef"
	w.buf = append(w.buf, '"')
	for len(s) > 0 {
		r, n := decodeWTF8(s)
		if n == 0 { // not text; cannot come from a pickle or DecodeJSON
			r, n = utf8.RuneError, 1
		}
		switch {
		case r == '"' || r == '\\':
			w.buf = append(w.buf, '\\', byte(r))
		case r == '\n':
			w.buf = append(w.buf, `\n`...)
		case r == '\r':
			w.buf = append(w.buf, `\r`...)
		case r == '\t':
			w.buf = append(w.buf, `\t`...)
		case r == '\b':
			w.buf = append(w.buf, `\b`...)
		case r == '\f':
			w.buf = append(w.buf, `\f`...)
		case r < 0x20 || (r >= 0xd800 && r <= 0xdfff):
			w.buf = append(w.buf, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			w.buf = utf8.AppendRune(w.buf, r)
		}
		s = s[n:]
	}
	w.buf = append(w.buf, '"')
}

// pythonFloatRepr formats a finite float like Python's repr(): the shortest
// digits that read back the same, in positional notation when the decimal
// exponent is in -4..15, else as d.ddde±XX; integral values keep ".0".
func pythonFloatRepr(f float64) string {
	e := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±XX
	neg := strings.HasPrefix(e, "-")
	e = strings.TrimPrefix(e, "-")
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	digits := strings.Replace(mant, ".", "", 1)
	var s string
	if exp < -4 || exp >= 16 {
		s = mant + "e"
		if exp < 0 {
			s += "-"
			exp = -exp
		} else {
			s += "+"
		}
		if exp < 10 {
			s += "0"
		}
		s += strconv.Itoa(exp)
	} else if exp < 0 {
		s = "0." + strings.Repeat("0", -exp-1) + digits
	} else if len(digits) <= exp+1 {
		s = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	} else {
		s = digits[:exp+1] + "." + digits[exp+1:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
