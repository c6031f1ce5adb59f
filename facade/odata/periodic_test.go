package odata

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// memRecords is a RegisterRecords over memory with two dimensions (Org, Asset). It keeps the
// contract loosely on purpose: with fewer than all dimensions fixed it returns records in
// reverse insertion order and ignores the period bounds; with ignoreBounds it ignores them
// always.
type memRecords struct {
	recs         []Entity
	ignoreBounds bool
	read         int
	queries      int
	emptyPages   bool // pages without records that never end
}

var memDims = []string{"Org", "Asset"}

func (m *memRecords) Records(_ context.Context, _ string, q RecordsQuery) (ListPage, error) {
	m.queries++
	if m.emptyPages {
		return ListPage{Next: "more"}, nil
	}
	var sel []Entity
	for i := len(m.recs) - 1; i >= 0; i-- {
		e := m.recs[i]
		if !sameDims(e, memDims, q.Dims) {
			continue
		}
		if len(q.Dims) == len(memDims) && !m.ignoreBounds {
			p := periodOf(e)
			if !q.From.IsZero() && p.Before(q.From) || !q.To.IsZero() && p.After(q.To) {
				continue
			}
		}
		sel = append(sel, e)
	}
	if len(q.Dims) == len(memDims) {
		sort.SliceStable(sel, func(i, j int) bool {
			if q.Desc {
				return periodOf(sel[i]).After(periodOf(sel[j]))
			}
			return periodOf(sel[i]).Before(periodOf(sel[j]))
		})
	}
	from, _ := strconv.Atoi(q.Cursor)
	to := min(len(sel), from+q.Limit)
	page := ListPage{Entities: sel[from:to]}
	if to < len(sel) {
		page.Next = strconv.Itoa(to)
	}
	m.read += len(page.Entities)
	return page, nil
}

func rec(org, asset string, month int, status string) Entity {
	return Entity{"Org": org, "Asset": asset, "Period": time.Date(2025, time.Month(month), 1, 0, 0, 0, 0, time.UTC), "Status": status}
}

func memRegister(t *testing.T, m *memRecords) (*PeriodicRegister, *etype) {
	t.Helper()
	m.recs = []Entity{
		rec("o1", "a1", 1, "x"), rec("o1", "a1", 3, "y"), rec("o1", "a1", 6, "z"),
		rec("o1", "a2", 2, "x"), rec("o1", "a2", 4, "y"),
		rec("o2", "a1", 1, "y"), rec("o2", "a3", 5, "x"),
	}
	typ, err := newEtype("InformationRegister_Mem", []Property{
		{Name: "Period", Type: EdmDateTime}, {Name: "Org", Type: EdmString},
		{Name: "Asset", Type: EdmString}, {Name: "Status", Type: EdmString},
	}, []string{"Period", "Org", "Asset"})
	if err != nil {
		t.Fatal(err)
	}
	return NewPeriodicRegister(m, memDims...), typ
}

func cond(t *testing.T, typ *etype, src string) *Filter {
	t.Helper()
	if src == "" {
		return nil
	}
	e, serr := parseFilter(src, typ)
	if serr != nil {
		t.Fatalf("%s: %s", src, serr.msg)
	}
	return &Filter{e: e}
}

func show(rows []Entity) string {
	var out []string
	for _, e := range rows {
		out = append(out, e["Org"].(string)+"/"+e["Asset"].(string)+"@"+strconv.Itoa(int(periodOf(e).Month())))
	}
	return strings.Join(out, " ")
}

func TestPeriodicRegisterSlices(t *testing.T) {
	march := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, ignore := range []bool{false, true} {
		for _, c := range []struct {
			last    bool
			period  time.Time
			cond    string
			want    string
			queries int // store queries when the source applies the bounds; 0: not checked
		}{
			{true, time.Time{}, "", "o1/a1@6 o1/a2@4 o2/a1@1 o2/a3@5", 1},
			{true, march, "", "o1/a1@3 o1/a2@2 o2/a1@1", 1},
			{false, march, "", "o1/a1@3 o1/a2@4 o2/a3@5", 1},
			{false, time.Time{}, "", "o1/a1@1 o1/a2@2 o2/a1@1 o2/a3@5", 1},
			// The first dimension fixed: the records under it only.
			{true, march, "Org eq 'o1'", "o1/a1@3 o1/a2@2", 1},
			// Both fixed: one query per combination.
			{true, march, "Org eq 'o1' and Asset eq 'a1'", "o1/a1@3", 1},
			{true, time.Time{}, "Asset eq 'a1' and (Org eq 'o2' or Org eq 'o1')", "o1/a1@6 o2/a1@1", 2},
			{false, march, "Org eq 'o1' and (Asset eq 'a1' or Asset eq 'a2' or Asset eq 'a9')", "o1/a1@3 o1/a2@4", 3},
			// Only the second fixed: no prefix, every record read.
			{true, march, "Asset eq 'a1'", "o1/a1@3 o2/a1@1", 1},
			// Conditions on other properties choose the records that take part.
			{true, time.Time{}, "Status eq 'y'", "o1/a1@3 o1/a2@4 o2/a1@1", 1},
			{true, time.Time{}, "Org eq 'o1' and Asset eq 'a1' and Status eq 'x'", "o1/a1@1", 0},
			{true, time.Time{}, "Org eq 'o1' and Asset eq 'a1' and Status eq 'none'", "", 0},
		} {
			m := &memRecords{ignoreBounds: ignore}
			reg, typ := memRegister(t, m)
			req := SliceRequest{Period: c.period, Condition: cond(t, typ, c.cond), MaxScan: 100}
			slice := reg.SliceFirst
			if c.last {
				slice = reg.SliceLast
			}
			rows, err := slice(context.Background(), "t", req)
			if err != nil {
				t.Fatal(err)
			}
			if got := show(rows); got != c.want || !ignore && c.queries > 0 && m.queries != c.queries {
				t.Errorf("last=%v period=%v %q (ignore bounds %v): %q after %d queries, want %q", c.last, c.period.Month(), c.cond, ignore, got, m.queries, c.want)
			}
		}
	}
	// A point query stops at the first accepted record: one record read.
	m := &memRecords{}
	reg, typ := memRegister(t, m)
	if _, err := reg.SliceLast(context.Background(), "t", SliceRequest{Condition: cond(t, typ, "Org eq 'o1' and Asset eq 'a1'"), MaxScan: 100}); err != nil || m.read != 1 {
		t.Errorf("point query read %d: %v", m.read, err)
	}
}

func TestPeriodicRegisterScanLimit(t *testing.T) {
	m := &memRecords{}
	reg, typ := memRegister(t, m)
	ctx := context.Background()
	// Seven records: MaxScan 7 is enough, 6 is not.
	if _, err := reg.SliceLast(ctx, "t", SliceRequest{MaxScan: 7}); err != nil {
		t.Errorf("MaxScan 7: %v", err)
	}
	m.read = 0
	if _, err := reg.SliceLast(ctx, "t", SliceRequest{MaxScan: 6}); !errors.Is(err, ErrScanLimit) || m.read > 6 {
		t.Errorf("MaxScan 6: %v after %d reads", err, m.read)
	}
	// More combinations than records allowed: the register scans, within the limit.
	m.read = 0
	if _, err := reg.SliceLast(ctx, "t", SliceRequest{Condition: cond(t, typ, "Org eq 'o1' or Org eq 'o2' or Org eq 'o3'"), MaxScan: 2}); !errors.Is(err, ErrScanLimit) || m.read > 2 {
		t.Errorf("many combinations: %v after %d reads", err, m.read)
	}
	// A source that pages without records forever is cut off.
	m = &memRecords{emptyPages: true}
	reg, _ = memRegister(t, m)
	if _, err := reg.SliceLast(ctx, "t", SliceRequest{MaxScan: 50}); !errors.Is(err, ErrScanLimit) || m.queries > 50 {
		t.Errorf("empty pages: %v after %d queries", err, m.queries)
	}
}

func TestPeriodicRegisterGetList(t *testing.T) {
	m := &memRecords{}
	reg, _ := memRegister(t, m)
	ctx := context.Background()
	key := Key{{Name: "Period", Value: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}, {Name: "Org", Value: "o1"}, {Name: "Asset", Value: "a1"}}
	if e, err := reg.Get(ctx, "t", key); err != nil || e["Status"] != "y" {
		t.Errorf("Get: %v %v", e, err)
	}
	key[0].Value = time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	if _, err := reg.Get(ctx, "t", key); err == nil {
		t.Error("Get of a missing record succeeded")
	}
	if _, err := reg.Get(ctx, "t", key[:2]); err == nil {
		t.Error("Get without every dimension succeeded")
	}
	ix := reg.Indexes()
	if len(ix) != 1 || ix[0].Property != "Org" || !ix[0].Eq || ix[0].Complete {
		t.Fatalf("indexes: %+v", ix)
	}
	p, err := reg.List(ctx, "t", ListRequest{Index: ix[0].Name, Match: Match{Op: MatchEq, Value: "o2"}, Limit: 10})
	if err != nil || show(p.Entities) != "o2/a3@5 o2/a1@1" {
		t.Errorf("List by index: %s %v", show(p.Entities), err)
	}
	p, err = reg.List(ctx, "t", ListRequest{Limit: 3})
	if err != nil || len(p.Entities) != 3 || p.Next == "" {
		t.Errorf("List: %d %q %v", len(p.Entities), p.Next, err)
	}
	if _, err := reg.List(ctx, "t", ListRequest{Index: "other", Limit: 3}); err == nil {
		t.Error("unknown index accepted")
	}
}

func TestFilterValues(t *testing.T) {
	typ := fuzzSet(t).typ
	g1, g2 := "6f1d3c1e-8a59-4d4e-9a53-1c2b3d4e5f60", "00000000-0000-0000-0000-000000000001"
	for src, want := range map[string]string{
		"Number eq 'A'": "A",
		"'A' eq Number": "A",
		"Number eq 'A' or Number eq 'B' or 'A' eq Number": "A B",
		"Posted and (Number eq 'A' or Number eq 'B')":     "A B",
		"Number eq 'A' and Number eq 'B'":                 "A", // the first term; the filter is checked anyway
		"Number eq 'A' or Posted":                         "-",
		"Number ne 'A'":                                   "-",
		"Number eq null":                                  "-",
		"not (Number eq 'A')":                             "-",
		"startswith(Number, 'A')":                         "-",
		"Organization_Key eq guid'" + g1 + "' or Organization_Key eq '" + g2 + "'": "-",
	} {
		f := cond(t, typ, src)
		vals, ok := f.Values("Number")
		got := "-"
		if ok {
			var s []string
			for _, v := range vals {
				s = append(s, v.(string))
			}
			got = strings.Join(s, " ")
		}
		if got != want {
			t.Errorf("%s: %q, want %q", src, got, want)
		}
	}
	vals, ok := cond(t, typ, "Organization_Key eq guid'"+g1+"' or Organization_Key eq '"+g2+"'").Values("Organization_Key")
	if !ok || len(vals) != 2 || vals[1].(GUID).String() != g2 {
		t.Errorf("GUID values: %v %v", vals, ok)
	}
	if vals, ok := cond(t, typ, "Count eq 7").Values("Count"); !ok || vals[0] != int64(7) {
		t.Errorf("Int64 value: %#v", vals)
	}
	var none *Filter
	if _, ok := none.Values("Number"); ok || !none.Match(Entity{}) {
		t.Error("nil filter")
	}
}

func TestSplitCall(t *testing.T) {
	for rest, want := range map[string]string{
		"SliceLast":                            "SliceLast||false",
		"SliceLast()":                          "SliceLast||false",
		"SliceLast/$count":                     "SliceLast||true",
		"SliceLast()/$count":                   "SliceLast||true",
		"SliceLast(Condition='a)/b''(')":       "SliceLast|Condition='a)/b''('|false",
		"SliceLast(Condition='x')/$count":      "SliceLast|Condition='x'|true",
		"Balance(Period=datetime'2025-01-01')": "Balance|Period=datetime'2025-01-01'|false",
		"SliceLast(Condition=(a eq (b)))":      "SliceLast|Condition=(a eq (b))|false",
	} {
		name, args, count, err := splitCall(rest)
		if got := name + "|" + args + "|" + strconv.FormatBool(count); err != nil || got != want {
			t.Errorf("%s: %q %v", rest, got, err)
		}
	}
	for _, bad := range []string{"SliceLast(", "SliceLast('", "SliceLast()/x", "SliceLast()x", "SliceLast/x", "SliceLast(()"} {
		if _, _, _, err := splitCall(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
