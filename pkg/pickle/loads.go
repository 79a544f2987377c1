package pickle

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// Loads reads a pickle of JSON-like values, any protocol from 0 to 5.
//
// Results: dict -> OrderedMap (keys in the pickle's insertion order; non-str
// keys converted as Python's json.dumps does: 1 -> "1", 1.5 -> "1.5",
// True -> "true", None -> "null"; keys that collide after conversion keep
// the first position and the last value), list, tuple, set and frozenset
// -> []any (sets in pickled order), str -> string (lone surrogates as
// WTF-8), bytes and bytearray -> []byte, int -> int64 or *big.Int beyond
// 64 bits, float -> float64, bool, None -> nil. Protocol 0-2 "str" strings
// (STRING, BINSTRING) are read as ASCII text like Python 3's default
// Unpickler(encoding="ASCII").
//
// Opcodes that reference classes or call functions (GLOBAL, REDUCE, BUILD,
// NEWOBJ, ...) or use persistent ids or out-of-band buffers give an
// *UnsupportedError; nothing is ever imported or executed. The one
// exception is the handful of builtins protocols 0-3 name to rebuild sets
// and bytes (set, frozenset, bytes, bytearray, _codecs.encode with
// "latin1"), which are recognised by name and evaluated in Go. Bad data gives
// an error wrapping ErrMalformed.
func Loads(b []byte) (any, error) {
	u := unpickler{data: b, memo: map[uint64]any{}}
	v, err := u.run()
	if err != nil {
		return nil, err
	}
	// Shared objects (memo GETs) are copied on export; the budget stops a
	// small pickle from expanding into an exponentially large value.
	budget := 4*len(b) + 1_000_000
	return export(v, map[any]bool{}, 0, &budget)
}

// LoadsJSON reads a pickle like Loads and returns it as JSON text in the
// layout of Python's json.dumps (", " and ": " separators, dict order kept,
// floats as Python's repr such as 1.0 and 1e+16), except that non-ASCII
// text stays UTF-8, bytes become base64 strings, and the non-finite floats
// Python would write as the invalid tokens NaN / Infinity are written as
// the strings "NaN", "Infinity", "-Infinity".
func LoadsJSON(b []byte) ([]byte, error) {
	v, err := Loads(b)
	if err != nil {
		return nil, err
	}
	var w jsonWriter
	if err := w.value(v, 0); err != nil {
		return nil, err
	}
	return w.buf, nil
}

// Python objects while unpickling. Lists, dicts and sets are pointers
// because the memo shares them and later opcodes fill them in.
type (
	pyList  struct{ items []any }
	pyTuple struct{ items []any }
	pyDict  struct {
		keys  []any
		vals  []any
		index map[string]int
	}
	pySet struct {
		items  []any
		index  map[string]bool
		frozen bool
	}
	pyBytes struct{ b []byte }
)

func newDict() *pyDict { return &pyDict{index: map[string]int{}} }

func (d *pyDict) set(k, v any) error {
	h, err := hashKey(k)
	if err != nil {
		return err
	}
	if i, ok := d.index[h]; ok {
		d.vals[i] = v
		return nil
	}
	d.index[h] = len(d.keys)
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
	return nil
}

func (s *pySet) add(v any) error {
	h, err := hashKey(v)
	if err != nil {
		return err
	}
	if !s.index[h] {
		s.index[h] = true
		s.items = append(s.items, v)
	}
	return nil
}

// hashKey gives values that are equal in Python (1 == 1.0 == True) the same
// key, and refuses unhashable ones.
func hashKey(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "N", nil
	case bool:
		if x {
			return "i1", nil
		}
		return "i0", nil
	case int64:
		return "i" + strconv.FormatInt(x, 10), nil
	case *big.Int:
		return "i" + x.String(), nil
	case float64:
		if x == math.Trunc(x) && !math.IsInf(x, 0) {
			if i, acc := big.NewFloat(x).Int(nil); acc == big.Exact {
				return "i" + i.String(), nil
			}
		}
		return "f" + strconv.FormatUint(math.Float64bits(x), 16), nil
	case string:
		return "s" + x, nil
	case *pyBytes:
		return "b" + string(x.b), nil
	case *pyTuple:
		parts := make([]string, len(x.items))
		for i, e := range x.items {
			h, err := hashKey(e)
			if err != nil {
				return "", err
			}
			parts[i] = strconv.Quote(h)
		}
		return "t(" + strings.Join(parts, ",") + ")", nil
	case *pySet:
		if x.frozen {
			parts := make([]string, len(x.items))
			for i, e := range x.items {
				h, err := hashKey(e)
				if err != nil {
					return "", err
				}
				parts[i] = strconv.Quote(h)
			}
			sort.Strings(parts)
			return "fs(" + strings.Join(parts, ",") + ")", nil
		}
	}
	return "", malformed("unhashable %s used as a dict key or set member", typeName(v))
}

func typeName(v any) string {
	switch v.(type) {
	case *pyList:
		return "list"
	case *pyDict:
		return "dict"
	case *pySet:
		return "set"
	case *pyTuple:
		return "tuple"
	case *pyBytes:
		return "bytes"
	case *pyGlobal:
		return "callable"
	}
	return fmt.Sprintf("%T", v)
}

type unpickler struct {
	data  []byte
	pos   int
	stack []any
	marks []int
	memo  map[uint64]any
}

func (u *unpickler) read(n uint64) ([]byte, error) {
	if n > uint64(len(u.data)-u.pos) {
		return nil, malformed("truncated data at offset %d", u.pos)
	}
	b := u.data[u.pos : u.pos+int(n)]
	u.pos += int(n)
	return b, nil
}

func (u *unpickler) readUint(n int) (uint64, error) {
	b, err := u.read(uint64(n))
	if err != nil {
		return 0, err
	}
	var x uint64
	for i := n - 1; i >= 0; i-- {
		x = x<<8 | uint64(b[i])
	}
	return x, nil
}

func (u *unpickler) readLine() (string, error) {
	i := strings.IndexByte(string(u.data[u.pos:]), '\n')
	if i < 0 {
		return "", malformed("truncated line at offset %d", u.pos)
	}
	line := string(u.data[u.pos : u.pos+i])
	u.pos += i + 1
	return line, nil
}

func (u *unpickler) push(v any) { u.stack = append(u.stack, v) }

func (u *unpickler) fence() int {
	if len(u.marks) == 0 {
		return 0
	}
	return u.marks[len(u.marks)-1]
}

func (u *unpickler) pop() (any, error) {
	if len(u.stack) <= u.fence() {
		return nil, malformed("stack underflow at offset %d", u.pos)
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	return v, nil
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) <= u.fence() {
		return nil, malformed("stack underflow at offset %d", u.pos)
	}
	return u.stack[len(u.stack)-1], nil
}

// popMark returns the items above the last MARK and removes them and it.
func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, malformed("no MARK at offset %d", u.pos)
	}
	m := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	items := append([]any(nil), u.stack[m:]...)
	u.stack = u.stack[:m]
	return items, nil
}

func (u *unpickler) run() (any, error) {
	for {
		if u.pos >= len(u.data) {
			return nil, malformed("no STOP opcode")
		}
		op := u.data[u.pos]
		u.pos++
		if op == opStop {
			v, err := u.pop()
			if err != nil {
				return nil, err
			}
			return v, nil
		}
		if err := u.step(op); err != nil {
			return nil, err
		}
		if len(u.stack) > len(u.data)+1 {
			return nil, malformed("stack larger than the data")
		}
	}
}

func unsupported(name string) error { return &UnsupportedError{Opcode: name} }

func (u *unpickler) step(op byte) error {
	switch op {
	case opProto:
		p, err := u.readUint(1)
		if err != nil {
			return err
		}
		if p > 5 {
			return malformed("unsupported protocol %d", p)
		}
	case opFrame:
		n, err := u.readUint(8)
		if err != nil {
			return err
		}
		if n > uint64(len(u.data)-u.pos) {
			return malformed("frame of %d bytes exceeds the data", n)
		}
	case opMark:
		u.marks = append(u.marks, len(u.stack))
	case opPop:
		if len(u.stack) > u.fence() {
			u.stack = u.stack[:len(u.stack)-1]
		} else if _, err := u.popMark(); err != nil {
			return err
		}
	case opPopMark:
		if _, err := u.popMark(); err != nil {
			return err
		}
	case opDup:
		v, err := u.top()
		if err != nil {
			return err
		}
		u.push(v)

	case opNone:
		u.push(nil)
	case opNewTrue:
		u.push(true)
	case opNewFalse:
		u.push(false)
	case opInt:
		line, err := u.readLine()
		if err != nil {
			return err
		}
		switch line {
		case "00":
			u.push(false)
			return nil
		case "01":
			u.push(true)
			return nil
		}
		v, err := parseIntText(line)
		if err != nil {
			return err
		}
		u.push(v)
	case opLong:
		line, err := u.readLine()
		if err != nil {
			return err
		}
		v, err := parseIntText(strings.TrimSuffix(line, "L"))
		if err != nil {
			return err
		}
		u.push(v)
	case opBinInt:
		x, err := u.readUint(4)
		if err != nil {
			return err
		}
		u.push(int64(int32(uint32(x))))
	case opBinInt1:
		x, err := u.readUint(1)
		if err != nil {
			return err
		}
		u.push(int64(x))
	case opBinInt2:
		x, err := u.readUint(2)
		if err != nil {
			return err
		}
		u.push(int64(x))
	case opLong1, opLong4:
		size := 1
		if op == opLong4 {
			size = 4
		}
		n, err := u.readUint(size)
		if err != nil {
			return err
		}
		if op == opLong4 && int32(uint32(n)) < 0 {
			return malformed("LONG4 with negative size")
		}
		b, err := u.read(n)
		if err != nil {
			return err
		}
		u.push(decodeLong(b))
	case opFloat:
		line, err := u.readLine()
		if err != nil {
			return err
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(line), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return malformed("bad FLOAT %q", line)
		}
		u.push(f)
	case opBinFloat:
		b, err := u.read(8)
		if err != nil {
			return err
		}
		u.push(math.Float64frombits(binary.BigEndian.Uint64(b)))

	case opString:
		line, err := u.readLine()
		if err != nil {
			return err
		}
		if len(line) < 2 || line[0] != line[len(line)-1] || (line[0] != '\'' && line[0] != '"') {
			return malformed("the STRING opcode argument must be quoted")
		}
		s, err := escapeDecode(line[1 : len(line)-1])
		if err != nil {
			return err
		}
		return u.pushASCII(s)
	case opBinString, opShortBinString:
		size := 4
		if op == opShortBinString {
			size = 1
		}
		n, err := u.readUint(size)
		if err != nil {
			return err
		}
		if op == opBinString && int32(uint32(n)) < 0 {
			return malformed("BINSTRING with negative size")
		}
		b, err := u.read(n)
		if err != nil {
			return err
		}
		return u.pushASCII(string(b))
	case opUnicode:
		line, err := u.readLine()
		if err != nil {
			return err
		}
		s, err := rawUnicodeEscapeDecode(line)
		if err != nil {
			return err
		}
		u.push(s)
	case opShortBinUni, opBinUnicode, opBinUnicode8:
		size := map[byte]int{opShortBinUni: 1, opBinUnicode: 4, opBinUnicode8: 8}[op]
		n, err := u.readUint(size)
		if err != nil {
			return err
		}
		b, err := u.read(n)
		if err != nil {
			return err
		}
		if !validWTF8(string(b)) {
			return malformed("string is not UTF-8")
		}
		u.push(string(b))
	case opShortBinBytes, opBinBytes, opBinBytes8, opByteArray8:
		size := map[byte]int{opShortBinBytes: 1, opBinBytes: 4, opBinBytes8: 8, opByteArray8: 8}[op]
		n, err := u.readUint(size)
		if err != nil {
			return err
		}
		b, err := u.read(n)
		if err != nil {
			return err
		}
		u.push(&pyBytes{b: append([]byte(nil), b...)})

	case opEmptyList:
		u.push(&pyList{})
	case opList:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(&pyList{items: items})
	case opAppend:
		v, err := u.pop()
		if err != nil {
			return err
		}
		return u.extendTop([]any{v})
	case opAppends:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.extendTop(items)

	case opEmptyTuple:
		u.push(&pyTuple{})
	case opTuple:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(&pyTuple{items: items})
	case opTuple1, opTuple2, opTuple3:
		n := int(op-opTuple1) + 1
		if len(u.stack)-u.fence() < n {
			return malformed("stack underflow at offset %d", u.pos)
		}
		items := append([]any(nil), u.stack[len(u.stack)-n:]...)
		u.stack = u.stack[:len(u.stack)-n]
		u.push(&pyTuple{items: items})

	case opEmptyDict:
		u.push(newDict())
	case opDict:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		d := newDict()
		if err := setPairs(d, items); err != nil {
			return err
		}
		u.push(d)
	case opSetItem:
		v, err := u.pop()
		if err != nil {
			return err
		}
		k, err := u.pop()
		if err != nil {
			return err
		}
		return u.setTop([]any{k, v})
	case opSetItems:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.setTop(items)

	case opEmptySet:
		u.push(&pySet{index: map[string]bool{}})
	case opAddItems:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		t, err := u.top()
		if err != nil {
			return err
		}
		s, ok := t.(*pySet)
		if !ok || s.frozen {
			return malformed("ADDITEMS on a %s", typeName(t))
		}
		for _, it := range items {
			if err := s.add(it); err != nil {
				return err
			}
		}
	case opFrozenSet:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		s := &pySet{index: map[string]bool{}, frozen: true}
		for _, it := range items {
			if err := s.add(it); err != nil {
				return err
			}
		}
		u.push(s)

	case opMemoize:
		v, err := u.top()
		if err != nil {
			return err
		}
		u.memo[uint64(len(u.memo))] = v
	case opPut, opBinPut, opLongBinPut:
		idx, err := u.memoIndex(op, opPut, opBinPut)
		if err != nil {
			return err
		}
		v, err := u.top()
		if err != nil {
			return err
		}
		u.memo[idx] = v
	case opGet, opBinGet, opLongBinGet:
		idx, err := u.memoIndex(op, opGet, opBinGet)
		if err != nil {
			return err
		}
		v, ok := u.memo[idx]
		if !ok {
			return malformed("memo key %d not found", idx)
		}
		u.push(v)

	case opGlobal:
		module, err := u.readLine()
		if err != nil {
			return err
		}
		name, err := u.readLine()
		if err != nil {
			return err
		}
		g, err := safeGlobal("GLOBAL", module, name)
		if err != nil {
			return err
		}
		u.push(g)
	case opStackGlobal:
		name, err := u.pop()
		if err != nil {
			return err
		}
		module, err := u.pop()
		if err != nil {
			return err
		}
		ms, ok1 := module.(string)
		ns, ok2 := name.(string)
		if !ok1 || !ok2 {
			return malformed("STACK_GLOBAL needs two strings")
		}
		g, err := safeGlobal("STACK_GLOBAL", ms, ns)
		if err != nil {
			return err
		}
		u.push(g)
	case opReduce:
		args, err := u.pop()
		if err != nil {
			return err
		}
		fn, err := u.pop()
		if err != nil {
			return err
		}
		g, ok := fn.(*pyGlobal)
		t, ok2 := args.(*pyTuple)
		if !ok || !ok2 {
			return malformed("REDUCE needs a callable and a tuple")
		}
		v, err := g.call(t.items)
		if err != nil {
			return err
		}
		u.push(v)
	case opInst:
		return unsupported("INST")
	case opObj:
		return unsupported("OBJ")
	case opBuild:
		return unsupported("BUILD")
	case opNewObj:
		return unsupported("NEWOBJ")
	case opNewObjEx:
		return unsupported("NEWOBJ_EX")
	case opExt1, opExt2, opExt4:
		return unsupported("EXT" + map[byte]string{opExt1: "1", opExt2: "2", opExt4: "4"}[op])
	case opPersID:
		return unsupported("PERSID")
	case opBinPersID:
		return unsupported("BINPERSID")
	case opNextBuffer:
		return unsupported("NEXT_BUFFER")
	case opReadonlyBuffer:
		return unsupported("READONLY_BUFFER")
	default:
		return malformed("unknown opcode 0x%02x at offset %d", op, u.pos-1)
	}
	return nil
}

func (u *unpickler) memoIndex(op, textOp, shortOp byte) (uint64, error) {
	switch op {
	case textOp:
		line, err := u.readLine()
		if err != nil {
			return 0, err
		}
		n, err := strconv.ParseUint(line, 10, 63)
		if err != nil {
			return 0, malformed("bad memo index %q", line)
		}
		return n, nil
	case shortOp:
		return u.readUint(1)
	default:
		return u.readUint(4)
	}
}

func (u *unpickler) pushASCII(s string) error {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return malformed("protocol 0-2 str is not ASCII")
		}
	}
	u.push(s)
	return nil
}

func (u *unpickler) extendTop(items []any) error {
	t, err := u.top()
	if err != nil {
		return err
	}
	l, ok := t.(*pyList)
	if !ok {
		return &UnsupportedError{Opcode: "APPEND", Detail: "to a " + typeName(t)}
	}
	l.items = append(l.items, items...)
	return nil
}

func (u *unpickler) setTop(items []any) error {
	t, err := u.top()
	if err != nil {
		return err
	}
	d, ok := t.(*pyDict)
	if !ok {
		return malformed("SETITEM on a %s", typeName(t))
	}
	return setPairs(d, items)
}

func setPairs(d *pyDict, items []any) error {
	if len(items)%2 != 0 {
		return malformed("odd number of items for a dict")
	}
	for i := 0; i < len(items); i += 2 {
		if err := d.set(items[i], items[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// parseIntText reads the decimal text of the INT and LONG opcodes.
func parseIntText(s string) (any, error) {
	s = strings.TrimSpace(s)
	t := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if t == "" || strings.Trim(t, "0123456789") != "" {
		return nil, malformed("bad integer %q", s)
	}
	return parseInt(strings.TrimPrefix(s, "+"))
}

// decodeLong reads little-endian two's complement bytes (LONG1, LONG4).
func decodeLong(b []byte) any {
	if len(b) == 0 {
		return int64(0)
	}
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	x := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	if x.IsInt64() {
		return x.Int64()
	}
	return x
}

// escapeDecode undoes Python's bytes repr escapes (codecs.escape_decode),
// used by the protocol 0 STRING opcode.
func escapeDecode(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			return "", malformed("trailing \\ in string")
		}
		switch c = s[i]; c {
		case '\n':
		case '\\', '\'', '"':
			b.WriteByte(c)
		case 'a':
			b.WriteByte('\a')
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
		case 'v':
			b.WriteByte('\v')
		case 'x':
			if i+2 >= len(s) {
				return "", malformed("invalid \\x escape")
			}
			n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return "", malformed("invalid \\x escape")
			}
			b.WriteByte(byte(n))
			i += 2
		default:
			if c >= '0' && c <= '7' {
				n := int(c - '0')
				for k := 0; k < 2 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '7'; k++ {
					i++
					n = n*8 + int(s[i]-'0')
				}
				b.WriteByte(byte(n))
				continue
			}
			b.WriteByte('\\')
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// rawUnicodeEscapeDecode undoes Python's raw-unicode-escape codec (the
// protocol 0 UNICODE opcode): bytes are Latin-1 characters except the
// escapes \uXXXX and \UXXXXXXXX.
func rawUnicodeEscapeDecode(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) || (s[i+1] != 'u' && s[i+1] != 'U') {
			if c == '\\' && i+1 < len(s) {
				// A backslash and the next byte are both literal.
				b.WriteRune(rune(c))
				i++
				c = s[i]
			}
			b.WriteRune(rune(c))
			continue
		}
		n := 4
		if s[i+1] == 'U' {
			n = 8
		}
		if i+2+n > len(s) {
			return "", malformed("truncated \\u escape")
		}
		hex := s[i+2 : i+2+n]
		r, err := strconv.ParseUint(hex, 16, 32)
		if err != nil || strings.ContainsAny(hex, "+-") || r > 0x10ffff {
			return "", malformed("bad \\u escape %q", hex)
		}
		writeWTF8(&b, rune(r))
		i += 1 + n
	}
	return b.String(), nil
}

// pyGlobal is one of the few builtins older protocols use to rebuild sets
// and bytes; call evaluates it in Go. Nothing else is ever looked up.
type pyGlobal struct{ name string }

// safeGlobal admits only those builtins (Python 2 names mapped as
// pickle's fix_imports does).
func safeGlobal(opcode, module, name string) (*pyGlobal, error) {
	if module == "__builtin__" {
		module = "builtins"
	}
	full := module + "." + name
	switch full {
	case "builtins.set", "builtins.frozenset", "builtins.bytes", "builtins.bytearray", "_codecs.encode":
		return &pyGlobal{name: full}, nil
	}
	return nil, &UnsupportedError{Opcode: opcode, Detail: full}
}

func (g *pyGlobal) call(args []any) (any, error) {
	bad := func() error {
		return &UnsupportedError{Opcode: "REDUCE", Detail: fmt.Sprintf("%s with %d arguments", g.name, len(args))}
	}
	switch g.name {
	case "builtins.set", "builtins.frozenset":
		s := &pySet{index: map[string]bool{}, frozen: g.name == "builtins.frozenset"}
		if len(args) == 0 {
			return s, nil
		}
		var items []any
		switch it := args[0].(type) {
		case *pyList:
			items = it.items
		case *pyTuple:
			items = it.items
		default:
			return nil, bad()
		}
		if len(args) != 1 {
			return nil, bad()
		}
		for _, e := range items {
			if err := s.add(e); err != nil {
				return nil, err
			}
		}
		return s, nil
	case "builtins.bytes", "builtins.bytearray":
		switch {
		case len(args) == 0:
			return &pyBytes{b: []byte{}}, nil
		case len(args) == 1:
			if b, ok := args[0].(*pyBytes); ok {
				return &pyBytes{b: append([]byte{}, b.b...)}, nil
			}
		case len(args) == 2:
			return encodeLatin1(args[0], args[1], bad)
		}
		return nil, bad()
	case "_codecs.encode":
		if len(args) == 2 {
			return encodeLatin1(args[0], args[1], bad)
		}
	}
	return nil, bad()
}

// encodeLatin1 is str.encode("latin1"), the way protocols 0-2 store bytes.
func encodeLatin1(text, encoding any, bad func() error) (any, error) {
	s, ok1 := text.(string)
	enc, ok2 := encoding.(string)
	if !ok1 || !ok2 || (enc != "latin1" && enc != "latin-1") {
		return nil, bad()
	}
	var out []byte
	for len(s) > 0 {
		r, n := decodeWTF8(s)
		if n == 0 || r > 0xff {
			return nil, malformed("bytes text is not Latin-1")
		}
		out = append(out, byte(r))
		s = s[n:]
	}
	if out == nil {
		out = []byte{}
	}
	return &pyBytes{b: out}, nil
}

// export turns unpickled objects into the values Loads returns. seen holds
// the containers on the current path, to refuse self-containing values.
func export(v any, seen map[any]bool, depth int, budget *int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("pickle: value nested too deeply")
	}
	if *budget--; *budget < 0 {
		return nil, errors.New("pickle: shared objects expand to too large a value")
	}
	switch x := v.(type) {
	case nil, bool, string, int64, float64:
		return x, nil
	case *big.Int:
		return x, nil
	case *pyBytes:
		return x.b, nil
	case *pyGlobal:
		return nil, &UnsupportedError{Opcode: "GLOBAL", Detail: x.name + " as a value"}
	}
	if seen[v] {
		return nil, errors.New("pickle: value contains itself; JSON cannot express it")
	}
	seen[v] = true
	defer delete(seen, v)
	list := func(items []any) (any, error) {
		out := make([]any, len(items))
		for i, e := range items {
			var err error
			if out[i], err = export(e, seen, depth+1, budget); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	switch x := v.(type) {
	case *pyList:
		return list(x.items)
	case *pyTuple:
		return list(x.items)
	case *pySet:
		return list(x.items)
	case *pyDict:
		m := OrderedMap{Keys: make([]string, 0, len(x.keys)), Values: make(map[string]any, len(x.keys))}
		for i, k := range x.keys {
			ks, err := jsonKey(k)
			if err != nil {
				return nil, err
			}
			val, err := export(x.vals[i], seen, depth+1, budget)
			if err != nil {
				return nil, err
			}
			m.Set(ks, val)
		}
		return m, nil
	}
	return nil, fmt.Errorf("pickle: unexpected %T", v)
}

// jsonKey converts a dict key as Python's json.dumps does.
func jsonKey(k any) (string, error) {
	switch x := k.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case nil:
		return "null", nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case *big.Int:
		return x.String(), nil
	case float64:
		switch {
		case math.IsNaN(x):
			return "NaN", nil
		case math.IsInf(x, 1):
			return "Infinity", nil
		case math.IsInf(x, -1):
			return "-Infinity", nil
		}
		return pythonFloatRepr(x), nil
	}
	return "", fmt.Errorf("pickle: dict key of type %s cannot be a JSON key", typeName(k))
}
