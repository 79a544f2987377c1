package pickle

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"unicode/utf8"
)

// Protocol is the pickle protocol Airflow 2 writes dag_run.conf with:
// SQLAlchemy's PickleType defaults to pickle.HIGHEST_PROTOCOL, 5 since
// Python 3.8.
const Protocol = 5

// Opcodes used here, named as in Python's pickletools.
const (
	opMark           = '('
	opStop           = '.'
	opPop            = '0'
	opPopMark        = '1'
	opDup            = '2'
	opFloat          = 'F'
	opInt            = 'I'
	opBinInt         = 'J'
	opBinInt1        = 'K'
	opLong           = 'L'
	opBinInt2        = 'M'
	opNone           = 'N'
	opPersID         = 'P'
	opBinPersID      = 'Q'
	opReduce         = 'R'
	opString         = 'S'
	opBinString      = 'T'
	opShortBinString = 'U'
	opUnicode        = 'V'
	opBinUnicode     = 'X'
	opAppend         = 'a'
	opBuild          = 'b'
	opGlobal         = 'c'
	opDict           = 'd'
	opEmptyDict      = '}'
	opAppends        = 'e'
	opGet            = 'g'
	opBinGet         = 'h'
	opInst           = 'i'
	opLongBinGet     = 'j'
	opList           = 'l'
	opEmptyList      = ']'
	opObj            = 'o'
	opPut            = 'p'
	opBinPut         = 'q'
	opLongBinPut     = 'r'
	opSetItem        = 's'
	opTuple          = 't'
	opEmptyTuple     = ')'
	opSetItems       = 'u'
	opBinFloat       = 'G'
	opProto          = 0x80
	opNewObj         = 0x81
	opExt1           = 0x82
	opExt2           = 0x83
	opExt4           = 0x84
	opTuple1         = 0x85
	opTuple2         = 0x86
	opTuple3         = 0x87
	opNewTrue        = 0x88
	opNewFalse       = 0x89
	opLong1          = 0x8a
	opLong4          = 0x8b
	opBinBytes       = 'B'
	opShortBinBytes  = 'C'
	opShortBinUni    = 0x8c
	opBinUnicode8    = 0x8d
	opBinBytes8      = 0x8e
	opEmptySet       = 0x8f
	opAddItems       = 0x90
	opFrozenSet      = 0x91
	opNewObjEx       = 0x92
	opStackGlobal    = 0x93
	opMemoize        = 0x94
	opFrame          = 0x95
	opByteArray8     = 0x96
	opNextBuffer     = 0x97
	opReadonlyBuffer = 0x98
)

// Framing and batching constants of Modules/_pickle.c.
const (
	batchSize       = 1000
	frameSizeMin    = 4
	frameSizeTarget = 64 * 1024
	frameHeaderSize = 9
)

// DumpsJSON pickles JSON text exactly as
// pickle.dumps(json.loads(text), protocol=5) does in CPython. It is the way
// to write dag_run.conf for Airflow 2: key order is the text's order.
func DumpsJSON(jsonText []byte) ([]byte, error) {
	v, err := DecodeJSON(jsonText)
	if err != nil {
		return nil, err
	}
	return Dumps(v)
}

// Dumps pickles a JSON-like value with protocol 5, byte for byte as
// CPython's C pickler does for the object json.loads would build from the
// value's JSON text. Accepted: nil, bool, string (UTF-8, lone surrogates as
// WTF-8), Go integers, *big.Int, float32/float64 (a Python float even when
// integral), json.Number, []any, OrderedMap / *OrderedMap (key order kept),
// and map[string]any (keys sorted, as encoding/json writes them).
//
// Object identity decides where the pickler writes memo references, so the
// identity json.loads gives is reproduced: equal object keys are one object
// per document (the decoder's key memo), and "" and one-character strings
// below U+0100 are CPython singletons shared by keys and values alike; every
// other string, list and dict is its own object.
func Dumps(v any) ([]byte, error) {
	p := pickler{
		frameStart: -1,
		keys:       map[string]int{},
		singletons: map[string]int{},
	}
	p.write(opProto, Protocol)
	p.framing = true
	if err := p.save(v, 0); err != nil {
		return nil, err
	}
	p.write(opStop)
	p.commitFrame()
	return p.out, nil
}

type pickler struct {
	out        []byte
	framing    bool
	frameStart int // offset of the current frame's header, -1 for none
	memoLen    int
	keys       map[string]int // dict key text -> memo index
	singletons map[string]int // "" and 1-char latin-1 strings -> memo index
}

// write mirrors _Pickler_Write: the first write after a committed frame
// reserves room for the next frame's header.
func (p *pickler) write(b ...byte) {
	if p.framing && p.frameStart == -1 {
		p.frameStart = len(p.out)
		p.out = append(p.out, make([]byte, frameHeaderSize)...)
	}
	p.out = append(p.out, b...)
}

func (p *pickler) writeString(s string) {
	if p.framing && p.frameStart == -1 {
		p.write()
	}
	p.out = append(p.out, s...)
}

// commitFrame mirrors _Pickler_CommitFrame: a frame shorter than
// frameSizeMin loses its header.
func (p *pickler) commitFrame() {
	if !p.framing || p.frameStart == -1 {
		return
	}
	n := len(p.out) - p.frameStart - frameHeaderSize
	if n >= frameSizeMin {
		p.out[p.frameStart] = opFrame
		binary.LittleEndian.PutUint64(p.out[p.frameStart+1:], uint64(n))
	} else {
		copy(p.out[p.frameStart:], p.out[p.frameStart+frameHeaderSize:])
		p.out = p.out[:len(p.out)-frameHeaderSize]
	}
	p.frameStart = -1
}

// opcodeBoundary mirrors _Pickler_OpcodeBoundary, called as each save starts.
func (p *pickler) opcodeBoundary() {
	if p.framing && p.frameStart != -1 && len(p.out)-p.frameStart-frameHeaderSize >= frameSizeTarget {
		p.commitFrame()
	}
}

func (p *pickler) memoize() int {
	p.write(opMemoize)
	p.memoLen++
	return p.memoLen - 1
}

func (p *pickler) get(idx int) {
	if idx < 256 {
		p.write(opBinGet, byte(idx))
		return
	}
	var b [5]byte
	b[0] = opLongBinGet
	binary.LittleEndian.PutUint32(b[1:], uint32(idx))
	p.write(b[:]...)
}

func (p *pickler) save(v any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("pickle: value nested too deeply")
	}
	p.opcodeBoundary()
	switch x := v.(type) {
	case nil:
		p.write(opNone)
	case bool:
		if x {
			p.write(opNewTrue)
		} else {
			p.write(opNewFalse)
		}
	case string:
		return p.saveString(x, false)
	case int:
		p.saveInt(int64(x))
	case int8:
		p.saveInt(int64(x))
	case int16:
		p.saveInt(int64(x))
	case int32:
		p.saveInt(int64(x))
	case int64:
		p.saveInt(x)
	case uint:
		p.saveBig(new(big.Int).SetUint64(uint64(x)))
	case uint8:
		p.saveInt(int64(x))
	case uint16:
		p.saveInt(int64(x))
	case uint32:
		p.saveInt(int64(x))
	case uint64:
		p.saveBig(new(big.Int).SetUint64(x))
	case *big.Int:
		if x == nil {
			p.write(opNone)
			return nil
		}
		p.saveBig(x)
	case float32:
		p.saveFloat(float64(x))
	case float64:
		p.saveFloat(x)
	case json.Number:
		n, err := numberValue(string(x))
		if err != nil {
			return err
		}
		return p.save(n, depth)
	case []any:
		return p.saveList(x, depth)
	case OrderedMap:
		return p.saveDict(x, depth)
	case *OrderedMap:
		if x == nil {
			p.write(opNone)
			return nil
		}
		return p.saveDict(*x, depth)
	case map[string]any:
		m := OrderedMap{Keys: make([]string, 0, len(x)), Values: x}
		for k := range x {
			m.Keys = append(m.Keys, k)
		}
		sort.Strings(m.Keys)
		return p.saveDict(m, depth)
	default:
		return fmt.Errorf("pickle: cannot pickle %T: only JSON-like values are supported", v)
	}
	return nil
}

// numberValue classifies a JSON number like json.loads: int unless it has a
// fraction or an exponent.
func numberValue(text string) (any, error) {
	d := jsonDecoder{s: text}
	if text == "" {
		return nil, malformed("empty json.Number")
	}
	v, err := d.value(0)
	if err != nil || d.i != len(text) {
		return nil, malformed("bad json.Number %q", text)
	}
	switch v.(type) {
	case int64, *big.Int, float64:
		return v, nil
	}
	return nil, malformed("bad json.Number %q", text)
}

// isSingleton reports whether CPython hands out one shared object for s:
// the empty string and one-character strings below U+0100.
func isSingleton(s string) bool {
	if s == "" {
		return true
	}
	r, n := utf8.DecodeRuneInString(s)
	return n == len(s) && r != utf8.RuneError && r < 0x100
}

func (p *pickler) saveString(s string, isKey bool) error {
	if !validWTF8(s) {
		return fmt.Errorf("pickle: string %q is not valid UTF-8", s)
	}
	var table map[string]int
	switch {
	case isSingleton(s):
		table = p.singletons
	case isKey:
		table = p.keys
	}
	if table != nil {
		if idx, ok := table[s]; ok {
			p.get(idx)
			return nil
		}
	}
	// write_unicode_binary + _Pickler_write_bytes.
	n := len(s)
	var header []byte
	switch {
	case n <= 0xff:
		header = []byte{opShortBinUni, byte(n)}
	case uint64(n) <= 0xffffffff:
		header = []byte{opBinUnicode, 0, 0, 0, 0}
		binary.LittleEndian.PutUint32(header[1:], uint32(n))
	default:
		header = make([]byte, 9)
		header[0] = opBinUnicode8
		binary.LittleEndian.PutUint64(header[1:], uint64(n))
	}
	if n >= frameSizeTarget {
		// Large payloads go outside any frame.
		p.commitFrame()
		framing := p.framing
		p.framing = false
		p.write(header...)
		p.writeString(s)
		p.framing = framing
	} else {
		p.write(header...)
		p.writeString(s)
	}
	idx := p.memoize()
	if table != nil {
		table[s] = idx
	}
	return nil
}

// saveInt mirrors save_long: BININT1/BININT2/BININT within 32 bits, else
// LONG1.
func (p *pickler) saveInt(v int64) {
	if v >= math.MinInt32 && v <= math.MaxInt32 {
		u := uint32(int32(v))
		switch {
		case u>>16 != 0:
			var b [5]byte
			b[0] = opBinInt
			binary.LittleEndian.PutUint32(b[1:], u)
			p.write(b[:]...)
		case u>>8 != 0:
			p.write(opBinInt2, byte(u), byte(u>>8))
		default:
			p.write(opBinInt1, byte(u))
		}
		return
	}
	p.saveBig(big.NewInt(v))
}

func (p *pickler) saveBig(v *big.Int) {
	if v.IsInt64() && v.Int64() >= math.MinInt32 && v.Int64() <= math.MaxInt32 {
		p.saveInt(v.Int64())
		return
	}
	data := encodeLong(v)
	if len(data) < 256 {
		p.write(opLong1, byte(len(data)))
	} else {
		var b [5]byte
		b[0] = opLong4
		binary.LittleEndian.PutUint32(b[1:], uint32(len(data)))
		p.write(b[:]...)
	}
	p.write(data...)
}

// encodeLong gives the little-endian two's complement bytes save_long
// writes: bitlen/8+1 bytes, one fewer for a negative number whose top byte
// is only sign.
func encodeLong(v *big.Int) []byte {
	if v.Sign() == 0 {
		return nil
	}
	n := v.BitLen()/8 + 1
	x := new(big.Int).Set(v)
	if v.Sign() < 0 {
		x.Add(x, new(big.Int).Lsh(big.NewInt(1), uint(8*n)))
	}
	be := x.FillBytes(make([]byte, n))
	le := make([]byte, n)
	for i := range be {
		le[n-1-i] = be[i]
	}
	if v.Sign() < 0 && n > 1 && le[n-1] == 0xff && le[n-2]&0x80 != 0 {
		le = le[:n-1]
	}
	return le
}

func (p *pickler) saveFloat(f float64) {
	bits := math.Float64bits(f)
	if math.IsNaN(f) {
		bits = 0x7ff8000000000000 // CPython's float('nan')
	}
	var b [9]byte
	b[0] = opBinFloat
	binary.BigEndian.PutUint64(b[1:], bits)
	p.write(b[:]...)
}

// saveList mirrors save_list + batch_list_exact.
func (p *pickler) saveList(items []any, depth int) error {
	p.write(opEmptyList)
	p.memoize()
	switch len(items) {
	case 0:
		return nil
	case 1:
		if err := p.save(items[0], depth+1); err != nil {
			return err
		}
		p.write(opAppend)
		return nil
	}
	for total := 0; total < len(items); {
		p.write(opMark)
		for n := 0; total < len(items) && n < batchSize; n++ {
			if err := p.save(items[total], depth+1); err != nil {
				return err
			}
			total++
		}
		p.write(opAppends)
	}
	return nil
}

// saveDict mirrors save_dict + batch_dict_exact, including its quirk of an
// empty MARK SETITEMS after a dict whose size is a multiple of 1000.
func (p *pickler) saveDict(m OrderedMap, depth int) error {
	if len(m.Keys) != len(m.Values) {
		return fmt.Errorf("pickle: OrderedMap has %d keys and %d values", len(m.Keys), len(m.Values))
	}
	seen := make(map[string]bool, len(m.Keys))
	for _, k := range m.Keys {
		if _, ok := m.Values[k]; !ok || seen[k] {
			return fmt.Errorf("pickle: OrderedMap key %q is missing or repeated", k)
		}
		seen[k] = true
	}
	p.write(opEmptyDict)
	p.memoize()
	pair := func(k string) error {
		p.opcodeBoundary()
		if err := p.saveString(k, true); err != nil {
			return err
		}
		return p.save(m.Values[k], depth+1)
	}
	switch len(m.Keys) {
	case 0:
		return nil
	case 1:
		if err := pair(m.Keys[0]); err != nil {
			return err
		}
		p.write(opSetItem)
		return nil
	}
	next := 0
	for {
		p.write(opMark)
		n := 0
		for next < len(m.Keys) {
			if err := pair(m.Keys[next]); err != nil {
				return err
			}
			next++
			if n++; n == batchSize {
				break
			}
		}
		p.write(opSetItems)
		if n != batchSize {
			return nil
		}
	}
}
