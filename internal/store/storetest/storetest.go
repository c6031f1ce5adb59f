// Package storetest is the conformance suite of the store port. Every adapter runs it from its
// own tests, so that the embedded and the DynamoDB adapters are interchangeable:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, clk *clock.Fake) store.Store { ... })
//	}
//
// The suite uses only the port API and asserts only what the port's doc comments promise.
package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/store"
)

// Epoch is the fake clock's start in every subtest. It has a fraction of a second so that the
// second precision of ExpiresAt is exercised.
var Epoch = time.Date(2025, 3, 1, 9, 0, 0, 250_000_000, time.UTC)

// Run runs the conformance suite as parallel subtests. open must return a fresh, empty store
// (its own file or table) whose expiry follows clk; it is called once per subtest, possibly
// from several subtests at a time. The suite closes the store when the subtest ends.
func Run(t *testing.T, open func(t *testing.T, clk *clock.Fake) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store, clk *clock.Fake)
	}{
		{"RoundTrip", testRoundTrip},
		{"BinaryAndEmpty", testBinaryAndEmpty},
		{"Update", testUpdate},
		{"Conditions", testConditions},
		{"Delete", testDelete},
		{"RaceNotExists", testRaceNotExists},
		{"RaceVersion", testRaceVersion},
		{"QueryTable", testQueryTable},
		{"QueryGSI1", func(t *testing.T, s store.Store, clk *clock.Fake) { testQueryIndex(t, s, store.GSI1) }},
		{"QueryGSI2", func(t *testing.T, s store.Store, clk *clock.Fake) { testQueryIndex(t, s, store.GSI2) }},
		{"IndexMaintenance", testIndexMaintenance},
		{"IndexEqualSortKeys", testIndexEqualSortKeys},
		{"Pagination", testPagination},
		{"CursorAfterChanges", testCursorAfterChanges},
		{"Expiry", testExpiry},
		{"ExpiryConditions", testExpiryConditions},
		{"ExpiryUpdate", testExpiryUpdate},
		{"ExpiryPagination", testExpiryPagination},
		{"Validation", testValidation},
		{"Limits", testLimits},
		{"Tenant", testTenant},
		{"Mutate", testMutate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewFake(Epoch)
			s := open(t, clk)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s, clk)
		})
	}
}

// ---- helpers ----

func put(t *testing.T, s store.Store, it store.Item, conds ...store.Cond) store.Item {
	t.Helper()
	got, err := s.Put(t.Context(), it, conds...)
	if err != nil {
		t.Fatalf("Put %s/%s: %v", it.PK, it.SK, err)
	}
	return got
}

func get(t *testing.T, s store.Store, pk, sk string) store.Item {
	t.Helper()
	got, err := s.Get(t.Context(), pk, sk)
	if err != nil {
		t.Fatalf("Get %s/%s: %v", pk, sk, err)
	}
	return got
}

func update(t *testing.T, s store.Store, pk, sk string, u store.Update, conds ...store.Cond) store.Item {
	t.Helper()
	got, err := s.Update(t.Context(), pk, sk, u, conds...)
	if err != nil {
		t.Fatalf("Update %s/%s: %v", pk, sk, err)
	}
	return got
}

func absent(t *testing.T, s store.Store, pk, sk string) {
	t.Helper()
	if it, err := s.Get(t.Context(), pk, sk); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get %s/%s = %+v, %v; want ErrNotFound", pk, sk, it, err)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want %v", what, err, target)
	}
}

// sameItem compares every field; nil and empty Attrs or Data are equal, times compare by
// instant.
func sameItem(t *testing.T, what string, got, want store.Item) {
	t.Helper()
	var diffs []string
	str := func(name, g, w string) {
		if g != w {
			diffs = append(diffs, fmt.Sprintf("%s = %q, want %q", name, g, w))
		}
	}
	str("PK", got.PK, want.PK)
	str("SK", got.SK, want.SK)
	str("GSI1PK", got.GSI1PK, want.GSI1PK)
	str("GSI1SK", got.GSI1SK, want.GSI1SK)
	str("GSI2PK", got.GSI2PK, want.GSI2PK)
	str("GSI2SK", got.GSI2SK, want.GSI2SK)
	if !maps.Equal(got.Attrs, want.Attrs) {
		diffs = append(diffs, fmt.Sprintf("Attrs = %v, want %v", got.Attrs, want.Attrs))
	}
	if !bytes.Equal(got.Data, want.Data) {
		diffs = append(diffs, fmt.Sprintf("Data = %q, want %q", got.Data, want.Data))
	}
	if got.ExpiresAt.IsZero() != want.ExpiresAt.IsZero() || !got.ExpiresAt.Equal(want.ExpiresAt) {
		diffs = append(diffs, fmt.Sprintf("ExpiresAt = %v, want %v", got.ExpiresAt, want.ExpiresAt))
	}
	if got.Version != want.Version {
		diffs = append(diffs, fmt.Sprintf("Version = %d, want %d", got.Version, want.Version))
	}
	if len(diffs) > 0 {
		t.Fatalf("%s:\n  %s", what, strings.Join(diffs, "\n  "))
	}
}

// sec truncates to what the store keeps of an expiry.
func sec(tm time.Time) time.Time { return time.Unix(tm.Unix(), 0) }

// queryAll follows Next to the end and checks each page against the limit.
func queryAll(t *testing.T, s store.Store, q store.Query) (items []store.Item, pages int) {
	t.Helper()
	limit := q.Limit
	if limit == 0 {
		limit = store.DefaultLimit
	}
	for {
		p, err := s.Query(t.Context(), q)
		if err != nil {
			t.Fatalf("Query %+v: %v", q, err)
		}
		pages++
		if len(p.Items) > limit {
			t.Fatalf("Query %+v: page of %d items, limit %d", q, len(p.Items), limit)
		}
		items = append(items, p.Items...)
		if p.Next == "" {
			return items, pages
		}
		if p.Next == q.Cursor {
			t.Fatalf("Query %+v: Next did not move", q)
		}
		if pages > 10_000 {
			t.Fatalf("Query %+v: no end after %d pages", q, pages)
		}
		q.Cursor = p.Next
	}
}

func sks(items []store.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.SK
	}
	return out
}

func pks(items []store.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.PK
	}
	return out
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

func sameKeys(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// setIndex puts the item into idx with the given keys.
func setIndex(it *store.Item, idx store.Index, pk, sk string) {
	switch idx {
	case store.GSI1:
		it.GSI1PK, it.GSI1SK = pk, sk
	case store.GSI2:
		it.GSI2PK, it.GSI2SK = pk, sk
	}
}

func indexUpdate(idx store.Index, k store.IndexKey) store.Update {
	if idx == store.GSI1 {
		return store.Update{GSI1: &k}
	}
	return store.Update{GSI2: &k}
}

// ---- round trip ----

func testRoundTrip(t *testing.T, s store.Store, clk *clock.Fake) {
	exp := clk.Now().Add(90*time.Minute + 700*time.Millisecond)
	in := store.Item{
		PK: "GUEST#Иванов", SK: "DOC#паспорт",
		GSI1PK: "ROOM#101", GSI1SK: "2025-03-01T09:00",
		GSI2PK: "STATE#новый", GSI2SK: "Иванов Иван",
		Attrs:     map[string]string{"state": "новый", "kind": "passport", "пусто": ""},
		Data:      []byte(`{"name":"Иван Иванович Иванов","note":"ёжик «в тумане»"}`),
		ExpiresAt: exp,
		Version:   42, // ignored
	}
	want := in
	want.Attrs = maps.Clone(in.Attrs)
	want.Data = slices.Clone(in.Data)
	want.ExpiresAt = sec(exp)
	want.Version = 1

	got := put(t, s, in)
	sameItem(t, "Put result", got, want)
	sameItem(t, "Get after Put", get(t, s, in.PK, in.SK), want)

	// Returned items are copies: changing them or the input does not change the store.
	got.Data[0] = 'X'
	got.Attrs["state"] = "changed"
	in.Data[1] = 'Y'
	in.Attrs["kind"] = "changed"
	g := get(t, s, want.PK, want.SK)
	sameItem(t, "Get after changing returned item", g, want)
	g.Data[0] = 'Z'
	sameItem(t, "Get after changing a Get result", get(t, s, want.PK, want.SK), want)

	// Put replaces the whole item: attributes, index keys and expiry not given are gone.
	in2 := store.Item{PK: want.PK, SK: want.SK, Attrs: map[string]string{"other": "1"}, Data: []byte("v2"), Version: 1000}
	want2 := in2
	want2.Version = 2
	sameItem(t, "second Put", put(t, s, in2), want2)
	sameItem(t, "Get after second Put", get(t, s, want.PK, want.SK), want2)

	want3 := want2
	want3.Data = []byte("v3")
	want3.Version = 3
	d := []byte("v3")
	sameItem(t, "Update", update(t, s, want.PK, want.SK, store.Update{Data: &d}), want3)
	sameItem(t, "Get after Update", get(t, s, want.PK, want.SK), want3)

	if err := s.Delete(t.Context(), want.PK, want.SK); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	absent(t, s, want.PK, want.SK)
	if got := put(t, s, in2); got.Version != 1 {
		t.Fatalf("Put after Delete: Version %d, want 1", got.Version)
	}

	// A key differing only in SK, and the same SK in another partition, are other items.
	absent(t, s, want.PK, want.SK+"x")
	absent(t, s, want.PK+"x", want.SK)
}

func testBinaryAndEmpty(t *testing.T, s store.Store, clk *clock.Fake) {
	bin := make([]byte, 0, 512)
	for i := range 256 {
		bin = append(bin, byte(i))
	}
	bin = append(bin, 0xff, 0xfe, 0, 0, 0xc3, 0x28) // invalid UTF-8, trailing NULs inside
	cases := []store.Item{
		{PK: "B", SK: "binary", Data: bin},
		{PK: "B", SK: "nil", Attrs: nil, Data: nil},
		{PK: "B", SK: "empty", Attrs: map[string]string{}, Data: []byte{}},
		{PK: "B", SK: "json", Data: []byte(`{"a":[1,2,{"b":null}],"c":"\u0000"}`)},
		{PK: "B", SK: "spaces", Data: []byte("  \n\t "), Attrs: map[string]string{"k": " v "}},
	}
	for _, in := range cases {
		want := in
		want.Version = 1
		sameItem(t, "Put "+in.SK, put(t, s, in), want)
		sameItem(t, "Get "+in.SK, get(t, s, in.PK, in.SK), want)
	}
	items, _ := queryAll(t, s, store.Query{PK: "B"})
	if len(items) != len(cases) {
		t.Fatalf("Query: %d items, want %d", len(items), len(cases))
	}
	for _, it := range items {
		for _, in := range cases {
			if in.SK == it.SK {
				want := in
				want.Version = 1
				sameItem(t, "Query "+in.SK, it, want)
			}
		}
	}
}

// ---- update ----

func testUpdate(t *testing.T, s store.Store, clk *clock.Fake) {
	d := []byte("x")
	_, err := s.Update(t.Context(), "U", "absent", store.Update{Data: &d})
	wantErr(t, "Update absent", err, store.ErrNotFound)
	absent(t, s, "U", "absent")

	exp := clk.Now().Add(time.Hour)
	base := put(t, s, store.Item{
		PK: "U", SK: "1", GSI1PK: "G", GSI1SK: "s1",
		Attrs: map[string]string{"a": "1", "b": "2"}, Data: []byte("d1"), ExpiresAt: exp,
	})

	want := base
	want.Attrs = map[string]string{"b": "20", "c": "Три"}
	want.Version = 2
	got := update(t, s, "U", "1", store.Update{
		SetAttrs: map[string]string{"b": "20", "c": "Три", "gone": "x"}, RemoveAttrs: []string{"a", "gone", "never-there"},
	})
	sameItem(t, "Update attrs", got, want)
	sameItem(t, "Get after Update attrs", get(t, s, "U", "1"), want)

	exp2 := clk.Now().Add(2*time.Hour + 300*time.Millisecond)
	d2 := []byte("данные 2")
	want.Data, want.ExpiresAt, want.Version = d2, sec(exp2), 3
	sameItem(t, "Update data and expiry", update(t, s, "U", "1", store.Update{Data: &d2, ExpiresAt: &exp2}), want)

	var never time.Time
	empty := []byte{}
	want.Data, want.ExpiresAt, want.Version = nil, time.Time{}, 4
	sameItem(t, "Update to empty data, no expiry", update(t, s, "U", "1", store.Update{Data: &empty, ExpiresAt: &never}), want)

	want.GSI1PK, want.GSI1SK, want.GSI2PK, want.GSI2SK, want.Version = "", "", "G2", "s2", 5
	sameItem(t, "Update index keys", update(t, s, "U", "1", store.Update{GSI1: &store.IndexKey{}, GSI2: &store.IndexKey{PK: "G2", SK: "s2"}}), want)

	want.Version = 6
	sameItem(t, "empty Update", update(t, s, "U", "1", store.Update{}), want)
	sameItem(t, "Get after all updates", get(t, s, "U", "1"), want)

	clk.Advance(1000 * time.Hour)
	sameItem(t, "Get long after removing expiry", get(t, s, "U", "1"), want)
}

// ---- conditions ----

func testConditions(t *testing.T, s store.Store, clk *clock.Fake) {
	baseAttrs := map[string]string{"state": "новый", "kind": "passport"}
	cases := []struct {
		name    string
		present bool
		conds   []store.Cond
		ok      bool
	}{
		{"Exists/present", true, []store.Cond{store.Exists()}, true},
		{"Exists/absent", false, []store.Cond{store.Exists()}, false},
		{"NotExists/absent", false, []store.Cond{store.NotExists()}, true},
		{"NotExists/present", true, []store.Cond{store.NotExists()}, false},
		{"AttrEquals/match", true, []store.Cond{store.AttrEquals("state", "новый")}, true},
		{"AttrEquals/other value", true, []store.Cond{store.AttrEquals("state", "done")}, false},
		{"AttrEquals/missing attr", true, []store.Cond{store.AttrEquals("missing", "")}, false},
		{"AttrEquals/absent", false, []store.Cond{store.AttrEquals("state", "новый")}, false},
		{"VersionIs/match", true, []store.Cond{store.VersionIs(1)}, true},
		{"VersionIs/other", true, []store.Cond{store.VersionIs(2)}, false},
		{"VersionIs/absent", false, []store.Cond{store.VersionIs(1)}, false},
		{"AND/all hold", true, []store.Cond{store.Exists(), store.AttrEquals("state", "новый"), store.AttrEquals("kind", "passport"), store.VersionIs(1)}, true},
		{"AND/version fails", true, []store.Cond{store.Exists(), store.AttrEquals("state", "новый"), store.VersionIs(7)}, false},
		{"AND/second attr fails", true, []store.Cond{store.AttrEquals("state", "новый"), store.AttrEquals("kind", "visa")}, false},
		{"AND/first attr fails", true, []store.Cond{store.AttrEquals("state", "x"), store.AttrEquals("kind", "passport")}, false},
		{"AND/exists and not exists", true, []store.Cond{store.Exists(), store.NotExists()}, false},
		{"AND/not exists and exists absent", false, []store.Cond{store.NotExists(), store.Exists()}, false},
	}
	for i, tc := range cases {
		for _, op := range []string{"Put", "Update", "Delete"} {
			pk, sk := "C", fmt.Sprintf("%02d-%s", i, op)
			what := op + " " + tc.name
			var base store.Item
			if tc.present {
				base = put(t, s, store.Item{PK: pk, SK: sk, Attrs: baseAttrs, Data: []byte("base")})
			}
			newData := []byte("new")
			var err error
			switch op {
			case "Put":
				_, err = s.Put(t.Context(), store.Item{PK: pk, SK: sk, Data: newData}, tc.conds...)
			case "Update":
				_, err = s.Update(t.Context(), pk, sk, store.Update{Data: &newData}, tc.conds...)
			case "Delete":
				err = s.Delete(t.Context(), pk, sk, tc.conds...)
			}
			switch {
			case op == "Update" && !tc.present:
				// An absent item cannot be updated; either error says so.
				if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConditionFailed) {
					t.Fatalf("%s: err = %v, want ErrNotFound or ErrConditionFailed", what, err)
				}
				absent(t, s, pk, sk)
			case !tc.ok:
				wantErr(t, what, err, store.ErrConditionFailed)
				if tc.present {
					sameItem(t, what+": item after failed write", get(t, s, pk, sk), base)
				} else {
					absent(t, s, pk, sk)
				}
			case err != nil:
				t.Fatalf("%s: %v", what, err)
			case op == "Delete":
				absent(t, s, pk, sk)
			default:
				got := get(t, s, pk, sk)
				if string(got.Data) != "new" || got.Version != base.Version+1 {
					t.Fatalf("%s: item after write %+v", what, got)
				}
			}
		}
	}
}

func testDelete(t *testing.T, s store.Store, clk *clock.Fake) {
	ctx := t.Context()
	if err := s.Delete(ctx, "D", "absent"); err != nil {
		t.Fatalf("Delete absent without condition: %v", err)
	}
	wantErr(t, "Delete absent with Exists", s.Delete(ctx, "D", "absent", store.Exists()), store.ErrConditionFailed)

	it := put(t, s, store.Item{PK: "D", SK: "1", Data: []byte("x")})
	put(t, s, store.Item{PK: "D", SK: "2", Data: []byte("y")})
	wantErr(t, "Delete with wrong version", s.Delete(ctx, "D", "1", store.VersionIs(it.Version+1)), store.ErrConditionFailed)
	sameItem(t, "after failed Delete", get(t, s, "D", "1"), it)
	if err := s.Delete(ctx, "D", "1", store.Exists(), store.VersionIs(it.Version)); err != nil {
		t.Fatalf("Delete with conditions: %v", err)
	}
	absent(t, s, "D", "1")
	if err := s.Delete(ctx, "D", "1"); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	get(t, s, "D", "2") // the neighbour stays
}

// ---- races ----

// race runs n writers released together and returns how many succeeded; every other writer
// must fail with ErrConditionFailed.
func race(t *testing.T, n int, write func(i int) error) (winners []int) {
	t.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
	)
	for i := range n {
		wg.Go(func() {
			<-start
			err := write(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				winners = append(winners, i)
			case !errors.Is(err, store.ErrConditionFailed):
				t.Errorf("writer %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	return winners
}

func testRaceNotExists(t *testing.T, s store.Store, clk *clock.Fake) {
	winners := race(t, 50, func(i int) error {
		_, err := s.Put(t.Context(), store.Item{PK: "RACE", SK: "once", Data: []byte(strconv.Itoa(i))}, store.NotExists())
		return err
	})
	if len(winners) != 1 {
		t.Fatalf("%d writers won %v, want exactly 1", len(winners), winners)
	}
	got := get(t, s, "RACE", "once")
	if string(got.Data) != strconv.Itoa(winners[0]) || got.Version != 1 {
		t.Fatalf("stored %q version %d, winner %d", got.Data, got.Version, winners[0])
	}
}

func testRaceVersion(t *testing.T, s store.Store, clk *clock.Fake) {
	put(t, s, store.Item{PK: "RACE", SK: "v", Data: []byte("start")})
	cur := put(t, s, store.Item{PK: "RACE", SK: "v", Data: []byte("start")})
	// Half the writers Put, half Update, all on the version they read.
	winners := race(t, 50, func(i int) error {
		d := []byte(strconv.Itoa(i))
		if i%2 == 0 {
			_, err := s.Put(t.Context(), store.Item{PK: "RACE", SK: "v", Data: d}, store.VersionIs(cur.Version))
			return err
		}
		_, err := s.Update(t.Context(), "RACE", "v", store.Update{Data: &d}, store.VersionIs(cur.Version))
		return err
	})
	if len(winners) != 1 {
		t.Fatalf("%d writers won %v, want exactly 1", len(winners), winners)
	}
	got := get(t, s, "RACE", "v")
	if string(got.Data) != strconv.Itoa(winners[0]) || got.Version != cur.Version+1 {
		t.Fatalf("stored %q version %d, winner %d, want version %d", got.Data, got.Version, winners[0], cur.Version+1)
	}
}

// ---- queries ----

func testQueryTable(t *testing.T, s store.Store, clk *clock.Fake) {
	// Byte order of UTF-8: "Z" < "a" < "b#…" < "z" < "Я" (D0 AF) < "а" (D0 B0) < "ё" (D1 91).
	all := []string{"Z", "a", "b#1", "b#2", "b#3", "c", "d", "z", "Я", "а", "ё"}
	for _, sk := range all {
		put(t, s, store.Item{PK: "ORD", SK: sk, Data: []byte("data-" + sk), Attrs: map[string]string{"sk": sk}})
	}
	// Partitions whose keys share a prefix with "ORD" must not leak into it.
	put(t, s, store.Item{PK: "ORDER", SK: "b#9"})
	put(t, s, store.Item{PK: "ORDER", SK: "a"})
	put(t, s, store.Item{PK: "OR", SK: "zzz"})
	put(t, s, store.Item{PK: "ORD#", SK: "b#1"})

	cases := []struct {
		q    store.Query
		want []string
	}{
		{store.Query{}, all},
		{store.Query{Prefix: "b#"}, []string{"b#1", "b#2", "b#3"}},
		{store.Query{Prefix: "b#2"}, []string{"b#2"}},
		{store.Query{Prefix: "Я"}, []string{"Я"}},
		{store.Query{Prefix: "x"}, nil},
		{store.Query{From: "b#2", To: "c"}, []string{"b#2", "b#3", "c"}},
		{store.Query{From: "b", To: "b#2"}, []string{"b#1", "b#2"}},
		{store.Query{From: "c", To: "c"}, []string{"c"}},
		{store.Query{From: "c#", To: "cz"}, nil},
		{store.Query{From: "b#2"}, []string{"b#2", "b#3", "c", "d", "z", "Я", "а", "ё"}},
		{store.Query{From: "z"}, []string{"z", "Я", "а", "ё"}},
		{store.Query{To: "b#2"}, []string{"Z", "a", "b#1", "b#2"}},
		{store.Query{To: "b"}, []string{"Z", "a"}},
		{store.Query{To: "Я"}, []string{"Z", "a", "b#1", "b#2", "b#3", "c", "d", "z", "Я"}},
		{store.Query{From: "0"}, all},
		{store.Query{To: "ёё"}, all},
	}
	for _, tc := range cases {
		for _, desc := range []bool{false, true} {
			for _, limit := range []int{0, 2} {
				q := tc.q
				q.PK, q.Desc, q.Limit = "ORD", desc, limit
				want := tc.want
				if desc {
					want = reversed(want)
				}
				items, _ := queryAll(t, s, q)
				sameKeys(t, fmt.Sprintf("Query %+v", q), sks(items), want)
				for _, it := range items {
					sameItem(t, "queried item", it, store.Item{
						PK: "ORD", SK: it.SK, Data: []byte("data-" + it.SK), Attrs: map[string]string{"sk": it.SK}, Version: 1,
					})
				}
			}
		}
	}

	p, err := s.Query(t.Context(), store.Query{PK: "NOPE"})
	if err != nil || len(p.Items) != 0 || p.Next != "" {
		t.Fatalf("Query of an empty partition = %+v, %v", p, err)
	}
	items, _ := queryAll(t, s, store.Query{PK: "OR"})
	sameKeys(t, "partition OR", sks(items), []string{"zzz"})
	items, _ = queryAll(t, s, store.Query{PK: "ORDER", Desc: true})
	sameKeys(t, "partition ORDER", sks(items), []string{"b#9", "a"})
	// The table's items are not in the indexes.
	for _, idx := range []store.Index{store.GSI1, store.GSI2} {
		items, _ = queryAll(t, s, store.Query{Index: idx, PK: "ORD"})
		sameKeys(t, "index "+string(idx), sks(items), nil)
	}
}

// testQueryIndex checks sort-key order and bounds on an index whose partition spans several
// table partitions, and that the index is sparse.
func testQueryIndex(t *testing.T, s store.Store, idx store.Index) {
	other := store.GSI2
	if idx == store.GSI2 {
		other = store.GSI1
	}
	items := []struct{ pk, ipk, isk string }{
		{"G#1", "IDX", "2025-03-01"},
		{"G#2", "IDX", "2025-03-02"},
		{"G#3", "IDX", "2025-03-02#b"},
		{"G#4", "IDX", "2025-03-03"},
		{"G#5", "", ""}, // not in the index
		{"G#6", "IDXX", "2025-03-02"},
		{"G#7", "ID", "2025-03-02"},
		{"G#8", "IDX", "2025-03-02\x01"}, // sorts right after "2025-03-02"
	}
	for _, x := range items {
		it := store.Item{PK: x.pk, SK: "PROFILE", Data: []byte("data-" + x.pk), Attrs: map[string]string{"pk": x.pk}}
		setIndex(&it, idx, x.ipk, x.isk)
		// The other index holds every item under one key, to show the two do not mix.
		setIndex(&it, other, "OTHER", x.pk)
		put(t, s, it)
	}
	cases := []struct {
		q    store.Query
		want []string
	}{
		{store.Query{}, []string{"G#1", "G#2", "G#8", "G#3", "G#4"}},
		{store.Query{To: "2025-03-02"}, []string{"G#1", "G#2"}},
		{store.Query{From: "2025-03-02"}, []string{"G#2", "G#8", "G#3", "G#4"}},
		{store.Query{From: "2025-03-02", To: "2025-03-02"}, []string{"G#2"}},
		{store.Query{From: "2025-03-02", To: "2025-03-02#b"}, []string{"G#2", "G#8", "G#3"}},
		{store.Query{From: "2025-03-02\x01", To: "2025-03-02#a"}, []string{"G#8"}},
		{store.Query{Prefix: "2025-03-02"}, []string{"G#2", "G#8", "G#3"}},
		{store.Query{Prefix: "2025-03-02#"}, []string{"G#3"}},
		{store.Query{Prefix: "2025-03-0"}, []string{"G#1", "G#2", "G#8", "G#3", "G#4"}},
		{store.Query{Prefix: "2024"}, nil},
		{store.Query{From: "2025-03-04"}, nil},
	}
	for _, tc := range cases {
		for _, desc := range []bool{false, true} {
			for _, limit := range []int{0, 1, 2} {
				q := tc.q
				q.Index, q.PK, q.Desc, q.Limit = idx, "IDX", desc, limit
				want := tc.want
				if desc {
					want = reversed(want)
				}
				got, _ := queryAll(t, s, q)
				sameKeys(t, fmt.Sprintf("Query %+v", q), pks(got), want)
				for _, it := range got {
					if it.SK != "PROFILE" || string(it.Data) != "data-"+it.PK || it.Attrs["pk"] != it.PK || it.Version != 1 {
						t.Fatalf("index query returned %+v", it)
					}
				}
			}
		}
	}
	got, _ := queryAll(t, s, store.Query{Index: idx, PK: "IDXX"})
	sameKeys(t, "partition IDXX", pks(got), []string{"G#6"})
	got, _ = queryAll(t, s, store.Query{Index: idx, PK: "ID"})
	sameKeys(t, "partition ID", pks(got), []string{"G#7"})
	got, _ = queryAll(t, s, store.Query{Index: other, PK: "OTHER"})
	sameKeys(t, "other index", pks(got), []string{"G#1", "G#2", "G#3", "G#4", "G#5", "G#6", "G#7", "G#8"})
	got, _ = queryAll(t, s, store.Query{Index: other, PK: "IDX"})
	sameKeys(t, "other index by this index's key", pks(got), nil)
	got, _ = queryAll(t, s, store.Query{PK: "IDX"})
	sameKeys(t, "table by index key", pks(got), nil)
}

// testIndexMaintenance checks that writes move items in and out of both indexes.
func testIndexMaintenance(t *testing.T, s store.Store, clk *clock.Fake) {
	for _, idx := range []store.Index{store.GSI1, store.GSI2} {
		pk := "M" + string(idx)
		q := func(ipk string) []string {
			t.Helper()
			items, _ := queryAll(t, s, store.Query{Index: idx, PK: ipk})
			return sks(items)
		}
		for i, isk := range []string{"1", "2", "3", "4"} {
			it := store.Item{PK: pk, SK: "s" + strconv.Itoa(i+1), Attrs: map[string]string{"v": "0"}}
			setIndex(&it, idx, "IDX", isk)
			put(t, s, it)
		}
		put(t, s, store.Item{PK: pk, SK: "s5"})
		sameKeys(t, string(idx)+" start", q("IDX"), []string{"s1", "s2", "s3", "s4"})

		update(t, s, pk, "s2", indexUpdate(idx, store.IndexKey{}))
		sameKeys(t, string(idx)+" after removing s2's keys", q("IDX"), []string{"s1", "s3", "s4"})

		update(t, s, pk, "s3", indexUpdate(idx, store.IndexKey{PK: "IDX2", SK: "9"}))
		sameKeys(t, string(idx)+" after moving s3 out", q("IDX"), []string{"s1", "s4"})
		sameKeys(t, string(idx)+" s3 in its new partition", q("IDX2"), []string{"s3"})

		update(t, s, pk, "s1", indexUpdate(idx, store.IndexKey{PK: "IDX", SK: "5"}))
		sameKeys(t, string(idx)+" after changing s1's sort key", q("IDX"), []string{"s4", "s1"})

		// An update that leaves the index keys alone keeps the item in the index, changed.
		update(t, s, pk, "s4", store.Update{SetAttrs: map[string]string{"v": "1"}})
		items, _ := queryAll(t, s, store.Query{Index: idx, PK: "IDX"})
		if len(items) != 2 || items[0].SK != "s4" || items[0].Attrs["v"] != "1" || items[0].Version != 2 {
			t.Fatalf("%s after updating attrs: %+v", idx, items)
		}

		put(t, s, store.Item{PK: pk, SK: "s4"}) // Put without index keys leaves the index
		sameKeys(t, string(idx)+" after Put without keys", q("IDX"), []string{"s1"})

		it := store.Item{PK: pk, SK: "s5"}
		setIndex(&it, idx, "IDX", "0")
		put(t, s, it) // Put with index keys joins it
		sameKeys(t, string(idx)+" after Put with keys", q("IDX"), []string{"s5", "s1"})

		if err := s.Delete(t.Context(), pk, "s1"); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(t.Context(), pk, "s3"); err != nil {
			t.Fatal(err)
		}
		sameKeys(t, string(idx)+" after Delete", q("IDX"), []string{"s5"})
		sameKeys(t, string(idx)+" IDX2 after Delete", q("IDX2"), nil)

		_, err := s.Update(t.Context(), pk, "s5", indexUpdate(idx, store.IndexKey{PK: "IDX3", SK: "1"}), store.VersionIs(99))
		wantErr(t, "failed Update", err, store.ErrConditionFailed)
		sameKeys(t, string(idx)+" after failed Update", q("IDX"), []string{"s5"})
		sameKeys(t, string(idx)+" IDX3 after failed Update", q("IDX3"), nil)
	}
}

// testIndexEqualSortKeys pages through items that share one index sort key: their order is
// not specified, but each must come exactly once.
func testIndexEqualSortKeys(t *testing.T, s store.Store, clk *clock.Fake) {
	const n = 30
	want := make([]string, n)
	for i := range n {
		want[i] = fmt.Sprintf("P%02d", i)
		put(t, s, store.Item{PK: want[i], SK: "x", GSI1PK: "SAME", GSI1SK: "day"})
	}
	for _, desc := range []bool{false, true} {
		items, _ := queryAll(t, s, store.Query{Index: store.GSI1, PK: "SAME", Desc: desc, Limit: 7})
		got := pks(items)
		slices.Sort(got)
		sameKeys(t, fmt.Sprintf("equal sort keys, desc=%v", desc), got, want)
	}
}

// ---- pagination ----

func testPagination(t *testing.T, s store.Store, clk *clock.Fake) {
	const n = 250
	all := make([]string, n)
	for i := range n {
		all[i] = fmt.Sprintf("%04d", i)
	}
	// Written out of order, with neighbours on both sides of the partition.
	put(t, s, store.Item{PK: "O", SK: "9999"})
	put(t, s, store.Item{PK: "P0", SK: "0000"})
	put(t, s, store.Item{PK: "PAGED", SK: "0000"})
	for i := range n {
		j := (i * 7) % n // 7 and 250 are coprime: a permutation
		put(t, s, store.Item{PK: "P", SK: all[j], GSI2PK: "PAGED", GSI2SK: fmt.Sprintf("%04d", n-1-j), Data: []byte(all[j])})
	}

	for _, limit := range []int{1, 7, 50, 0, 249, 250, 1000} {
		for _, desc := range []bool{false, true} {
			want := all
			if desc {
				want = reversed(all)
			}
			q := store.Query{PK: "P", Limit: limit, Desc: desc}
			items, pages := queryAll(t, s, q)
			sameKeys(t, fmt.Sprintf("table %+v", q), sks(items), want)
			eff := limit
			if eff == 0 {
				eff = store.DefaultLimit
			}
			// Full pages; a last empty page is allowed when the items end on a page boundary.
			if full := (n + eff - 1) / eff; pages != full && pages != full+1 {
				t.Fatalf("table %+v: %d pages, want %d", q, pages, full)
			}
			for _, it := range items {
				if string(it.Data) != it.SK {
					t.Fatalf("item %s has data %q", it.SK, it.Data)
				}
			}

			// The index sort keys run the other way round.
			q = store.Query{Index: store.GSI2, PK: "PAGED", Limit: limit, Desc: desc}
			items, _ = queryAll(t, s, q)
			sameKeys(t, fmt.Sprintf("GSI2 %+v", q), sks(items), reversed(want))
		}
	}

	ranges := []struct {
		q    store.Query
		want []string
	}{
		{store.Query{Prefix: "01"}, all[100:200]},
		{store.Query{From: "0042", To: "0210"}, all[42:211]},
		{store.Query{From: "0042"}, all[42:]},
		{store.Query{To: "0042"}, all[:43]},
	}
	for _, r := range ranges {
		for _, desc := range []bool{false, true} {
			for _, limit := range []int{9, 13} {
				q := r.q
				q.PK, q.Desc, q.Limit = "P", desc, limit
				want := r.want
				if desc {
					want = reversed(want)
				}
				items, _ := queryAll(t, s, q)
				sameKeys(t, fmt.Sprintf("range %+v", q), sks(items), want)
			}
		}
	}
}

// testCursorAfterChanges continues a query after the items around its cursor were deleted and
// others inserted: it resumes after the cursor's position, not after an item.
func testCursorAfterChanges(t *testing.T, s store.Store, clk *clock.Fake) {
	for _, idx := range []store.Index{store.Table, store.GSI1} {
		for _, desc := range []bool{false, true} {
			pk := fmt.Sprintf("CUR-%s-%v", idx, desc)
			write := func(sk string) {
				put(t, s, store.Item{PK: pk, SK: sk, GSI1PK: pk, GSI1SK: sk})
			}
			var all []string
			for i := range 30 {
				all = append(all, fmt.Sprintf("%04d", i))
				write(all[i])
			}
			q := store.Query{Index: idx, PK: pk, Limit: 10, Desc: desc}
			p, err := s.Query(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			order := all
			if desc {
				order = reversed(all)
			}
			sameKeys(t, "first page", sks(p.Items), order[:10])
			if p.Next == "" {
				t.Fatal("first page has no Next")
			}
			// Delete the last item returned and the first one not yet returned; insert one
			// before and one after the cursor.
			for _, sk := range []string{order[9], order[10]} {
				if err := s.Delete(t.Context(), pk, sk); err != nil {
					t.Fatal(err)
				}
			}
			before, after := order[4]+"x", order[14]+"x"
			write(before)
			write(after)

			want := slices.Clone(order[11:])
			want = append(want, after)
			slices.Sort(want)
			if desc {
				want = reversed(want)
			}
			q.Cursor = p.Next
			items, _ := queryAll(t, s, q)
			sameKeys(t, fmt.Sprintf("rest after changes %+v", q), sks(items), want)
		}
	}
	_, err := s.Query(t.Context(), store.Query{PK: "CUR", Cursor: "!!! not a cursor !!!"})
	wantErr(t, "Query with a garbage cursor", err, store.ErrInvalid)
}

// ---- expiry ----

func testExpiry(t *testing.T, s store.Store, clk *clock.Fake) {
	// Epoch is 09:00:00.25; the item expires at 09:01:00.25, stored as 09:01:00.
	exp := clk.Now().Add(time.Minute)
	it := put(t, s, store.Item{PK: "E", SK: "1", GSI1PK: "EI", GSI1SK: "1", GSI2PK: "EJ", GSI2SK: "1", Data: []byte("doomed"), ExpiresAt: exp})
	put(t, s, store.Item{PK: "E", SK: "2", GSI1PK: "EI", GSI1SK: "2", GSI2PK: "EJ", GSI2SK: "2", ExpiresAt: exp.Add(time.Second)})
	put(t, s, store.Item{PK: "E", SK: "3", GSI1PK: "EI", GSI1SK: "3", GSI2PK: "EJ", GSI2SK: "3"})
	visible := func(what string, want ...string) {
		t.Helper()
		for _, idx := range []store.Index{store.Table, store.GSI1, store.GSI2} {
			pk := map[store.Index]string{store.Table: "E", store.GSI1: "EI", store.GSI2: "EJ"}[idx]
			for _, desc := range []bool{false, true} {
				items, _ := queryAll(t, s, store.Query{Index: idx, PK: pk, Desc: desc})
				w := want
				if desc {
					w = reversed(want)
				}
				sameKeys(t, fmt.Sprintf("%s: query %q desc=%v", what, idx, desc), sks(items), w)
			}
		}
	}

	clk.Advance(59*time.Second + 500*time.Millisecond) // 09:00:59.75
	sameItem(t, "Get just before expiry", get(t, s, "E", "1"), it)
	visible("before expiry", "1", "2", "3")

	clk.Advance(250 * time.Millisecond) // 09:01:00.00: expired, the fraction was not kept
	absent(t, s, "E", "1")
	visible("at expiry", "2", "3")

	clk.Advance(time.Second)
	absent(t, s, "E", "2")
	visible("after second expiry", "3")

	// An item put already expired is never seen.
	put(t, s, store.Item{PK: "E", SK: "4", GSI1PK: "EI", GSI1SK: "4", GSI2PK: "EJ", GSI2SK: "4", ExpiresAt: clk.Now().Add(-time.Hour)})
	absent(t, s, "E", "4")
	visible("after putting an expired item", "3")

	// Writing over an expired item: it was absent, so NotExists holds, and the version goes on
	// from the stored one (a stale VersionIs cannot match the new item).
	got := put(t, s, store.Item{PK: "E", SK: "1", Data: []byte("reborn")}, store.NotExists())
	if got.Version != it.Version+1 {
		t.Fatalf("Put over expired item: Version %d, want %d", got.Version, it.Version+1)
	}
	sameItem(t, "Get reborn item", get(t, s, "E", "1"), got)
	// The new item has no index keys: the expired one's index entries must not come back.
	for _, idx := range []store.Index{store.GSI1, store.GSI2} {
		pk := map[store.Index]string{store.GSI1: "EI", store.GSI2: "EJ"}[idx]
		items, _ := queryAll(t, s, store.Query{Index: idx, PK: pk})
		sameKeys(t, "index after rebirth", sks(items), []string{"3"})
	}
	items, _ := queryAll(t, s, store.Query{PK: "E"})
	sameKeys(t, "table after rebirth", sks(items), []string{"1", "3"})
}

func testExpiryConditions(t *testing.T, s store.Store, clk *clock.Fake) {
	ctx := t.Context()
	exp := clk.Now().Add(10 * time.Second)
	var olds []store.Item
	for i := range 4 {
		olds = append(olds, put(t, s, store.Item{PK: "X", SK: strconv.Itoa(i), Attrs: map[string]string{"state": "new"}, ExpiresAt: exp}))
	}
	clk.Advance(10 * time.Second)
	old := olds[0]
	d := []byte("x")
	for _, c := range [][]store.Cond{
		{store.Exists()}, {store.AttrEquals("state", "new")}, {store.VersionIs(old.Version)},
	} {
		_, err := s.Put(ctx, store.Item{PK: "X", SK: "0", Data: d}, c...)
		wantErr(t, "Put with a condition on an expired item", err, store.ErrConditionFailed)
		wantErr(t, "Delete with a condition on an expired item", s.Delete(ctx, "X", "0", c...), store.ErrConditionFailed)
	}
	_, err := s.Update(ctx, "X", "0", store.Update{Data: &d})
	wantErr(t, "Update of an expired item", err, store.ErrNotFound)
	absent(t, s, "X", "0")

	// Without conditions, Delete of an expired item succeeds, and it stays gone.
	if err := s.Delete(ctx, "X", "1"); err != nil {
		t.Fatalf("Delete expired: %v", err)
	}
	absent(t, s, "X", "1")
	// Plain Put over an expired item writes a live one.
	got := put(t, s, store.Item{PK: "X", SK: "2", Data: d})
	if got.Version <= 0 || len(got.Attrs) != 0 {
		t.Fatalf("Put over expired: %+v", got)
	}
	sameItem(t, "Get after Put over expired", get(t, s, "X", "2"), got)
	// Racing NotExists over an expired item still has exactly one winner.
	winners := race(t, 20, func(i int) error {
		_, err := s.Put(ctx, store.Item{PK: "X", SK: "3", Data: []byte(strconv.Itoa(i))}, store.NotExists())
		return err
	})
	if len(winners) != 1 {
		t.Fatalf("NotExists over expired item: %d winners", len(winners))
	}
}

func testExpiryUpdate(t *testing.T, s store.Store, clk *clock.Fake) {
	put(t, s, store.Item{PK: "EU", SK: "1", GSI1PK: "I", GSI1SK: "1", ExpiresAt: clk.Now().Add(10 * time.Second)})
	later := clk.Now().Add(time.Hour)
	got := update(t, s, "EU", "1", store.Update{ExpiresAt: &later})
	if !got.ExpiresAt.Equal(sec(later)) {
		t.Fatalf("ExpiresAt = %v, want %v", got.ExpiresAt, sec(later))
	}
	clk.Advance(30 * time.Second)
	get(t, s, "EU", "1")
	items, _ := queryAll(t, s, store.Query{Index: store.GSI1, PK: "I"})
	sameKeys(t, "index after extending expiry", sks(items), []string{"1"})

	soon := clk.Now().Add(5 * time.Second)
	update(t, s, "EU", "1", store.Update{ExpiresAt: &soon})
	clk.Advance(5 * time.Second)
	absent(t, s, "EU", "1")
	items, _ = queryAll(t, s, store.Query{Index: store.GSI1, PK: "I"})
	sameKeys(t, "index after shortening expiry", sks(items), nil)
}

func testExpiryPagination(t *testing.T, s store.Store, clk *clock.Fake) {
	const n = 40
	var live []string
	for i := range n {
		sk := fmt.Sprintf("%02d", i)
		it := store.Item{PK: "EP", SK: sk, GSI1PK: "EPI", GSI1SK: sk}
		switch i % 3 {
		case 0:
			it.ExpiresAt = clk.Now().Add(10 * time.Second)
		case 1:
			it.ExpiresAt = clk.Now().Add(time.Hour)
			live = append(live, sk)
		default:
			live = append(live, sk)
		}
		put(t, s, it)
	}
	// Items 36..39 all expire too, so the partition ends with expired items.
	for i := 36; i < n; i++ {
		sk := fmt.Sprintf("%02d", i)
		put(t, s, store.Item{PK: "EP", SK: sk, GSI1PK: "EPI", GSI1SK: sk, ExpiresAt: clk.Now().Add(10 * time.Second)})
		live = slices.DeleteFunc(live, func(s string) bool { return s == sk })
	}
	clk.Advance(20 * time.Second)
	for _, idx := range []store.Index{store.Table, store.GSI1} {
		pk := map[store.Index]string{store.Table: "EP", store.GSI1: "EPI"}[idx]
		for _, desc := range []bool{false, true} {
			for _, limit := range []int{1, 2, 5} {
				want := live
				if desc {
					want = reversed(live)
				}
				q := store.Query{Index: idx, PK: pk, Desc: desc, Limit: limit}
				items, _ := queryAll(t, s, q)
				sameKeys(t, fmt.Sprintf("%+v", q), sks(items), want)
			}
		}
	}
}

// ---- validation ----

func testValidation(t *testing.T, s store.Store, clk *clock.Fake) {
	ctx := t.Context()
	over := make([]byte, store.MaxDataLen+1)
	manyAttrs := map[string]string{}
	for i := range store.MaxAttrs + 1 {
		manyAttrs["a"+strconv.Itoa(i)] = "v"
	}
	longKey := strings.Repeat("k", store.MaxKeyLen+1)
	puts := map[string]store.Item{
		"empty PK":              {PK: "", SK: "s"},
		"empty SK":              {PK: "V", SK: ""},
		"NUL in PK":             {PK: "V\x00", SK: "s"},
		"NUL in SK":             {PK: "V", SK: "a\x00b"},
		"NUL in GSI1PK":         {PK: "V", SK: "s", GSI1PK: "a\x00", GSI1SK: "b"},
		"NUL in GSI2SK":         {PK: "V", SK: "s", GSI2PK: "a", GSI2SK: "\x00"},
		"GSI1SK without GSI1PK": {PK: "V", SK: "s", GSI1SK: "b"},
		"GSI2PK without GSI2SK": {PK: "V", SK: "s", GSI2PK: "a"},
		"data over limit":       {PK: "V", SK: "s", Data: over},
		"too many attrs":        {PK: "V", SK: "s", Attrs: manyAttrs},
		"long attr value":       {PK: "V", SK: "s", Attrs: map[string]string{"a": strings.Repeat("v", store.MaxAttrLen+1)}},
		"empty attr name":       {PK: "V", SK: "s", Attrs: map[string]string{"": "v"}},
		"long PK":               {PK: longKey, SK: "s"},
		"long SK":               {PK: "V", SK: longKey},
		"PK not UTF-8":          {PK: "V\xff", SK: "s"},
	}
	for name, it := range puts {
		_, err := s.Put(ctx, it)
		wantErr(t, "Put with "+name, err, store.ErrInvalid)
		_, err = s.Put(ctx, it, store.NotExists())
		wantErr(t, "conditional Put with "+name, err, store.ErrInvalid)
	}
	absent(t, s, "V", "s")

	_, err := s.Get(ctx, "", "s")
	wantErr(t, "Get with empty PK", err, store.ErrInvalid)
	_, err = s.Get(ctx, "V", "a\x00")
	wantErr(t, "Get with NUL in SK", err, store.ErrInvalid)
	wantErr(t, "Delete with empty PK", s.Delete(ctx, "", "s"), store.ErrInvalid)
	wantErr(t, "Delete with NUL in PK", s.Delete(ctx, "\x00", "s"), store.ErrInvalid)

	put(t, s, store.Item{PK: "V", SK: "u", Data: []byte("keep")})
	updates := map[string]store.Update{
		"data over limit":      {Data: &over},
		"GSI1 SK without PK":   {GSI1: &store.IndexKey{SK: "x"}},
		"NUL in GSI2 PK":       {GSI2: &store.IndexKey{PK: "a\x00", SK: "x"}},
		"too many attrs":       {SetAttrs: manyAttrs},
		"empty attr to remove": {RemoveAttrs: []string{""}},
		"long attr value":      {SetAttrs: map[string]string{"a": strings.Repeat("v", store.MaxAttrLen+1)}},
	}
	for name, u := range updates {
		_, err := s.Update(ctx, "V", "u", u)
		wantErr(t, "Update with "+name, err, store.ErrInvalid)
	}
	_, err = s.Update(ctx, "", "u", store.Update{})
	wantErr(t, "Update with empty PK", err, store.ErrInvalid)
	if got := get(t, s, "V", "u"); string(got.Data) != "keep" || got.Version != 1 {
		t.Fatalf("item changed by invalid updates: %+v", got)
	}

	queries := map[string]store.Query{
		"empty PK":        {},
		"NUL in PK":       {PK: "a\x00"},
		"prefix and from": {PK: "V", Prefix: "a", From: "a"},
		"prefix and to":   {PK: "V", Prefix: "a", To: "b"},
		"from after to":   {PK: "V", From: "b", To: "a"},
		"unknown index":   {PK: "V", Index: "GSI3"},
		"negative limit":  {PK: "V", Limit: -1},
		"NUL in prefix":   {PK: "V", Prefix: "a\x00"},
		"long from":       {PK: "V", From: longKey},
	}
	for name, q := range queries {
		_, err := s.Query(ctx, q)
		wantErr(t, "Query with "+name, err, store.ErrInvalid)
	}
}

// testLimits writes items right at the limits.
func testLimits(t *testing.T, s store.Store, clk *clock.Fake) {
	maxData := bytes.Repeat([]byte("дан"), store.MaxDataLen/len("дан"))
	maxData = append(maxData, bytes.Repeat([]byte{'x'}, store.MaxDataLen-len(maxData))...)
	key := strings.Repeat("я", store.MaxKeyLen/2) // 2 bytes each
	attrs := map[string]string{}
	for i := range store.MaxAttrs {
		attrs[fmt.Sprintf("attr%02d", i)] = strings.Repeat("в", store.MaxAttrLen/2)
	}
	items := []store.Item{
		{PK: "L", SK: "data", Data: maxData},
		{PK: key, SK: key},
		{PK: "L", SK: "index", GSI1PK: key, GSI1SK: key, GSI2PK: key, GSI2SK: key},
		{PK: "L", SK: "attrs", Attrs: attrs},
	}
	// Every field at its limit at once: what one adapter stores, the other must too.
	bigAttrs := map[string]string{}
	for i := range store.MaxAttrs {
		name := fmt.Sprintf("%02d", i) + strings.Repeat("n", store.MaxKeyLen-2)
		bigAttrs[name] = strings.Repeat("в", store.MaxAttrLen/2)
	}
	other := strings.Repeat("ю", store.MaxKeyLen/2) // keys of its own, apart from the queries below
	items = append(items, store.Item{PK: other, SK: other, GSI1PK: other, GSI1SK: other,
		GSI2PK: other, GSI2SK: other, Attrs: bigAttrs, Data: maxData})
	for _, in := range items {
		want := in
		want.Version = 1
		sameItem(t, "Put at limit", put(t, s, in), want)
		sameItem(t, "Get at limit", get(t, s, in.PK, in.SK), want)
	}
	got, _ := queryAll(t, s, store.Query{PK: key, Prefix: key})
	sameKeys(t, "query with longest keys", sks(got), []string{key})
	got, _ = queryAll(t, s, store.Query{Index: store.GSI2, PK: key, From: key, To: key})
	sameKeys(t, "index query with longest keys", sks(got), []string{"index"})

	// Update may not push an item over a limit either.
	extra := map[string]string{"one-more": "v"}
	_, err := s.Update(t.Context(), "L", "attrs", store.Update{SetAttrs: extra})
	wantErr(t, "Update past the attribute limit", err, store.ErrInvalid)
	sameItem(t, "item after refused Update", get(t, s, "L", "attrs"), store.Item{PK: "L", SK: "attrs", Attrs: attrs, Version: 1})

	// A page of the largest size.
	p, err := s.Query(t.Context(), store.Query{PK: "L", Limit: store.MaxQueryLimit + 1})
	if err != nil || len(p.Items) != 3 {
		t.Fatalf("Query with limit over MaxQueryLimit: %d items, %v", len(p.Items), err)
	}
}

// ---- tenants ----

func testTenant(t *testing.T, s store.Store, clk *clock.Fake) {
	ctx := t.Context()
	for _, bad := range []string{"", "Acme", "a_b", "-acme", "acme#1", "T#acme", strings.Repeat("a", 64), "акме"} {
		if v, err := store.ForTenant(s, bad); !errors.Is(err, store.ErrInvalid) || v != nil {
			t.Fatalf("ForTenant(%q) = %v, %v; want ErrInvalid", bad, v, err)
		}
	}
	tenant := func(id string) store.Store {
		v, err := store.ForTenant(s, id)
		if err != nil {
			t.Fatalf("ForTenant(%q): %v", id, err)
		}
		return v
	}
	acme, globex := tenant("acme"), tenant("globex-2")

	for _, tc := range []struct {
		v    store.Store
		data string
	}{{acme, "acme"}, {globex, "globex"}} {
		in := store.Item{PK: "GUEST#1", SK: "PROFILE", GSI1PK: "ROOM#101", GSI1SK: "2025", GSI2PK: "S", GSI2SK: "1", Data: []byte(tc.data)}
		want := in
		want.Version = 1
		sameItem(t, "tenant Put", put(t, tc.v, in, store.NotExists()), want)
	}
	for _, tc := range []struct {
		v    store.Store
		data string
	}{{acme, "acme"}, {globex, "globex"}} {
		want := store.Item{PK: "GUEST#1", SK: "PROFILE", GSI1PK: "ROOM#101", GSI1SK: "2025", GSI2PK: "S", GSI2SK: "1", Data: []byte(tc.data), Version: 1}
		sameItem(t, "tenant Get", get(t, tc.v, "GUEST#1", "PROFILE"), want)
		for _, q := range []store.Query{
			{PK: "GUEST#1"}, {Index: store.GSI1, PK: "ROOM#101"}, {Index: store.GSI2, PK: "S", Prefix: "1"},
		} {
			items, _ := queryAll(t, tc.v, q)
			if len(items) != 1 {
				t.Fatalf("tenant %s query %+v: %d items", tc.data, q, len(items))
			}
			sameItem(t, "tenant query", items[0], want)
		}
	}
	// The unscoped store does not see tenant items under the tenant's own keys.
	absent(t, s, "GUEST#1", "PROFILE")
	for _, q := range []store.Query{{PK: "GUEST#1"}, {Index: store.GSI1, PK: "ROOM#101"}} {
		items, _ := queryAll(t, s, q)
		sameKeys(t, "unscoped query", sks(items), nil)
	}
	// Another tenant starts empty.
	initech := tenant("initech")
	absent(t, initech, "GUEST#1", "PROFILE")
	put(t, initech, store.Item{PK: "GUEST#1", SK: "PROFILE", Data: []byte("initech")}, store.NotExists())
	_, err := acme.Put(ctx, store.Item{PK: "GUEST#1", SK: "PROFILE"}, store.NotExists())
	wantErr(t, "NotExists in a tenant that has the item", err, store.ErrConditionFailed)

	got := update(t, acme, "GUEST#1", "PROFILE", store.Update{GSI1: &store.IndexKey{PK: "ROOM#202", SK: "2025"}}, store.VersionIs(1))
	if got.GSI1PK != "ROOM#202" || got.PK != "GUEST#1" {
		t.Fatalf("tenant Update returned %+v", got)
	}
	items, _ := queryAll(t, globex, store.Query{Index: store.GSI1, PK: "ROOM#101"})
	sameKeys(t, "globex index after acme's update", pks(items), []string{"GUEST#1"})
	items, _ = queryAll(t, globex, store.Query{Index: store.GSI1, PK: "ROOM#202"})
	sameKeys(t, "globex sees no acme index entry", pks(items), nil)

	if err := acme.Delete(ctx, "GUEST#1", "PROFILE"); err != nil {
		t.Fatal(err)
	}
	absent(t, acme, "GUEST#1", "PROFILE")
	if g := get(t, globex, "GUEST#1", "PROFILE"); string(g.Data) != "globex" {
		t.Fatalf("globex item after acme's delete: %+v", g)
	}

	// Paging through a tenant view.
	var want []string
	for i := range 12 {
		sk := fmt.Sprintf("%02d", i)
		want = append(want, sk)
		put(t, acme, store.Item{PK: "LIST", SK: sk})
		put(t, globex, store.Item{PK: "LIST", SK: sk + "g"})
	}
	items, _ = queryAll(t, acme, store.Query{PK: "LIST", Limit: 5})
	sameKeys(t, "paging in a tenant", sks(items), want)
	for _, it := range items {
		if it.PK != "LIST" {
			t.Fatalf("tenant query returned PK %q", it.PK)
		}
	}
	_, err = acme.Get(ctx, "", "x")
	wantErr(t, "tenant Get with empty PK", err, store.ErrInvalid)
	_, err = acme.Query(ctx, store.Query{})
	wantErr(t, "tenant Query with empty PK", err, store.ErrInvalid)
}

// ---- Mutate ----

func testMutate(t *testing.T, s store.Store, clk *clock.Fake) {
	ctx := t.Context()
	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := store.Mutate(ctx, s, "CNT", "1", func(cur *store.Item) (store.Item, error) {
				count := 0
				if cur != nil {
					c, err := strconv.Atoi(string(cur.Data))
					if err != nil {
						return store.Item{}, err
					}
					count = c
				}
				return store.Item{Attrs: map[string]string{"kind": "counter"}, Data: []byte(strconv.Itoa(count + 1))}, nil
			})
			if err != nil {
				t.Errorf("Mutate: %v", err)
			}
		})
	}
	wg.Wait()
	got := get(t, s, "CNT", "1")
	if string(got.Data) != strconv.Itoa(n) || got.Version != n || got.Attrs["kind"] != "counter" {
		t.Fatalf("counter after %d increments: data %q, version %d, attrs %v", n, got.Data, got.Version, got.Attrs)
	}

	// An error from fn stops Mutate and writes nothing.
	stop := errors.New("stop")
	_, err := store.Mutate(ctx, s, "CNT", "1", func(cur *store.Item) (store.Item, error) { return store.Item{}, stop })
	wantErr(t, "Mutate with failing fn", err, stop)
	if g := get(t, s, "CNT", "1"); g.Version != n {
		t.Fatalf("Mutate with failing fn wrote version %d", g.Version)
	}
}
