package odata

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/stykovka/stykovka/internal/store"
)

// PeriodProperty is the property that holds a periodic register record's period, as 1C
// names it.
const PeriodProperty = "Period"

// PeriodicDimensionIndex is the name of the index PeriodicRegister.Indexes declares on the
// register's first dimension.
const PeriodicDimensionIndex = "periodic-register-dimension"

// RegisterRecords reads a periodic information register's records for PeriodicRegister. A
// domain implements it on its store layout, typically one partition per value of the first
// dimension (or a sort key of the dimensions' values) followed by the period, so that
// "the records of these dimensions between two periods" is one key range.
type RegisterRecords interface {
	// Records returns one page of at most q.Limit records, as entities of the register's
	// type with PeriodProperty and the dimensions set.
	Records(ctx context.Context, tenant string, q RecordsQuery) (ListPage, error)
}

// RecordsQuery selects records of a periodic register.
type RecordsQuery struct {
	// Dims fixes the leading dimensions, in the order given to NewPeriodicRegister: only
	// records whose first len(Dims) dimensions have these values (typed as Key values: GUID,
	// string, int64, bool, time.Time, decimal.Decimal or float64).
	Dims []any
	// From and To bound the period, both included; zero is open.
	//
	// When Dims fixes every dimension, records must come in period order (descending when
	// Desc), and the bounds should be applied: that is one key range, and it is what makes a
	// slice one short query per combination. Otherwise records may come in any order the
	// source keeps, and the bounds may be ignored: PeriodicRegister re-checks every record.
	From, To time.Time
	Desc     bool
	// Limit is at least 1; the source must not return more records.
	Limit int
	// Cursor is Next of the previous page of the same query, or "".
	Cursor string
}

// PeriodicRegister publishes a periodic information register kept in a store: it is the
// set's Source (reads by key, lists, the index of Indexes) and its SliceSource (SliceLast,
// SliceFirst), over RegisterRecords.
//
// A slice reads, for each combination of dimensions the Condition fixes by equality
// (Dim eq v, or an "or" of such terms, on a leading run of dimensions):
//   - when it fixes every dimension, one query per combination, in period order from the
//     slice's moment, that stops at the first record the Condition accepts — usually one
//     record;
//   - otherwise the records under the fixed leading dimensions (all records when none is
//     fixed), grouped in memory, at most SliceRequest.MaxScan records in all, beyond which it
//     fails with ErrScanLimit rather than read a whole register.
//
// Rows come ordered by the dimensions' values.
type PeriodicRegister struct {
	records RegisterRecords
	dims    []string
}

var (
	_ Source      = (*PeriodicRegister)(nil)
	_ SliceSource = (*PeriodicRegister)(nil)
)

// NewPeriodicRegister returns the register over records; dimensions are the register's
// dimensions in the order RecordsQuery.Dims fixes them (usually the order of the store's
// sort key).
func NewPeriodicRegister(records RegisterRecords, dimensions ...string) *PeriodicRegister {
	return &PeriodicRegister{records: records, dims: append([]string(nil), dimensions...)}
}

// Indexes is what the EntitySet should declare so that lists filtered by the first
// dimension (Dim eq v) read only that dimension's records.
func (r *PeriodicRegister) Indexes() []Index {
	if len(r.dims) == 0 {
		return nil
	}
	return []Index{{Name: PeriodicDimensionIndex, Property: r.dims[0], Eq: true}}
}

// maxGetPages bounds the pages Get reads among the records of one combination.
const maxGetPages = 16

// Get reads the record of the key's dimensions and period.
func (r *PeriodicRegister) Get(ctx context.Context, tenant string, key Key) (Entity, error) {
	missing := notFound("ODATA_NOT_FOUND", "Запись регистра сведений не найдена")
	dims := make([]any, len(r.dims))
	for i, d := range r.dims {
		if dims[i] = key.Value(d); dims[i] == nil {
			return nil, missing
		}
	}
	p, _ := key.Value(PeriodProperty).(time.Time)
	at := wall(p)
	q := RecordsQuery{Dims: dims, From: p, To: p, Limit: 16}
	for range maxGetPages {
		page, err := r.records.Records(ctx, tenant, q)
		if err != nil {
			return nil, err
		}
		for _, e := range page.Entities {
			if per := periodOf(e); per.Equal(at) && sameDims(e, r.dims, dims) {
				return e, nil
			} else if per.After(at) {
				return nil, missing
			}
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	return nil, missing
}

// List reads the register in the source's order, or by the first dimension's index.
func (r *PeriodicRegister) List(ctx context.Context, tenant string, req ListRequest) (ListPage, error) {
	q := RecordsQuery{Desc: req.Desc, Limit: max(1, req.Limit), Cursor: req.Cursor}
	switch {
	case req.Index == "":
	case req.Index == PeriodicDimensionIndex && len(r.dims) > 0 && req.Match.Op == MatchEq:
		q.Dims = []any{req.Match.Value}
	default:
		return ListPage{}, fmt.Errorf("odata: periodic register: unknown index %q or match %d", req.Index, req.Match.Op)
	}
	return r.records.Records(ctx, tenant, q)
}

// SliceLast returns, for each combination of dimensions, the last record at or before
// req.Period that req.Condition accepts.
func (r *PeriodicRegister) SliceLast(ctx context.Context, tenant string, req SliceRequest) ([]Entity, error) {
	return r.slice(ctx, tenant, req, true)
}

// SliceFirst returns, for each combination of dimensions, the first record at or after
// req.Period that req.Condition accepts.
func (r *PeriodicRegister) SliceFirst(ctx context.Context, tenant string, req SliceRequest) ([]Entity, error) {
	return r.slice(ctx, tenant, req, false)
}

func (r *PeriodicRegister) slice(ctx context.Context, tenant string, req SliceRequest, last bool) ([]Entity, error) {
	limit := req.MaxScan
	if limit <= 0 {
		limit = DefaultMaxScan
	}
	sc := &sliceScan{r: r, req: req, last: last, limit: limit, budget: limit, best: map[string]Entity{}, at: wall(req.Period)}
	// The combinations of the leading dimensions the Condition fixes, as long as there are
	// not more of them than records may be read.
	prefixes := [][]any{nil}
	for _, d := range r.dims {
		vals, ok := req.Condition.Values(d)
		if !ok || len(prefixes)*len(vals) > sc.budget {
			break
		}
		next := make([][]any, 0, len(prefixes)*len(vals))
		for _, p := range prefixes {
			for _, v := range vals {
				next = append(next, append(append([]any(nil), p...), v))
			}
		}
		prefixes = next
	}
	for _, p := range prefixes {
		var err error
		if len(p) == len(r.dims) {
			err = sc.point(ctx, tenant, p)
		} else {
			err = sc.group(ctx, tenant, p)
		}
		if err != nil {
			return nil, err
		}
	}
	out := make([]Entity, 0, len(sc.best))
	for _, e := range sc.best {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		for _, d := range r.dims {
			if c := compareNullable(out[i][d], out[j][d]); c != 0 {
				return c < 0
			}
		}
		return periodOf(out[i]).Before(periodOf(out[j]))
	})
	return out, nil
}

// sliceScan is one slice in progress.
type sliceScan struct {
	r      *PeriodicRegister
	req    SliceRequest
	last   bool
	at     time.Time // wall clock of req.Period
	limit  int       // records allowed in all
	budget int       // records still allowed
	best   map[string]Entity
}

func (sc *sliceScan) query(dims []any) RecordsQuery {
	q := RecordsQuery{Dims: dims}
	if !sc.req.Period.IsZero() {
		if sc.last {
			q.To = sc.req.Period
		} else {
			q.From = sc.req.Period
		}
	}
	return q
}

// read reads one page, charging it to the budget (an empty page costs one, so that a source
// that pages without records cannot loop forever).
func (sc *sliceScan) read(ctx context.Context, tenant string, q RecordsQuery) ([]Entity, string, error) {
	if sc.budget <= 0 {
		return nil, "", fmt.Errorf("%w: more than %d records", ErrScanLimit, sc.limit)
	}
	q.Limit = max(1, min(q.Limit, sc.budget, store.MaxQueryLimit))
	page, err := sc.r.records.Records(ctx, tenant, q)
	if err != nil {
		return nil, "", err
	}
	items := page.Entities
	if len(items) > q.Limit {
		items = items[:q.Limit]
	}
	sc.budget -= max(1, len(items))
	return items, page.Next, nil
}

// point finds the slice's record of one full combination of dimensions: records come in
// period order from the slice's moment, so the first one the Condition accepts is it.
func (sc *sliceScan) point(ctx context.Context, tenant string, dims []any) error {
	q := sc.query(dims)
	q.Desc = sc.last
	for limit := 1; ; limit *= 8 {
		q.Limit = limit
		items, next, err := sc.read(ctx, tenant, q)
		if err != nil {
			return err
		}
		for _, e := range items {
			if sc.accepts(e, dims) {
				sc.offer(e)
				return nil
			}
		}
		if next == "" {
			return nil
		}
		q.Cursor = next
	}
}

// group reads every record under fixed leading dimensions and keeps the best per combination.
func (sc *sliceScan) group(ctx context.Context, tenant string, dims []any) error {
	q := sc.query(dims)
	for {
		q.Limit = store.MaxQueryLimit
		items, next, err := sc.read(ctx, tenant, q)
		if err != nil {
			return err
		}
		for _, e := range items {
			if sc.accepts(e, dims) {
				sc.offer(e)
			}
		}
		if next == "" {
			return nil
		}
		q.Cursor = next
	}
}

func (sc *sliceScan) accepts(e Entity, dims []any) bool {
	if !sc.req.Period.IsZero() {
		p := periodOf(e)
		if sc.last && p.After(sc.at) || !sc.last && p.Before(sc.at) {
			return false
		}
	}
	return sameDims(e, sc.r.dims, dims) && sc.req.Condition.Match(e)
}

// offer keeps e when it is the latest (SliceLast) or earliest (SliceFirst) record of its
// combination so far; of records of the same period the first read wins.
func (sc *sliceScan) offer(e Entity) {
	parts := make([]string, len(sc.r.dims))
	for i, d := range sc.r.dims {
		parts[i] = formatLiteral("", e[d])
	}
	k := strings.Join(parts, "\x00")
	cur, ok := sc.best[k]
	if !ok || sc.last && periodOf(e).After(periodOf(cur)) || !sc.last && periodOf(e).Before(periodOf(cur)) {
		sc.best[k] = e
	}
}

// periodOf is a record's period as a wall clock; the empty date when it has none.
func periodOf(e Entity) time.Time {
	if t, ok := e[PeriodProperty].(time.Time); ok {
		return wall(t)
	}
	return EmptyDate
}

// sameDims reports whether e's leading dimensions have the values vals.
func sameDims(e Entity, names []string, vals []any) bool {
	for i, v := range vals {
		if compareNullable(e[names[i]], v) != 0 {
			return false
		}
	}
	return true
}

// compareNullable orders two entity values, null first; values of different kinds order by
// kind.
func compareNullable(a, b any) int {
	va, vb := normalize(a), normalize(b)
	if va.k != vb.k {
		return int(va.k) - int(vb.k)
	}
	c, _ := compare(va, vb)
	return c
}
