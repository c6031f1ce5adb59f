package odata

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/store"
)

// plan is the access path of a read: a Get by key, or a walk of the key order or of one
// index, with the whole $filter re-checked on every entity the path yields.
type plan struct {
	get   Key // non-nil: one Get
	index string
	match Match
	desc  bool
	// exact: every entity the path yields matches the filter, so pages can be sized to the
	// rows wanted.
	exact bool
	// ordered: the path's order is the $orderby order, so rows stream without sorting.
	ordered bool
	// indexed names what the path runs on, for messages.
	indexed string
}

// conjuncts flattens the top-level ands of a filter.
func conjuncts(e expr) []expr {
	if b, ok := e.(*binExpr); ok && b.op == "and" {
		return append(conjuncts(b.l), conjuncts(b.r)...)
	}
	if e == nil {
		return nil
	}
	return []expr{e}
}

// propLit matches "Prop op literal" in either order and returns the op as seen from Prop.
func propLit(e expr) (*Property, string, value, bool) {
	b, ok := e.(*binExpr)
	if !ok {
		return nil, "", value{}, false
	}
	flip := map[string]string{"eq": "eq", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}
	if _, ok := flip[b.op]; !ok {
		return nil, "", value{}, false
	}
	if p, ok := b.l.(*propExpr); ok {
		if l, ok := b.r.(*litExpr); ok && l.v.k != kNull {
			return p.p, b.op, l.v, true
		}
	}
	if p, ok := b.r.(*propExpr); ok {
		if l, ok := b.l.(*litExpr); ok && l.v.k != kNull {
			return p.p, flip[b.op], l.v, true
		}
	}
	return nil, "", value{}, false
}

// prefixOf matches startswith(Prop,'s'), like(Prop,'s…') and their "eq true" forms.
func prefixOf(e expr) (*Property, string, bool) {
	if b, ok := e.(*binExpr); ok && b.op == "eq" {
		if l, ok := b.r.(*litExpr); ok && l.v.k == kBool && l.v.b {
			e = b.l
		}
	}
	c, ok := e.(*callExpr)
	if !ok || (c.fn != "startswith" && c.fn != "like") {
		return nil, "", false
	}
	p, ok1 := c.args[0].(*propExpr)
	l, ok2 := c.args[1].(*litExpr)
	if !ok1 || !ok2 || l.v.k != kString {
		return nil, "", false
	}
	s := l.v.s
	if c.fn == "like" {
		s = likePrefix(s)
	}
	return p.p, s, s != ""
}

// makePlan chooses the access path (package doc: "Filters, indexes and the scan limit").
func makePlan(s *entitySet, q *query) plan {
	conj := conjuncts(q.filter)
	var pl plan
	t := s.typ
	keyed := s
	if s.parent != nil {
		keyed = s.parent // rows are read through their owner
	}
	// A key lookup: every key property of the owner fixed by eq.
	fixed := map[string]value{}
	for _, c := range conj {
		if p, op, v, ok := propLit(c); ok && op == "eq" {
			fixed[p.Name] = v
		}
	}
	var key Key
	for _, kp := range keyed.typ.keys {
		v, ok := fixed[kp.Name]
		if !ok || v.k != kindOf(kp.Type) {
			key = nil
			break
		}
		key = append(key, KeyValue{Name: kp.Name, Value: v.toAny(kp.Type)})
	}
	if key != nil {
		return plan{get: key, ordered: len(q.orderby) == 0 || s.parent == nil, indexed: "ключ"}
	}
	// An index of the set itself (rows have none).
	best := 0
	if s.parent == nil {
		for _, ix := range s.indexes {
			ranges := Match{Op: MatchRange}
			for _, c := range conj {
				if p, op, v, ok := propLit(c); ok && p.Name == ix.Property && v.k == kindOf(p.Type) {
					switch {
					case op == "eq" && ix.Eq && best < 3 && sparseSafe(s, ix.Name, Match{Op: MatchEq, Value: v.toAny(p.Type)}):
						best = 3
						pl = plan{index: ix.Name, match: Match{Op: MatchEq, Value: v.toAny(p.Type)}, exact: len(conj) == 1}
					case op != "eq" && ix.Range:
						if op == "gt" || op == "ge" {
							ranges.From = v.toAny(p.Type)
						} else {
							ranges.To = v.toAny(p.Type)
						}
					}
				}
				if p, pre, ok := prefixOf(c); ok && p.Name == ix.Property && ix.Prefix && best < 2 {
					best = 2
					_, isStart := c.(*callExpr)
					isStart = isStart && c.(*callExpr).fn == "startswith"
					pl = plan{index: ix.Name, match: Match{Op: MatchPrefix, Prefix: pre}, exact: isStart && len(conj) == 1}
				}
			}
			if (ranges.From != nil || ranges.To != nil) && best < 1 && sparseSafe(s, ix.Name, ranges) {
				best = 1
				pl = plan{index: ix.Name, match: ranges}
			}
		}
	}
	if best > 0 {
		ix, _ := s.index(pl.index)
		pl.indexed = "индекс по " + ix.Property
		switch {
		case len(q.orderby) == 0:
			pl.ordered = true
		case len(q.orderby) == 1 && q.orderby[0].p.Name == ix.Property:
			// An eq match makes the index property constant; it says nothing of the order of
			// any other property, which then needs the whole (bounded) range sorted.
			pl.ordered, pl.desc = true, q.orderby[0].desc
		}
		return pl
	}
	// No index answers the filter: walk the key order, or a complete index that gives the
	// order asked for.
	pl = plan{exact: q.filter == nil, indexed: "порядок ключа"}
	switch {
	case len(q.orderby) == 0:
		pl.ordered = true
	case s.parent != nil:
		pl.ordered = len(q.orderby) == 1 && q.orderby[0].p.Name == "Ref_Key" && !q.orderby[0].desc
	case len(q.orderby) == 1 && len(t.keys) == 1 && q.orderby[0].p == t.keys[0]:
		pl.ordered, pl.desc = true, q.orderby[0].desc
	case len(q.orderby) == 1:
		for _, ix := range s.indexes {
			if ix.Complete && ix.Property == q.orderby[0].p.Name {
				pl.index, pl.ordered, pl.desc = ix.Name, true, q.orderby[0].desc
				pl.indexed = "индекс по " + ix.Property
				break
			}
		}
	}
	return pl
}

// sparseSafe: a sparse index (not Complete) may leave out entities whose property has its
// zero value (an empty Code), so it may answer only matches that exclude the zero value.
func sparseSafe(s *entitySet, index string, m Match) bool {
	ix, _ := s.index(index)
	if ix.Complete {
		return true
	}
	zero := normalize(zeroOf(s.typ.all[ix.Property].Type))
	above := func(v any) bool {
		c, ok := compare(normalize(v), zero)
		return ok && c > 0
	}
	switch m.Op {
	case MatchEq:
		c, ok := compare(normalize(m.Value), zero)
		return ok && c != 0
	case MatchPrefix:
		return m.Prefix != ""
	case MatchRange:
		return m.From != nil && above(m.From)
	}
	return false
}

// position is where a walk stopped; it travels in $skiptoken.
type position struct {
	Cursor string `json:"c,omitempty"` // the source page the walk is in ("" the first)
	Skip   int    `json:"n,omitempty"` // entities of that page already consumed
	Row    int    `json:"r,omitempty"` // rows of the next entity already consumed (tabular-part sets)
	Limit  int    `json:"l,omitempty"` // the page size that page was read with
	Left   int    `json:"s,omitempty"` // $skip still to apply
	Query  string `json:"q"`           // which query the token belongs to
}

func (p position) token() string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseToken(s string) (position, error) {
	var p position
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 4096 || json.Unmarshal(b, &p) != nil || p.Skip < 0 || p.Row < 0 ||
		p.Limit < 0 || p.Limit > store.MaxQueryLimit || p.Left < 0 {
		return position{}, badRequest("ODATA_SKIPTOKEN", "Неверный параметр $skiptoken: повторите запрос с начала")
	}
	return p, nil
}

// queryID binds a $skiptoken to the set, filter and order it was issued for.
func queryID(set, filter, orderby string) string {
	h := sha256.Sum256([]byte(set + "\x00" + filter + "\x00" + orderby))
	return base64.RawURLEncoding.EncodeToString(h[:9])
}

// walker reads candidates along a plan, at most maxScan entities per request.
type walker struct {
	s       *entitySet
	tenant  string
	pl      plan
	filter  expr
	maxScan int
	scanned int
	// want hints how many more matches the consumer needs (for page sizing).
	want func() int
}

// maxPages bounds the source pages one request reads.
const maxPages = 64

// errStop is returned by a consumer that is full.
var errStop = errors.New("stop")

// run feeds matching candidates to take, starting at pos. It returns where it stopped and
// whether the path is exhausted. take returns errStop when it needs no more.
func (w *walker) run(ctx context.Context, pos position, take func(Entity) error) (position, bool, error) {
	if w.pl.get != nil {
		return w.runGet(ctx, take)
	}
	cursor, skip, row, limit := pos.Cursor, pos.Skip, pos.Row, pos.Limit
	pages := 0
	for {
		budget := w.maxScan - w.scanned
		// Pages of only expired items cost reads without counting as scanned: cap them too.
		if budget <= 0 || pages >= maxPages {
			return position{Cursor: cursor, Skip: skip, Row: row, Limit: limit}, false, nil
		}
		if limit == 0 {
			// Read what the consumer still wants when the path is exact; otherwise start at
			// twice that and double per page, so a selective filter needs few round trips
			// and an easy one does not read far past the page.
			limit = store.MaxQueryLimit
			if w.want != nil {
				want := w.want()
				if !w.pl.exact {
					want = max(64, 2*want) << min(pages, 5)
				}
				limit = max(1, min(limit, want))
			}
			limit = min(limit, budget)
		}
		pages++
		req := ListRequest{Index: w.pl.index, Match: w.pl.match, Desc: w.pl.desc, Limit: limit, Cursor: cursor}
		page, err := w.s.src.List(ctx, w.tenant, req)
		if err != nil {
			return position{}, false, err
		}
		if len(page.Entities) > limit {
			page.Entities = page.Entities[:limit] // a source that ignores Limit stays bounded
		}
		for i := skip; i < len(page.Entities); i++ {
			if w.scanned >= w.maxScan {
				return position{Cursor: cursor, Skip: i, Row: row, Limit: limit}, false, nil
			}
			w.scanned++
			cands := w.candidates(page.Entities[i])
			for j := row; j < len(cands); j++ {
				if w.filter != nil && !truth(eval(w.filter, cands[j])) {
					continue
				}
				if err := take(cands[j]); err == errStop {
					if j+1 < len(cands) {
						return position{Cursor: cursor, Skip: i, Row: j + 1, Limit: limit}, false, nil
					}
					done := i+1 == len(page.Entities) && page.Next == ""
					return position{Cursor: cursor, Skip: i + 1, Limit: limit}, done, nil
				} else if err != nil {
					return position{}, false, err
				}
			}
			row = 0
		}
		if page.Next == "" {
			return position{}, true, nil
		}
		cursor, skip, row, limit = page.Next, 0, 0, 0
	}
}

func (w *walker) runGet(ctx context.Context, take func(Entity) error) (position, bool, error) {
	w.scanned++
	e, err := w.s.src.Get(ctx, w.tenant, w.pl.get)
	if err != nil {
		if apperr.As(err).Kind == apperr.NotFound {
			return position{}, true, nil
		}
		return position{}, false, err
	}
	for _, c := range w.candidates(e) {
		if w.filter != nil && !truth(eval(w.filter, c)) {
			continue
		}
		if err := take(c); err == errStop {
			break
		} else if err != nil {
			return position{}, false, err
		}
	}
	return position{}, true, nil
}

// candidates are the entity itself, or for a tabular-part set its rows.
func (w *walker) candidates(e Entity) []Entity {
	if w.s.parent == nil {
		return []Entity{e}
	}
	return rowsOf(w.s.tab, e)
}

// rowsOf returns the rows of tabular part tb of owner e, each with the owner's Ref_Key and
// its LineNumber (ONEC 16).
func rowsOf(tb *tabular, e Entity) []Entity {
	rows, _ := e[tb.name].([]Entity)
	ref := e["Ref_Key"]
	out := make([]Entity, len(rows))
	for i, r := range rows {
		c := make(Entity, len(r)+2)
		for k, v := range r {
			c[k] = v
		}
		c["Ref_Key"] = ref
		if c["LineNumber"] == nil {
			c["LineNumber"] = int64(i + 1)
		}
		out[i] = c
	}
	return out
}

// sortRows sorts by $orderby; ties keep the path order.
func sortRows(rows []Entity, ob []orderItem) {
	sort.SliceStable(rows, func(a, b int) bool {
		for _, o := range ob {
			va, vb := normalize(rows[a][o.p.Name]), normalize(rows[b][o.p.Name])
			var c int
			switch {
			case va.k == kNull && vb.k == kNull:
				c = 0
			case va.k == kNull:
				c = -1
			case vb.k == kNull:
				c = 1
			default:
				c, _ = compare(va, vb)
			}
			if o.desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
}

// tooBroad is the refusal when a count or an unindexed order needs more than maxScan reads.
func tooBroad(s *entitySet, what string, maxScan int) error {
	var names []string
	for _, ix := range s.indexes {
		names = append(names, ix.Property)
	}
	hint := "Ref_Key"
	if len(names) > 0 {
		hint += ", " + strings.Join(names, ", ")
	}
	return badRequest("ODATA_SCAN_LIMIT", what+" требует просмотра более "+itoa(maxScan)+
		" записей набора «"+s.name+"». Уточните $filter по индексированным свойствам ("+hint+")")
}
