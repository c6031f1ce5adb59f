package odata

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
)

// VirtualTable is a register's virtual table, which 1C publishes as a function bound to the
// register's set and clients call as Set/SliceLast(…) (ONEC 15).
type VirtualTable string

// The virtual tables of 1C's standard OData interface.
const (
	// VirtualSliceLast is a periodic information register's last record of each combination
	// of dimensions at or before a moment (СрезПоследних).
	VirtualSliceLast VirtualTable = "SliceLast"
	// VirtualSliceFirst is its first record at or after a moment (СрезПервых).
	VirtualSliceFirst VirtualTable = "SliceFirst"
	// VirtualBalance is an accumulation register's balance at a moment (Остатки).
	VirtualBalance VirtualTable = "Balance"
	// VirtualTurnovers is its turnovers over a period (Обороты).
	VirtualTurnovers VirtualTable = "Turnovers"
	// VirtualBalanceAndTurnovers is its opening balance, turnovers and closing balance over a
	// period (ОстаткиИОбороты).
	VirtualBalanceAndTurnovers VirtualTable = "BalanceAndTurnovers"
)

type funcParam struct {
	name string
	typ  EdmType
}

// vtParams are each virtual table's parameters as 1C's $metadata lists them (in its order,
// after bindingParameter).
var vtParams = map[VirtualTable][]funcParam{
	VirtualSliceLast:           {{"Condition", EdmString}, {"Period", EdmDateTime}},
	VirtualSliceFirst:          {{"Condition", EdmString}, {"Period", EdmDateTime}},
	VirtualBalance:             {{"Condition", EdmString}, {"Dimensions", EdmString}, {"Period", EdmDateTime}},
	VirtualTurnovers:           {{"Condition", EdmString}, {"Dimensions", EdmString}, {"EndPeriod", EdmDateTime}, {"StartPeriod", EdmDateTime}},
	VirtualBalanceAndTurnovers: {{"Condition", EdmString}, {"Dimensions", EdmString}, {"EndPeriod", EdmDateTime}, {"StartPeriod", EdmDateTime}},
}

// vtResult is the suffix of the complex type an accumulation register's virtual table
// returns, after the register's type name, as 1C names them.
var vtResult = map[VirtualTable]string{
	VirtualBalance:             "_Balance",
	VirtualTurnovers:           "_Turnover",
	VirtualBalanceAndTurnovers: "_BalanceAndTurnover",
}

// vtTitle names a virtual table in messages.
var vtTitle = map[VirtualTable]string{
	VirtualSliceLast:           "Срез последних (SliceLast)",
	VirtualSliceFirst:          "Срез первых (SliceFirst)",
	VirtualBalance:             "Остатки (Balance)",
	VirtualTurnovers:           "Обороты (Turnovers)",
	VirtualBalanceAndTurnovers: "Остатки и обороты (BalanceAndTurnovers)",
}

// Filter is a parsed and type-checked filter expression, as sources receive a virtual table's
// Condition. A nil *Filter is no condition: it matches everything.
type Filter struct{ e expr }

// Match reports whether e satisfies the filter.
func (f *Filter) Match(e Entity) bool {
	if f == nil || f.e == nil {
		return true
	}
	return truth(eval(f.e, e))
}

// Values returns the values the filter allows for property name when a top-level "and" term
// of it is name eq v, or an "or" of such terms (Asset_Key eq guid'…' or Asset_Key eq guid'…'):
// every entity the filter matches has one of them. ok is false when no such term restricts
// name. Values have the Go types of Key values (GUID, string, int64, …); duplicates are
// dropped.
func (f *Filter) Values(name string) (vals []any, ok bool) {
	if f == nil {
		return nil, false
	}
	for _, c := range conjuncts(f.e) {
		vs, ok := eqValues(c, name)
		if !ok {
			continue
		}
		seen := map[string]bool{}
		for _, v := range vs {
			k := formatLiteral("", v)
			if !seen[k] {
				seen[k] = true
				vals = append(vals, v)
			}
		}
		return vals, true
	}
	return nil, false
}

// eqValues matches name eq v and "or" trees of such terms.
func eqValues(e expr, name string) ([]any, bool) {
	if b, ok := e.(*binExpr); ok && b.op == "or" {
		l, ok := eqValues(b.l, name)
		if !ok {
			return nil, false
		}
		r, ok := eqValues(b.r, name)
		if !ok {
			return nil, false
		}
		return append(l, r...), true
	}
	p, op, v, ok := propLit(e)
	if !ok || op != "eq" || p.Name != name || v.k != kindOf(p.Type) {
		return nil, false
	}
	return []any{v.toAny(p.Type)}, true
}

// SliceRequest asks a SliceSource for a slice of a periodic information register.
type SliceRequest struct {
	// Period is the slice's moment: SliceLast takes, for each combination of dimensions, the
	// last record whose Period is at or before it, SliceFirst the first at or after it. Zero
	// (no Period, or 1C's empty date) is no bound: the latest or the earliest record of each
	// combination, as 1C's slice "по самым последним записям" — for a register without
	// future-dated records, the state now.
	Period time.Time
	// Condition selects the records that take part in the slice (1C's Условие: applied
	// before the slice, unlike $filter, which the handler applies to the slice's rows).
	Condition *Filter
	// Index and Match are the access path the handler chose for Condition by the set's
	// Indexes, with the rules of lists (package documentation): Index "" when no index
	// answers Condition.
	Index string
	Match Match
	// MaxScan is the most records the source may read for the request; when the slice needs
	// more, it fails with an error wrapping ErrScanLimit.
	MaxScan int
}

// BalanceRequest asks a BalanceSource for an accumulation register's balances.
type BalanceRequest struct {
	// Period is the moment of the balance, which 1C takes at the start of that moment
	// (movements at Period itself are not included). Zero: after every movement.
	Period time.Time
	// Condition selects movements by dimensions (1C allows only dimensions in it).
	Condition *Filter
	// Dimensions are the dimensions to group by, in the register's order; all of them when
	// the client gave none.
	Dimensions []string
	// Index, Match and MaxScan are as in SliceRequest.
	Index   string
	Match   Match
	MaxScan int
}

// TurnoversRequest asks for an accumulation register's turnovers (and, for
// BalanceAndTurnovers, the opening and closing balances) over a period.
type TurnoversRequest struct {
	// StartPeriod and EndPeriod bound the period, both included; zero is open.
	StartPeriod, EndPeriod time.Time
	// Condition, Dimensions, Index, Match and MaxScan are as in BalanceRequest.
	Condition  *Filter
	Dimensions []string
	Index      string
	Match      Match
	MaxScan    int
}

// SliceSource is implemented by sources of periodic information registers that publish
// VirtualSliceLast and VirtualSliceFirst; PeriodicRegister implements it over a store. The
// entities returned are records of the register; the handler applies $filter, $orderby,
// $skip, $top and $select to them.
type SliceSource interface {
	SliceLast(ctx context.Context, tenant string, req SliceRequest) ([]Entity, error)
	SliceFirst(ctx context.Context, tenant string, req SliceRequest) ([]Entity, error)
}

// BalanceSource is implemented by sources of accumulation registers that publish
// VirtualBalance. Each entity is one row of the register's <Type>_Balance complex type: the
// dimensions grouped by and <Resource>Balance.
type BalanceSource interface {
	Balance(ctx context.Context, tenant string, req BalanceRequest) ([]Entity, error)
}

// TurnoversSource publishes VirtualTurnovers: rows of dimensions and <Resource>Turnover
// (plus <Resource>Receipt and <Resource>Expense for a register of balances).
type TurnoversSource interface {
	Turnovers(ctx context.Context, tenant string, req TurnoversRequest) ([]Entity, error)
}

// BalanceAndTurnoversSource publishes VirtualBalanceAndTurnovers: rows of dimensions and
// <Resource>OpeningBalance, …Turnover, …Receipt, …Expense, …ClosingBalance.
type BalanceAndTurnoversSource interface {
	BalanceAndTurnovers(ctx context.Context, tenant string, req TurnoversRequest) ([]Entity, error)
}

// ErrScanLimit is what a virtual-table source returns (wrapped) when the request would need
// more than its MaxScan records; the handler answers 400 ODATA_SCAN_LIMIT.
var ErrScanLimit = errors.New("odata: scan limit reached")

// virtuals are a register's compiled virtual tables.
type virtuals struct {
	tables    []VirtualTable
	dims      []*Property
	resources []*Property
	// cond is the type a Condition is checked against: the register's own for slices, its
	// dimensions for an accumulation register.
	cond *etype
	// results are the complex types of an accumulation register's virtual tables.
	results   map[VirtualTable]*etype
	slices    SliceSource
	balance   BalanceSource
	turnovers TurnoversSource
	both      BalanceAndTurnoversSource
}

func (v *virtuals) has(vt VirtualTable) bool {
	for _, t := range v.tables {
		if t == vt {
			return true
		}
	}
	return false
}

// compileVirtuals checks a register's virtual tables, dimensions and resources and attaches
// them to its compiled set.
func compileVirtuals(es *EntitySet, s *entitySet) error {
	if len(es.VirtualTables) == 0 && len(es.Dimensions) == 0 && len(es.Resources) == 0 {
		return nil
	}
	v := &virtuals{results: map[VirtualTable]*etype{}, cond: s.typ}
	lookup := func(name string) *Property {
		if p := s.typ.all[name]; p != nil && !p.WriteOnly {
			return p
		}
		for _, tb := range s.typ.tabs {
			if p := tb.rowType.all[name]; p != nil && !p.WriteOnly {
				return p
			}
		}
		return nil
	}
	used := map[string]bool{}
	for _, name := range es.Dimensions {
		p := lookup(name)
		if p == nil || used[name] {
			return fmt.Errorf("odata: %s: dimension %q is not a property, or is given twice", es.Name, name)
		}
		used[name] = true
		v.dims = append(v.dims, p)
	}
	for _, name := range es.Resources {
		p := lookup(name)
		if p == nil || used[name] || kindOf(p.Type) != kNumber {
			return fmt.Errorf("odata: %s: resource %q is not a numeric property, or is given twice", es.Name, name)
		}
		used[name] = true
		v.resources = append(v.resources, p)
	}
	balances := false
	for _, vt := range es.VirtualTables {
		if _, ok := vtParams[vt]; !ok || v.has(vt) {
			return fmt.Errorf("odata: %s: unknown or repeated virtual table %q", es.Name, vt)
		}
		v.tables = append(v.tables, vt)
		var ok bool
		switch vt {
		case VirtualSliceLast, VirtualSliceFirst:
			if es.Kind != InformationRegister {
				return fmt.Errorf("odata: %s: %s belongs to information registers", es.Name, vt)
			}
			v.slices, ok = es.Source.(SliceSource)
		case VirtualBalance:
			v.balance, ok = es.Source.(BalanceSource)
			balances = true
		case VirtualTurnovers:
			v.turnovers, ok = es.Source.(TurnoversSource)
		case VirtualBalanceAndTurnovers:
			v.both, ok = es.Source.(BalanceAndTurnoversSource)
			balances = true
		}
		if !ok {
			return fmt.Errorf("odata: %s: the source does not implement %s", es.Name, vt)
		}
		if vtResult[vt] != "" && (es.Kind != AccumulationRegister || len(v.resources) == 0) {
			return fmt.Errorf("odata: %s: %s belongs to accumulation registers with resources", es.Name, vt)
		}
	}
	if v.balance != nil || v.turnovers != nil || v.both != nil {
		ct, err := newEtype(s.typ.name+"_Condition", dimProps(v.dims), nil)
		if err != nil {
			return err
		}
		v.cond = ct
		for vt, suffixes := range map[VirtualTable][]string{
			VirtualBalance:             {"Balance"},
			VirtualTurnovers:           turnoverSuffixes(balances),
			VirtualBalanceAndTurnovers: {"OpeningBalance", "Turnover", "Receipt", "Expense", "ClosingBalance"},
		} {
			if !v.has(vt) {
				continue
			}
			props := dimProps(v.dims)
			for _, r := range v.resources {
				for _, suf := range suffixes {
					props = append(props, Property{Name: r.Name + suf, Type: r.Type})
				}
			}
			t, err := newEtype(s.typ.name+vtResult[vt], props, nil)
			if err != nil {
				return err
			}
			v.results[vt] = t
		}
	}
	s.vt = v
	return nil
}

// turnoverSuffixes: a register of balances has receipts and expenses; a register of
// turnovers only turnovers (as 1C's _Turnover types show).
func turnoverSuffixes(balances bool) []string {
	if balances {
		return []string{"Turnover", "Receipt", "Expense"}
	}
	return []string{"Turnover"}
}

// dimProps copies dimensions into a complex type: plain values, no navigation.
func dimProps(dims []*Property) []Property {
	out := make([]Property, len(dims))
	for i, d := range dims {
		out[i] = Property{Name: d.Name, Type: d.Type, MaxLength: d.MaxLength}
	}
	return out
}

// checkVirtualTypeNames refuses result types whose names another type already has.
func checkVirtualTypeNames(order []*entitySet) error {
	names := map[string]bool{}
	for _, s := range order {
		names[s.typ.name] = true
		for _, tb := range s.typ.tabs {
			names[tb.rowType.name] = true
		}
	}
	for _, s := range order {
		if s.vt == nil {
			continue
		}
		for _, vt := range s.vt.tables {
			if t := s.vt.results[vt]; t != nil {
				if names[t.name] {
					return fmt.Errorf("odata: %s: type name %q of %s is taken", s.name, t.name, vt)
				}
				names[t.name] = true
			}
		}
	}
	return nil
}

// isVirtualCall reports whether a path segment after a set names a virtual table.
func isVirtualCall(seg string) bool {
	name, _, _ := strings.Cut(seg, "(")
	_, ok := vtParams[VirtualTable(name)]
	return ok
}

// splitCall splits what follows a set in the path — "SliceLast", "SliceLast(…)", either with
// "/$count" — into the function's name, the text between its parentheses and whether
// /$count follows. The parameters may hold "/" and ")" inside quoted strings.
func splitCall(rest string) (name, args string, count bool, err error) {
	i := strings.IndexAny(rest, "(/")
	name, tail := rest, ""
	if i >= 0 {
		name, tail = rest[:i], rest[i:]
	}
	if strings.HasPrefix(tail, "(") {
		j := closeParen(tail)
		if j < 0 {
			return "", "", false, badRequest("ODATA_PARAMETER", "Не закрыта скобка параметров функции "+clip(name))
		}
		args, tail = tail[1:j], tail[j+1:]
	}
	switch tail {
	case "":
	case "/$count":
		count = true
	default:
		return "", "", false, notFound("ODATA_PATH", "Неверный адрес ресурса после функции "+clip(name))
	}
	return name, args, count, nil
}

// closeParen finds the parenthesis closing s[0], skipping quoted strings (in which two
// quotes stand for one); -1 when there is none.
func closeParen(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'':
			for i++; i < len(s); i++ {
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						i++
						continue
					}
					break
				}
			}
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// parseArgs reads a function's parameters: Name=literal pairs separated by commas, as in
//
//	SliceLast(Period=datetime'2025-03-01T00:00:00', Condition='Asset_Key eq guid''…''')
func parseArgs(src string) (map[string]token, *syntaxError) {
	toks, serr := lex(src)
	if serr != nil {
		return nil, serr
	}
	out := map[string]token{}
	if toks[0].kind == tEOF {
		return out, nil
	}
	for i := 0; ; {
		name := toks[i]
		if name.kind != tIdent || toks[i+1].kind != tEquals {
			return nil, &syntaxError{pos: name.pos, msg: "ожидается Имя=значение"}
		}
		val := toks[i+2]
		switch val.kind {
		case tString, tTyped, tNumber:
		case tIdent:
			if !strings.EqualFold(val.text, "null") {
				return nil, &syntaxError{pos: val.pos, msg: "неверное значение параметра «" + name.text + "»"}
			}
		default:
			return nil, &syntaxError{pos: val.pos, msg: "ожидается значение параметра «" + name.text + "»"}
		}
		if _, dup := out[name.text]; dup {
			return nil, &syntaxError{pos: name.pos, msg: "параметр «" + name.text + "» указан дважды"}
		}
		out[name.text] = val
		i += 3
		if toks[i].kind == tEOF {
			return out, nil
		}
		if toks[i].kind != tComma {
			return nil, &syntaxError{pos: toks[i].pos, msg: "ожидается «,»"}
		}
		i++
	}
}

// callArgs are a virtual table's parameters, read.
type callArgs struct {
	period, start, end time.Time
	condition          string
	dims               []string
	hasDims            bool
}

// readArgs reads the parameters of vt from the parentheses and from the query string (1C's
// documentation calls …/SliceLast?Condition=… with the parameters there).
func readArgs(q url.Values, vt VirtualTable, args string) (callArgs, error) {
	var a callArgs
	toks, serr := parseArgs(args)
	if serr != nil {
		return a, badRequest("ODATA_PARAMETER", "Ошибка в параметрах функции "+string(vt)+" (позиция "+strconv.Itoa(serr.pos)+"): "+serr.msg)
	}
	params := vtParams[vt]
	known := map[string]bool{}
	var names []string
	for _, p := range params {
		known[p.name] = true
		names = append(names, p.name)
	}
	for name := range toks {
		if !known[name] {
			return a, badRequest("ODATA_PARAMETER", "Функция "+string(vt)+" не принимает параметр «"+clip(name)+"»; параметры: "+strings.Join(names, ", "))
		}
	}
	for _, p := range params {
		raw, inQuery := q[p.name]
		tok, inArgs := toks[p.name]
		if inQuery {
			if inArgs || len(raw) > 1 {
				return a, badRequest("ODATA_PARAMETER", "Параметр «"+p.name+"» функции "+string(vt)+" указан дважды")
			}
			if raw[0] == "" {
				continue
			}
			tok, inArgs = queryToken(raw[0]), true
		}
		if !inArgs {
			continue
		}
		switch p.typ {
		case EdmDateTime:
			t, err := dateArg(p.name, tok)
			if err != nil {
				return a, err
			}
			switch p.name {
			case "Period":
				a.period = t
			case "StartPeriod":
				a.start = t
			case "EndPeriod":
				a.end = t
			}
		default:
			s, err := stringArg(p.name, tok)
			if err != nil {
				return a, err
			}
			switch p.name {
			case "Condition":
				a.condition = s
			case "Dimensions":
				a.hasDims = true
				for _, d := range strings.Split(s, ",") {
					if d = strings.TrimSpace(d); d != "" {
						a.dims = append(a.dims, d)
					}
				}
			}
		}
	}
	return a, nil
}

// queryToken reads a parameter given in the query string: a literal ('…', datetime'…'), or
// else the raw text, as 1C's documentation writes ?Condition=Prop eq guid'…' unquoted.
func queryToken(raw string) token {
	if toks, serr := lex(raw); serr == nil && len(toks) == 2 {
		switch toks[0].kind {
		case tString, tTyped:
			return toks[0]
		}
	}
	return token{kind: tString, text: raw}
}

func dateArg(name string, t token) (time.Time, error) {
	bad := badRequest("ODATA_PARAMETER", "Параметр «"+name+"» должен быть датой: "+name+"=datetime'ГГГГ-ММ-ДДTчч:мм:сс'")
	switch t.kind {
	case tTyped:
		v, msg := typedLiteral(t.text, t.val)
		if msg != "" || v.k != kDateTime {
			return time.Time{}, bad
		}
		return v.t, nil
	case tString:
		d, err := parseDateTime(strings.TrimSpace(t.text))
		if err != nil {
			return time.Time{}, bad
		}
		return d, nil
	case tIdent: // null
		return time.Time{}, nil
	}
	return time.Time{}, bad
}

func stringArg(name string, t token) (string, error) {
	switch t.kind {
	case tString:
		return t.text, nil
	case tIdent: // null
		return "", nil
	}
	return "", badRequest("ODATA_PARAMETER", "Параметр «"+name+"» должен быть строкой в кавычках: "+name+"='…'")
}

// virtual answers a call of a register's virtual table: rest is the path after the set.
func (h *handler) virtual(rq *request, s *entitySet, method, rest string) error {
	name, args, count, err := splitCall(rest)
	if err != nil {
		return err
	}
	vt := VirtualTable(name)
	if s.vt == nil || !s.vt.has(vt) || s.parent != nil {
		// 1C answers a virtual table a register does not have with 400 and code 6.
		return badRequest("ODATA_FUNCTION", "Метод "+clip(name)+" не найден: набор «"+s.name+"» не публикует такую виртуальную таблицу")
	}
	if err := onlyGet(method); err != nil {
		return err
	}
	a, err := readArgs(rq.q, vt, args)
	if err != nil {
		return err
	}
	var cond *Filter
	if strings.TrimSpace(a.condition) != "" {
		e, serr := parseFilter(a.condition, s.vt.cond)
		if serr != nil {
			msg := "Ошибка в параметре Condition (позиция " + strconv.Itoa(serr.pos) + "): " + serr.msg
			if s.vt.cond != s.typ {
				var names []string
				for _, p := range s.vt.dims {
					names = append(names, p.Name)
				}
				msg += ". В условии остатков и оборотов допускаются только измерения: " + strings.Join(names, ", ")
			}
			return badRequest("ODATA_CONDITION", msg)
		}
		cond = &Filter{e: e}
	}
	var dims []string
	if a.hasDims && len(a.dims) > 0 {
		for _, d := range a.dims {
			found := false
			for _, p := range s.vt.dims {
				found = found || p.Name == d
			}
			if !found {
				return badRequest("ODATA_PARAMETER", "В параметре Dimensions неизвестное измерение «"+clip(d)+"»")
			}
		}
		dims = a.dims
	} else {
		for _, p := range s.vt.dims {
			dims = append(dims, p.Name)
		}
	}
	result := s
	if t := s.vt.results[vt]; t != nil {
		result = &entitySet{name: s.name, typ: t, kind: s.kind}
	}
	q, err := parseQuery(rq.q, result)
	if err != nil {
		return err
	}
	if q.skiptoken != "" {
		return badRequest("ODATA_SKIPTOKEN", "Параметр $skiptoken не применяется к виртуальным таблицам: используйте $skip и $top")
	}
	var index string
	var match Match
	if cond != nil {
		if pl := makePlan(s, &query{filter: cond.e, top: -1}); pl.get == nil {
			index, match = pl.index, pl.match
		}
	}
	maxScan := h.opts.MaxScan
	var rows []Entity
	switch vt {
	case VirtualSliceLast, VirtualSliceFirst:
		req := SliceRequest{Period: a.period, Condition: cond, Index: index, Match: match, MaxScan: maxScan}
		if vt == VirtualSliceLast {
			rows, err = s.vt.slices.SliceLast(rq.ctx, rq.tenant, req)
		} else {
			rows, err = s.vt.slices.SliceFirst(rq.ctx, rq.tenant, req)
		}
	case VirtualBalance:
		rows, err = s.vt.balance.Balance(rq.ctx, rq.tenant, BalanceRequest{Period: a.period, Condition: cond,
			Dimensions: dims, Index: index, Match: match, MaxScan: maxScan})
	default:
		req := TurnoversRequest{StartPeriod: a.start, EndPeriod: a.end, Condition: cond, Dimensions: dims,
			Index: index, Match: match, MaxScan: maxScan}
		if vt == VirtualTurnovers {
			rows, err = s.vt.turnovers.Turnovers(rq.ctx, rq.tenant, req)
		} else {
			rows, err = s.vt.both.BalanceAndTurnovers(rq.ctx, rq.tenant, req)
		}
	}
	if errors.Is(err, ErrScanLimit) || err == nil && len(rows) > maxScan {
		return h.virtualTooBroad(s, vt)
	}
	if err != nil {
		return err
	}
	// $filter applies to the virtual table's rows, after the slice or the totals.
	kept := rows[:0:0]
	for _, e := range rows {
		if q.filter == nil || truth(eval(q.filter, e)) {
			kept = append(kept, e)
		}
	}
	if len(q.orderby) > 0 {
		sortRows(kept, q.orderby)
	}
	n := len(kept)
	if count {
		return h.write(rq, http.StatusOK, "text/plain;charset=utf-8", []byte(strconv.Itoa(n)))
	}
	from := min(q.skip, n)
	to := n
	if q.top >= 0 {
		to = min(n, from+q.top)
	}
	kept = kept[from:to]
	var total *int
	if q.inlineCount {
		total = &n
	}
	// How 1C itself writes these answers was not captured: slices are written as feeds of the
	// register's set (odata.metadata …#Set), balances and turnovers in the OData v3 shape of a
	// collection of complex values.
	rd := h.renderer(rq, q)
	if result != s {
		if rq.f.json() {
			return h.write(rq, http.StatusOK, jsonType(rq.f), rd.jsonComplexFeed(result.typ, kept, total))
		}
		return h.write(rq, http.StatusOK, "application/xml;charset=utf-8", rd.atomComplexFeed(string(vt), result.typ, kept))
	}
	if err := h.expand(rq, rd, s, kept); err != nil {
		return err
	}
	if rq.f.json() {
		return h.write(rq, http.StatusOK, jsonType(rq.f), rd.jsonFeed(s, kept, total, ""))
	}
	return h.write(rq, http.StatusOK, "application/atom+xml;type=feed;charset=utf-8", rd.atomFeed(s, kept, total, ""))
}

// virtualTooBroad is the refusal when a virtual table needs more than MaxScan records.
func (h *handler) virtualTooBroad(s *entitySet, vt VirtualTable) error {
	var names []string
	for _, p := range s.vt.dims {
		names = append(names, p.Name)
	}
	if len(names) == 0 {
		for _, ix := range s.indexes {
			names = append(names, ix.Property)
		}
	}
	if len(names) == 0 {
		for _, k := range s.typ.keys {
			names = append(names, k.Name)
		}
	}
	return apperr.New(apperr.Invalid, "ODATA_SCAN_LIMIT", vtTitle[vt]+" требует просмотра более "+itoa(h.opts.MaxScan)+
		" записей набора «"+s.name+"». Уточните параметр Condition по измерениям ("+strings.Join(names, ", ")+")")
}
