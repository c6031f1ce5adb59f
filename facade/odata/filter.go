package odata

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// expr is a bound, type-checked $filter node.
type expr interface {
	kind() kind
}

type litExpr struct{ v value }

type propExpr struct {
	p *Property
	k kind
}

type notExpr struct{ x expr }

type negExpr struct{ x expr }

type binExpr struct {
	op   string
	l, r expr
	k    kind
}

type callExpr struct {
	fn   string
	args []expr
	re   *regexp.Regexp // like
}

func (e *litExpr) kind() kind  { return e.v.k }
func (e *propExpr) kind() kind { return e.k }
func (e *notExpr) kind() kind  { return kBool }
func (e *negExpr) kind() kind  { return kNumber }
func (e *binExpr) kind() kind  { return e.k }
func (e *callExpr) kind() kind {
	switch e.fn {
	case "year", "month", "day", "hour", "minute", "second":
		return kNumber
	}
	return kBool
}

// Functions of OData v3 that 1C's standard interface does not support; they are refused with
// a message that says so (ONEC 19), rather than as unknown words.
var unsupportedFuncs = map[string]bool{
	"tolower": true, "toupper": true, "length": true, "indexof": true, "trim": true,
	"concat": true, "substring": true, "replace": true, "round": true, "floor": true,
	"ceiling": true, "isof": true, "cast": true, "any": true, "all": true, "date": true,
	"time": true, "fractionalseconds": true, "totaloffsetminutes": true, "now": true,
	"mindatetime": true, "maxdatetime": true, "contains": true, "totalseconds": true,
}

type parser struct {
	toks  []token
	i     int
	t     *etype
	depth int
	nodes int
}

// parseFilter parses and type-checks a $filter against t.
func parseFilter(src string, t *etype) (expr, *syntaxError) {
	toks, serr := lex(src)
	if serr != nil {
		return nil, serr
	}
	p := &parser{toks: toks, t: t}
	e, serr := p.or()
	if serr != nil {
		return nil, serr
	}
	if tok := p.peek(); tok.kind != tEOF {
		return nil, p.unexpected(tok)
	}
	if e.kind() != kBool {
		return nil, &syntaxError{pos: 1, msg: "условие должно быть логическим выражением"}
	}
	return e, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) unexpected(t token) *syntaxError {
	if t.kind == tEOF {
		return &syntaxError{pos: t.pos, msg: "неожиданный конец выражения"}
	}
	return &syntaxError{pos: t.pos, msg: "неожиданное «" + t.text + "»"}
}

// isWord reports whether the next token is the operator word w (case-insensitive, as some
// clients send EQ or And).
func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tIdent && strings.EqualFold(t.text, w)
}

func (p *parser) node(pos int) *syntaxError {
	p.nodes++
	if p.nodes > maxExprNodes {
		return &syntaxError{pos: pos, msg: "выражение слишком сложное"}
	}
	return nil
}

func (p *parser) or() (expr, *syntaxError) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		t := p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		if l, err = p.logical("or", t, l, r); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (p *parser) and() (expr, *syntaxError) {
	l, err := p.equality()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		t := p.next()
		r, err := p.equality()
		if err != nil {
			return nil, err
		}
		if l, err = p.logical("and", t, l, r); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (p *parser) logical(op string, t token, l, r expr) (expr, *syntaxError) {
	if err := p.node(t.pos); err != nil {
		return nil, err
	}
	if !boolish(l) || !boolish(r) {
		return nil, &syntaxError{pos: t.pos, msg: "операнды «" + op + "» должны быть логическими"}
	}
	return &binExpr{op: op, l: l, r: r, k: kBool}, nil
}

func boolish(e expr) bool { return e.kind() == kBool || e.kind() == kNull }

func (p *parser) equality() (expr, *syntaxError) {
	l, err := p.relational()
	if err != nil {
		return nil, err
	}
	for p.isWord("eq") || p.isWord("ne") {
		t := p.next()
		r, err := p.relational()
		if err != nil {
			return nil, err
		}
		if l, err = p.comparison(strings.ToLower(t.text), t, l, r); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (p *parser) relational() (expr, *syntaxError) {
	l, err := p.additive()
	if err != nil {
		return nil, err
	}
	for p.isWord("gt") || p.isWord("ge") || p.isWord("lt") || p.isWord("le") {
		t := p.next()
		r, err := p.additive()
		if err != nil {
			return nil, err
		}
		if l, err = p.comparison(strings.ToLower(t.text), t, l, r); err != nil {
			return nil, err
		}
	}
	if p.isWord("isof") || p.isWord("has") {
		return nil, &syntaxError{pos: p.peek().pos, msg: "оператор «" + p.peek().text + "» не поддерживается"}
	}
	return l, nil
}

// comparison type-checks a comparison. A string literal compared with a GUID property is
// taken as a GUID, since some clients leave out the guid” prefix.
func (p *parser) comparison(op string, t token, l, r expr) (expr, *syntaxError) {
	if err := p.node(t.pos); err != nil {
		return nil, err
	}
	l, r = coerceGUID(l, r), coerceGUID(r, l)
	lk, rk := l.kind(), r.kind()
	if lk != kNull && rk != kNull && lk != rk {
		return nil, &syntaxError{pos: t.pos, msg: "нельзя сравнить " + lk.String() + " и " + rk.String()}
	}
	if op != "eq" && op != "ne" && (lk == kBool || rk == kBool) {
		return nil, &syntaxError{pos: t.pos, msg: "логические значения сравниваются только eq и ne"}
	}
	return &binExpr{op: op, l: l, r: r, k: kBool}, nil
}

func coerceGUID(e, other expr) expr {
	lit, ok := e.(*litExpr)
	if !ok || lit.v.k != kString || other.kind() != kGUID {
		return e
	}
	g, err := ParseGUID(lit.v.s)
	if err != nil {
		return e
	}
	return &litExpr{v: value{k: kGUID, g: g}}
}

func (p *parser) additive() (expr, *syntaxError) {
	l, err := p.multiplicative()
	if err != nil {
		return nil, err
	}
	for p.isWord("add") || p.isWord("sub") {
		t := p.next()
		r, err := p.multiplicative()
		if err != nil {
			return nil, err
		}
		if l, err = p.arith(strings.ToLower(t.text), t, l, r); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (p *parser) multiplicative() (expr, *syntaxError) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isWord("mul") || p.isWord("div") || p.isWord("mod") {
		t := p.next()
		if strings.EqualFold(t.text, "mod") {
			return nil, &syntaxError{pos: t.pos, msg: "оператор «mod» не поддерживается"}
		}
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		if l, err = p.arith(strings.ToLower(t.text), t, l, r); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (p *parser) arith(op string, t token, l, r expr) (expr, *syntaxError) {
	if err := p.node(t.pos); err != nil {
		return nil, err
	}
	for _, e := range []expr{l, r} {
		if e.kind() != kNumber && e.kind() != kNull {
			return nil, &syntaxError{pos: t.pos, msg: "операнды «" + op + "» должны быть числами"}
		}
	}
	return &binExpr{op: op, l: l, r: r, k: kNumber}, nil
}

func (p *parser) unary() (expr, *syntaxError) {
	t := p.peek()
	if t.kind == tMinus || (t.kind == tIdent && strings.EqualFold(t.text, "not")) {
		p.next()
		p.depth++
		if p.depth > maxExprDepth {
			return nil, &syntaxError{pos: t.pos, msg: "слишком глубокая вложенность"}
		}
		x, err := p.unary()
		p.depth--
		if err != nil {
			return nil, err
		}
		if err := p.node(t.pos); err != nil {
			return nil, err
		}
		if t.kind == tMinus {
			if x.kind() != kNumber && x.kind() != kNull {
				return nil, &syntaxError{pos: t.pos, msg: "минус применим только к числу"}
			}
			if lit, ok := x.(*litExpr); ok && lit.v.k == kNumber {
				return &litExpr{v: value{k: kNumber, n: lit.v.n.Neg()}}, nil
			}
			return &negExpr{x: x}, nil
		}
		if !boolish(x) {
			return nil, &syntaxError{pos: t.pos, msg: "операнд «not» должен быть логическим"}
		}
		return &notExpr{x: x}, nil
	}
	return p.primary()
}

func (p *parser) primary() (expr, *syntaxError) {
	t := p.next()
	if err := p.node(t.pos); err != nil {
		return nil, err
	}
	switch t.kind {
	case tOpen:
		p.depth++
		if p.depth > maxExprDepth {
			return nil, &syntaxError{pos: t.pos, msg: "слишком глубокая вложенность"}
		}
		e, err := p.or()
		p.depth--
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tClose {
			return nil, &syntaxError{pos: c.pos, msg: "ожидается «)»"}
		}
		return e, nil
	case tString:
		return &litExpr{v: value{k: kString, s: t.text}}, nil
	case tNumber:
		d, ok := parseNumber(t.text)
		if !ok {
			return nil, &syntaxError{pos: t.pos, msg: "неверное число «" + t.text + "»"}
		}
		return &litExpr{v: value{k: kNumber, n: d}}, nil
	case tTyped:
		v, msg := typedLiteral(t.text, t.val)
		if msg != "" {
			return nil, &syntaxError{pos: t.pos, msg: msg}
		}
		return &litExpr{v: v}, nil
	case tIdent:
		if p.peek().kind == tOpen {
			return p.call(t)
		}
		switch strings.ToLower(t.text) {
		case "null":
			return &litExpr{v: value{}}, nil
		case "true":
			return &litExpr{v: value{k: kBool, b: true}}, nil
		case "false":
			return &litExpr{v: value{k: kBool, b: false}}, nil
		}
		if p.peek().kind == tSlash {
			return nil, &syntaxError{pos: t.pos, msg: "обращение к реквизитам через «/» в $filter не поддерживается; используйте «" + t.text + "_Key»"}
		}
		prop := p.t.all[t.text]
		if prop == nil || prop.WriteOnly {
			if p.t.byTab[t.text] != nil {
				return nil, &syntaxError{pos: t.pos, msg: "табличная часть «" + t.text + "» не может участвовать в отборе"}
			}
			return nil, &syntaxError{pos: t.pos, msg: "неизвестное свойство «" + t.text + "»"}
		}
		return &propExpr{p: prop, k: kindOf(prop.Type)}, nil
	}
	return nil, p.unexpected(t)
}

// typedLiteral reads guid'…' and datetime'…' (and datetimeoffset'…', whose offset is
// dropped like any offset: 1C dates are local wall time).
func typedLiteral(prefix, body string) (value, string) {
	switch strings.ToLower(prefix) {
	case "guid":
		g, err := ParseGUID(body)
		if err != nil {
			return value{}, "неверный GUID «" + clip(body) + "»"
		}
		return value{k: kGUID, g: g}, ""
	case "datetime", "datetimeoffset":
		t, err := parseDateTime(body)
		if err != nil {
			return value{}, "неверная дата «" + clip(body) + "», ожидается datetime'ГГГГ-ММ-ДДTчч:мм:сс'"
		}
		return value{k: kDateTime, t: t}, ""
	case "x", "binary", "time":
		return value{}, "литералы " + prefix + "'…' не поддерживаются"
	}
	return value{}, "неизвестный вид литерала «" + clip(prefix) + "»"
}

func clip(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	r := []rune(s)
	return string(r[:40]) + "…"
}

func (p *parser) call(name token) (expr, *syntaxError) {
	fn := strings.ToLower(name.text)
	if unsupportedFuncs[fn] || strings.Contains(fn, ".") {
		return nil, &syntaxError{pos: name.pos, msg: "функция «" + name.text + "» не поддерживается стандартным интерфейсом OData 1С"}
	}
	arity := map[string]int{
		"substringof": 2, "startswith": 2, "endswith": 2, "like": 2,
		"year": 1, "month": 1, "day": 1, "hour": 1, "minute": 1, "second": 1,
	}[fn]
	if arity == 0 {
		return nil, &syntaxError{pos: name.pos, msg: "неизвестная функция «" + name.text + "»"}
	}
	p.next() // (
	p.depth++
	if p.depth > maxExprDepth {
		return nil, &syntaxError{pos: name.pos, msg: "слишком глубокая вложенность"}
	}
	var args []expr
	for {
		a, err := p.or()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		t := p.next()
		if t.kind == tClose {
			break
		}
		if t.kind != tComma {
			return nil, &syntaxError{pos: t.pos, msg: "ожидается «,» или «)»"}
		}
	}
	p.depth--
	if len(args) != arity {
		return nil, &syntaxError{pos: name.pos, msg: "функция «" + fn + "» принимает аргументов: " + strconv.Itoa(arity)}
	}
	c := &callExpr{fn: fn, args: args}
	want := kString
	if arity == 1 {
		want = kDateTime
	}
	for _, a := range args {
		if a.kind() != want && a.kind() != kNull {
			return nil, &syntaxError{pos: name.pos, msg: "аргументы «" + fn + "» должны иметь тип: " + want.String()}
		}
	}
	if fn == "like" {
		lit, ok := args[1].(*litExpr)
		if !ok || lit.v.k != kString {
			return nil, &syntaxError{pos: name.pos, msg: "шаблон «like» должен быть строкой-литералом"}
		}
		re, msg := likeRegexp(lit.v.s)
		if msg != "" {
			return nil, &syntaxError{pos: name.pos, msg: msg}
		}
		c.re = re
	}
	return c, nil
}

// likeRegexp compiles a 1C LIKE (ПОДОБНО) pattern: % any string, _ one character,
// [abc], [a-z], [^abc] one character of (not of) a set; everything else is literal.
func likeRegexp(pat string) (*regexp.Regexp, string) {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	rs := []rune(pat)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; r {
		case '%':
			b.WriteString(`.*`)
		case '_':
			b.WriteString(`.`)
		case '[':
			j := i + 1
			b.WriteByte('[')
			if j < len(rs) && rs[j] == '^' {
				b.WriteByte('^')
				j++
			}
			start := j
			for ; j < len(rs) && rs[j] != ']'; j++ {
				if rs[j] == '-' && j > start && j+1 < len(rs) && rs[j+1] != ']' {
					b.WriteByte('-')
					continue
				}
				if rs[j] == '-' {
					b.WriteString(`\-`) // a literal dash; QuoteMeta leaves it alone
					continue
				}
				b.WriteString(regexp.QuoteMeta(string(rs[j])))
			}
			if j >= len(rs) || j == start {
				return nil, "в шаблоне «like» не закрыта или пуста скобка «[»"
			}
			b.WriteByte(']')
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, "неверный шаблон «like»"
	}
	return re, ""
}

// likePrefix is the literal start of a LIKE pattern, which an index can answer.
func likePrefix(pat string) string {
	if i := strings.IndexAny(pat, "%_["); i >= 0 {
		return pat[:i]
	}
	return pat
}

// eval evaluates e on one entity. Comparisons with null are false except eq/ne null;
// arithmetic on null, and division by zero, give null.
func eval(e expr, ent Entity) value {
	switch x := e.(type) {
	case *litExpr:
		return x.v
	case *propExpr:
		return normalize(ent[x.p.Name])
	case *notExpr:
		v := eval(x.x, ent)
		return value{k: kBool, b: v.k == kBool && !v.b}
	case *negExpr:
		v := eval(x.x, ent)
		if v.k != kNumber {
			return value{}
		}
		return value{k: kNumber, n: v.n.Neg()}
	case *binExpr:
		return evalBin(x, ent)
	case *callExpr:
		return evalCall(x, ent)
	}
	return value{}
}

func truth(v value) bool { return v.k == kBool && v.b }

func evalBin(x *binExpr, ent Entity) value {
	switch x.op {
	case "and":
		return value{k: kBool, b: truth(eval(x.l, ent)) && truth(eval(x.r, ent))}
	case "or":
		return value{k: kBool, b: truth(eval(x.l, ent)) || truth(eval(x.r, ent))}
	}
	l, r := eval(x.l, ent), eval(x.r, ent)
	switch x.op {
	case "eq", "ne":
		var eq bool
		switch {
		case l.k == kNull || r.k == kNull:
			eq = l.k == r.k
		default:
			c, ok := compare(l, r)
			eq = ok && c == 0
		}
		return value{k: kBool, b: eq == (x.op == "eq")}
	case "gt", "ge", "lt", "le":
		c, ok := compare(l, r)
		if !ok || l.k == kNull {
			return value{k: kBool}
		}
		var b bool
		switch x.op {
		case "gt":
			b = c > 0
		case "ge":
			b = c >= 0
		case "lt":
			b = c < 0
		case "le":
			b = c <= 0
		}
		return value{k: kBool, b: b}
	}
	if l.k != kNumber || r.k != kNumber {
		return value{}
	}
	var n decimal.Decimal
	switch x.op {
	case "add":
		n = l.n.Add(r.n)
	case "sub":
		n = l.n.Sub(r.n)
	case "mul":
		n = l.n.Mul(r.n)
	case "div":
		if r.n.IsZero() {
			return value{}
		}
		n = l.n.DivRound(r.n, 16)
	}
	return value{k: kNumber, n: n}
}

func evalCall(x *callExpr, ent Entity) value {
	args := make([]value, len(x.args))
	for i, a := range x.args {
		args[i] = eval(a, ent)
		if args[i].k == kNull {
			if x.kind() == kBool {
				return value{k: kBool}
			}
			return value{}
		}
	}
	switch x.fn {
	case "substringof":
		return value{k: kBool, b: strings.Contains(args[1].s, args[0].s)}
	case "startswith":
		return value{k: kBool, b: strings.HasPrefix(args[0].s, args[1].s)}
	case "endswith":
		return value{k: kBool, b: strings.HasSuffix(args[0].s, args[1].s)}
	case "like":
		return value{k: kBool, b: x.re.MatchString(args[0].s)}
	}
	t := args[0].t
	var n int
	switch x.fn {
	case "year":
		n = t.Year()
	case "month":
		n = int(t.Month())
	case "day":
		n = t.Day()
	case "hour":
		n = t.Hour()
	case "minute":
		n = t.Minute()
	case "second":
		n = t.Second()
	}
	return value{k: kNumber, n: decimal.NewFromInt(int64(n))}
}
