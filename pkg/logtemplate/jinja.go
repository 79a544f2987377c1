package logtemplate

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// --- values -----------------------------------------------------------------

// undefined is Jinja's default Undefined: it prints as "", is false, and
// fails on attribute access and ordering (jinja2/runtime.py Undefined).
type undefined struct{ name string }

// object is a Python object of Airflow's (TaskInstance, DagRun, DAG,
// operator) with the attributes dagctl knows; any other attribute is an
// error, since Airflow would print a value dagctl cannot know.
type object struct {
	name  string
	attrs map[string]any
}

// method is a bound method of a value, called with (...).
type method struct {
	recv any
	name string
}

func pyStr(v any) (string, error) {
	switch x := v.(type) {
	case undefined:
		return "", nil
	case nil:
		return "None", nil
	case bool:
		if x {
			return "True", nil
		}
		return "False", nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case string:
		return x, nil
	case time.Time:
		// str(pendulum.DateTime) is isoformat(" ") (pendulum 3, src/pendulum/datetime.py).
		return isoformat(x, " "), nil
	case *object:
		return "", fmt.Errorf("cannot print %s itself, only its attributes", x.name)
	case method:
		return "", fmt.Errorf("cannot print method %s; call it", x.name)
	}
	return "", fmt.Errorf("cannot print a %T", v)
}

func truthy(v any) bool {
	switch x := v.(type) {
	case undefined, nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case string:
		return x != ""
	}
	return true
}

// --- template structure -----------------------------------------------------

type node interface{}

type textNode struct{ s string }

type outputNode struct{ e expr }

type ifNode struct {
	conds  []expr
	bodies [][]node
	els    []node
}

// segment is one piece of the template source: text, {{ }}, {% %} or {# #}.
type segment struct {
	kind byte // 't' text, '{' output, '%' statement
	text string
	toks []token
}

// split cuts the template into segments, applying Jinja's whitespace
// control ("{{-" strips white space before, "-}}" after).
func split(src string) ([]segment, error) {
	var segs []segment
	stripNext := false
	i := 0
	for i < len(src) {
		j := strings.Index(src[i:], "{")
		for j >= 0 && i+j+1 < len(src) && !strings.ContainsRune("{%#", rune(src[i+j+1])) {
			k := strings.Index(src[i+j+1:], "{")
			if k < 0 {
				j = -1
				break
			}
			j += 1 + k
		}
		if j < 0 || i+j+1 >= len(src) {
			segs = append(segs, segment{kind: 't', text: src[i:]})
			if stripNext {
				segs[len(segs)-1].text = strings.TrimLeftFunc(segs[len(segs)-1].text, unicode.IsSpace)
			}
			break
		}
		text := src[i : i+j]
		if stripNext {
			text = strings.TrimLeftFunc(text, unicode.IsSpace)
			stripNext = false
		}
		start := i + j
		kind := src[start+1]
		pos := start + 2
		if pos < len(src) && src[pos] == '-' {
			text = strings.TrimRightFunc(text, unicode.IsSpace)
			pos++
		} else if pos < len(src) && src[pos] == '+' {
			pos++
		}
		segs = append(segs, segment{kind: 't', text: text})
		switch kind {
		case '#':
			end := strings.Index(src[pos:], "#}")
			if end < 0 {
				return nil, errors.New("unclosed comment {#")
			}
			if end > 0 && src[pos+end-1] == '-' {
				stripNext = true
			}
			i = pos + end + 2
		default:
			closer := "}}"
			if kind == '%' {
				closer = "%}"
			}
			toks, end, strip, err := lexExpr(src, pos, closer)
			if err != nil {
				return nil, err
			}
			segs = append(segs, segment{kind: kind, toks: toks})
			stripNext = strip
			i = end
		}
	}
	return segs, nil
}

// parseNodes turns segments into a tree of nodes.
func parseNodes(segs []segment) ([]node, error) {
	p := &nodeParser{segs: segs}
	nodes, stop, err := p.parse()
	if err != nil {
		return nil, err
	}
	if stop != "" {
		return nil, fmt.Errorf("unexpected {%% %s %%}", stop)
	}
	return nodes, nil
}

type nodeParser struct {
	segs []segment
	i    int
}

// parse reads nodes until the end or a statement it does not own
// (elif/else/endif), which it returns as stop, leaving its tokens in p.cur.
func (p *nodeParser) parse() (nodes []node, stop string, err error) {
	for p.i < len(p.segs) {
		s := p.segs[p.i]
		p.i++
		switch s.kind {
		case 't':
			if s.text != "" {
				nodes = append(nodes, textNode{s.text})
			}
		case '{':
			e, err := parseExpr(s.toks)
			if err != nil {
				return nil, "", err
			}
			nodes = append(nodes, outputNode{e})
		case '%':
			if len(s.toks) == 0 || s.toks[0].kind != tName {
				return nil, "", errors.New("empty {% %} statement")
			}
			switch kw := s.toks[0].s; kw {
			case "if":
				n, err := p.parseIf(s.toks[1:])
				if err != nil {
					return nil, "", err
				}
				nodes = append(nodes, n)
			case "elif", "else", "endif":
				p.i-- // the caller reads it
				return nodes, kw, nil
			default:
				return nil, "", fmt.Errorf("the {%% %s %%} statement is not supported", kw)
			}
		}
	}
	return nodes, "", nil
}

func (p *nodeParser) parseIf(cond []token) (node, error) {
	n := &ifNode{}
	for {
		c, err := parseExpr(cond)
		if err != nil {
			return nil, err
		}
		body, stop, err := p.parse()
		if err != nil {
			return nil, err
		}
		n.conds = append(n.conds, c)
		n.bodies = append(n.bodies, body)
		if stop == "" {
			return nil, errors.New("{% if %} without {% endif %}")
		}
		toks := p.segs[p.i].toks
		p.i++
		switch stop {
		case "elif":
			cond = toks[1:]
			continue
		case "else":
			if len(toks) != 1 {
				return nil, errors.New("{% else %} takes nothing")
			}
			els, stop2, err := p.parse()
			if err != nil {
				return nil, err
			}
			if stop2 != "endif" {
				return nil, errors.New("{% if %} without {% endif %}")
			}
			p.i++
			n.els = els
			return n, nil
		case "endif":
			if len(toks) != 1 {
				return nil, errors.New("{% endif %} takes nothing")
			}
			return n, nil
		}
	}
}

// --- expressions: lexer -------------------------------------------------------

const (
	tName = iota
	tInt
	tStr
	tOp
)

type token struct {
	kind int
	s    string
	n    int64
}

// lexExpr reads tokens from src[pos:] up to closer ("}}" or "%}", optionally
// preceded by "-" for whitespace control); it returns the position after it.
func lexExpr(src string, pos int, closer string) (toks []token, end int, strip bool, err error) {
	i := pos
	for {
		for i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r') {
			i++
		}
		if i >= len(src) {
			return nil, 0, false, fmt.Errorf("unclosed %q", closer)
		}
		if strings.HasPrefix(src[i:], closer) {
			return toks, i + 2, false, nil
		}
		if src[i] == '-' && strings.HasPrefix(src[i+1:], closer) {
			return toks, i + 3, true, nil
		}
		if src[i] == '+' && strings.HasPrefix(src[i+1:], closer) {
			return toks, i + 3, false, nil
		}
		c := src[i]
		switch {
		case c == '_' || unicode.IsLetter(rune(c)):
			j := i
			for j < len(src) && (src[j] == '_' || unicode.IsLetter(rune(src[j])) || unicode.IsDigit(rune(src[j]))) {
				j++
			}
			toks = append(toks, token{kind: tName, s: src[i:j]})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			if j < len(src) && src[j] == '.' && j+1 < len(src) && src[j+1] >= '0' && src[j+1] <= '9' {
				return nil, 0, false, errors.New("floating-point numbers are not supported")
			}
			n, err := strconv.ParseInt(src[i:j], 10, 64)
			if err != nil {
				return nil, 0, false, fmt.Errorf("number %s: %v", src[i:j], err)
			}
			toks = append(toks, token{kind: tInt, n: n, s: src[i:j]})
			i = j
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(src) && src[j] != c; j++ {
				if src[j] == '\\' && j+1 < len(src) {
					j++
					switch src[j] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					default:
						b.WriteByte(src[j])
					}
					continue
				}
				b.WriteByte(src[j])
			}
			if j >= len(src) {
				return nil, 0, false, errors.New("unterminated string literal")
			}
			toks = append(toks, token{kind: tStr, s: b.String()})
			i = j + 1
		default:
			op := ""
			for _, o := range []string{"==", "!=", ">=", "<=", "//", "**", ">", "<", "(", ")", "[", "]", ".", ",", "|", "~", "+", "-", "*", "/", "%", "=", ":", "{", "}"} {
				if strings.HasPrefix(src[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return nil, 0, false, fmt.Errorf("unexpected character %q", c)
			}
			toks = append(toks, token{kind: tOp, s: op})
			i += len(op)
		}
	}
}

// --- expressions: parser --------------------------------------------------------

type expr interface{}

type (
	nameExpr    struct{ name string }
	literalExpr struct{ v any }
	attrExpr    struct {
		x    expr
		name string
	}
	itemExpr struct{ x, key expr }
	callExpr struct {
		x      expr
		args   []expr
		kwargs map[string]expr
	}
	filterExpr struct {
		x      expr
		name   string
		args   []expr
		kwargs map[string]expr
	}
	binExpr struct {
		op   string
		l, r expr
	}
	notExpr struct{ x expr }
	negExpr struct{ x expr }
)

type exprParser struct {
	toks []token
	i    int
}

func parseExpr(toks []token) (expr, error) {
	if len(toks) == 0 {
		return nil, errors.New("empty expression")
	}
	p := &exprParser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.i].text())
	}
	return e, nil
}

func (t token) text() string {
	if t.kind == tStr {
		return strconv.Quote(t.s)
	}
	return t.s
}

func (p *exprParser) peek(kind int, s string) bool {
	return p.i < len(p.toks) && p.toks[p.i].kind == kind && p.toks[p.i].s == s
}

func (p *exprParser) accept(kind int, s string) bool {
	if p.peek(kind, s) {
		p.i++
		return true
	}
	return false
}

func (p *exprParser) expect(kind int, s string) error {
	if p.accept(kind, s) {
		return nil
	}
	if p.i >= len(p.toks) {
		return fmt.Errorf("expected %q, got the end of the expression", s)
	}
	return fmt.Errorf("expected %q, got %q", s, p.toks[p.i].text())
}

func (p *exprParser) or() (expr, error) {
	l, err := p.and()
	for err == nil && p.accept(tName, "or") {
		var r expr
		if r, err = p.and(); err == nil {
			l = binExpr{"or", l, r}
		}
	}
	return l, err
}

func (p *exprParser) and() (expr, error) {
	l, err := p.not()
	for err == nil && p.accept(tName, "and") {
		var r expr
		if r, err = p.not(); err == nil {
			l = binExpr{"and", l, r}
		}
	}
	return l, err
}

func (p *exprParser) not() (expr, error) {
	if p.accept(tName, "not") {
		x, err := p.not()
		return notExpr{x}, err
	}
	return p.compare()
}

func (p *exprParser) compare() (expr, error) {
	l, err := p.concat()
	if err != nil {
		return nil, err
	}
	for {
		op := ""
		for _, o := range []string{"==", "!=", ">=", "<=", ">", "<"} {
			if p.accept(tOp, o) {
				op = o
				break
			}
		}
		if op == "" && p.accept(tName, "in") {
			op = "in"
		}
		if op == "" && p.peek(tName, "not") && p.i+1 < len(p.toks) && p.toks[p.i+1].kind == tName && p.toks[p.i+1].s == "in" {
			p.i += 2
			op = "not in"
		}
		if op == "" {
			return l, nil
		}
		r, err := p.concat()
		if err != nil {
			return nil, err
		}
		l = binExpr{op, l, r}
	}
}

func (p *exprParser) concat() (expr, error) {
	l, err := p.additive()
	for err == nil && p.accept(tOp, "~") {
		var r expr
		if r, err = p.additive(); err == nil {
			l = binExpr{"~", l, r}
		}
	}
	return l, err
}

func (p *exprParser) additive() (expr, error) {
	l, err := p.unary()
	for err == nil {
		op := ""
		if p.accept(tOp, "+") {
			op = "+"
		} else if p.accept(tOp, "-") {
			op = "-"
		} else {
			break
		}
		var r expr
		if r, err = p.unary(); err == nil {
			l = binExpr{op, l, r}
		}
	}
	return l, err
}

func (p *exprParser) unary() (expr, error) {
	if p.accept(tOp, "-") {
		x, err := p.unary()
		return negExpr{x}, err
	}
	x, err := p.postfix()
	if err != nil {
		return nil, err
	}
	for p.accept(tOp, "|") {
		if p.i >= len(p.toks) || p.toks[p.i].kind != tName {
			return nil, errors.New("expected a filter name after |")
		}
		f := filterExpr{x: x, name: p.toks[p.i].s}
		p.i++
		if p.accept(tOp, "(") {
			if f.args, f.kwargs, err = p.callArgs(); err != nil {
				return nil, err
			}
		}
		x = f
	}
	return x, nil
}

func (p *exprParser) postfix() (expr, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.accept(tOp, "."):
			if p.i >= len(p.toks) || (p.toks[p.i].kind != tName && p.toks[p.i].kind != tInt) {
				return nil, errors.New("expected an attribute name after .")
			}
			x = attrExpr{x, p.toks[p.i].s}
			p.i++
		case p.accept(tOp, "["):
			k, err := p.or()
			if err != nil {
				return nil, err
			}
			if err := p.expect(tOp, "]"); err != nil {
				return nil, err
			}
			x = itemExpr{x, k}
		case p.accept(tOp, "("):
			c := callExpr{x: x}
			if c.args, c.kwargs, err = p.callArgs(); err != nil {
				return nil, err
			}
			x = c
		default:
			return x, nil
		}
	}
}

// callArgs reads arguments after "(" up to and including ")".
func (p *exprParser) callArgs() ([]expr, map[string]expr, error) {
	var args []expr
	kwargs := map[string]expr{}
	if p.accept(tOp, ")") {
		return args, kwargs, nil
	}
	for {
		if p.i+1 < len(p.toks) && p.toks[p.i].kind == tName && p.toks[p.i+1].kind == tOp && p.toks[p.i+1].s == "=" {
			name := p.toks[p.i].s
			p.i += 2
			v, err := p.or()
			if err != nil {
				return nil, nil, err
			}
			kwargs[name] = v
		} else {
			if len(kwargs) > 0 {
				return nil, nil, errors.New("positional argument after keyword argument")
			}
			v, err := p.or()
			if err != nil {
				return nil, nil, err
			}
			args = append(args, v)
		}
		if p.accept(tOp, ")") {
			return args, kwargs, nil
		}
		if err := p.expect(tOp, ","); err != nil {
			return nil, nil, err
		}
	}
}

func (p *exprParser) primary() (expr, error) {
	if p.i >= len(p.toks) {
		return nil, errors.New("unexpected end of expression")
	}
	t := p.toks[p.i]
	p.i++
	switch t.kind {
	case tInt:
		return literalExpr{t.n}, nil
	case tStr:
		s := t.s
		// Adjacent string literals are concatenated, as in Python.
		for p.i < len(p.toks) && p.toks[p.i].kind == tStr {
			s += p.toks[p.i].s
			p.i++
		}
		return literalExpr{s}, nil
	case tName:
		switch t.s {
		case "true", "True":
			return literalExpr{true}, nil
		case "false", "False":
			return literalExpr{false}, nil
		case "none", "None":
			return literalExpr{nil}, nil
		case "and", "or", "not", "in", "if", "else", "is":
			return nil, fmt.Errorf("unexpected %q", t.s)
		}
		return nameExpr{t.s}, nil
	case tOp:
		if t.s == "(" {
			e, err := p.or()
			if err != nil {
				return nil, err
			}
			if err := p.expect(tOp, ")"); err != nil {
				return nil, err
			}
			return e, nil
		}
	}
	return nil, fmt.Errorf("unexpected %q", t.text())
}
