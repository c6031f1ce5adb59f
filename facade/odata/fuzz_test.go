package odata

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/stykovka/stykovka/internal/apperr"
)

// fuzzSet is a document set with every kind of property, for the parsers.
func fuzzSet(t testing.TB) *entitySet {
	sets, _, err := compile([]*EntitySet{{
		Name: "Document_Fuzz",
		Kind: Document,
		Properties: []Property{
			Ref("Organization", "Document_Fuzz"),
			{Name: "Сумма", Type: EdmDecimal},
			{Name: "Count", Type: EdmInt64},
			{Name: "Small", Type: EdmInt16},
			{Name: "Ratio", Type: EdmDouble},
			{Name: "Secret", Type: EdmString, WriteOnly: true, MaxLength: 10},
		},
		TabularParts: []TabularPart{{Name: "Rows", Properties: []Property{{Name: "Qty", Type: EdmInt32}}}},
		Indexes:      []Index{{Name: "n", Property: "Number", Eq: true, Prefix: true, Range: true}},
		Source:       nopSource{},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return sets["Document_Fuzz"]
}

// nopSource lets the registration compile; the fuzz targets never read through it.
type nopSource struct{}

func (nopSource) Get(context.Context, string, Key) (Entity, error) { return Entity{}, nil }
func (nopSource) List(context.Context, string, ListRequest) (ListPage, error) {
	return ListPage{}, nil
}

var fuzzEntity = Entity{
	"Ref_Key": NewGUID(), "Number": "СЧ-0001", "Date": time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC),
	"Posted": true, "Сумма": decimal.RequireFromString("1234.56"), "Count": int64(7), "Small": int64(-3),
	"Ratio": 0.5, "Description": nil,
}

func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		"Description eq 'ООО «Ромашка»'",
		"Ref_Key eq guid'6f1d3c1e-8a59-4d4e-9a53-1c2b3d4e5f60' and Posted eq true",
		"Number ge 'A' and Number lt 'B' or not (Сумма add 1 gt 10.5M)",
		"substringof('Ром', Number) and startswith(Number,'С') and endswith(Number, '1')",
		"like(Number, '[А-Я]%_[^0]') eq true",
		"year(Date) eq 2025 and month(Date) le 12 and day(Date) ge 1 and hour(Date) eq 9 and minute(Date) eq 30 and second(Date) eq 0",
		"Date gt datetime'2025-01-01T00:00:00' and Date lt datetimeoffset'2026-01-01T00:00:00Z'",
		"Count mul 2 sub 1 div 0 eq null",
		"-Small lt 5 and Ratio ge 1e-3d and Count eq 7L",
		"tolower(Number) eq 'x'",
		"Organization/Description eq 'x'",
		"((((Posted))))",
		"Number eq 'it''s'",
		"X'00' eq null",
	} {
		f.Add(s)
	}
	set := fuzzSet(f)
	f.Fuzz(func(t *testing.T, src string) {
		e, serr := parseFilter(src, set.typ)
		if serr != nil {
			if serr.msg == "" || serr.pos < 1 {
				t.Fatalf("error without message or position: %+v", serr)
			}
			return
		}
		if e.kind() != kBool {
			t.Fatalf("non-boolean filter accepted: %q", src)
		}
		_ = eval(e, fuzzEntity)
		_ = makePlan(set, &query{filter: e, top: -1})
	})
}

func FuzzKey(f *testing.F) {
	for _, s := range []string{
		"guid'6f1d3c1e-8a59-4d4e-9a53-1c2b3d4e5f60'",
		"Ref_Key=guid'6f1d3c1e-8a59-4d4e-9a53-1c2b3d4e5f60'",
		"Ref_Key=guid'6f1d3c1e-8a59-4d4e-9a53-1c2b3d4e5f60',LineNumber=2",
		"LineNumber=-1,Ref_Key='6f1d3c1e-8a59-4d4e-9a53-1c2b3d4e5f60'",
		"Period=datetime'2025-01-31T00:00:00',Currency='USD'",
		"'it''s'", "", "=,", "guid'",
	} {
		f.Add(s)
	}
	set := fuzzSet(f)
	rows := set.typ.tabs[0].set
	reg, _, err := compile([]*EntitySet{{
		Name: "InformationRegister_Rates", Kind: InformationRegister, Key: []string{"Period", "Currency"},
		Properties: []Property{{Name: "Period", Type: EdmDateTime}, {Name: "Currency", Type: EdmString}},
		Source:     nopSource{},
	}})
	if err != nil {
		f.Fatal(err)
	}
	types := []*etype{set.typ, rows.typ, reg["InformationRegister_Rates"].typ}
	f.Fuzz(func(t *testing.T, src string) {
		for _, typ := range types {
			k, serr := parseKey(src, typ)
			if serr != nil {
				continue
			}
			if len(k) != len(typ.keys) {
				t.Fatalf("%q: key %v for %d properties", src, k, len(typ.keys))
			}
			// What the hub writes in links reads back as the same key.
			path := keyPath(typ, k)
			k2, serr := parseKey(path[1:len(path)-1], typ)
			if serr != nil || keyPath(typ, k2) != path {
				t.Fatalf("%q → %s does not round-trip: %v", src, path, serr)
			}
		}
	})
}

func FuzzDecodeEntity(f *testing.F) {
	for _, s := range []string{
		`{"Number":"СЧ-1","Date":"2025-03-14T09:30:00","Сумма":"10.5","Count":"7","Small":-3,"Ratio":1.5}`,
		`{"Ref_Key":"6f1d3c1e-8a59-4d4e-9a53-1c2b3d4e5f60","Organization_Key":"00000000-0000-0000-0000-000000000000"}`,
		`{"Rows":[{"LineNumber":"1","Qty":2},{"Qty":"3"}],"odata.metadata":"x","Organization@navigationLinkUrl":"y"}`,
		`{"Secret":"0123456789A"}`, `{"Posted":true,"DataVersion":"AAAAAAAAAAE="}`,
		`{"Date":"2025-03-14T09:30:00+03:00","Count":1e3}`, `[]`, `null`, `{"Count":1e999999}`,
		`{"Organization":{"Description":"x"}}`, `{"Small":40000}`,
	} {
		f.Add([]byte(s))
	}
	set := fuzzSet(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := decodeEntity(data, set.typ)
		if err != nil {
			return
		}
		for name, v := range e {
			p := set.typ.all[name]
			if p == nil {
				if _, ok := v.([]Entity); !ok {
					t.Fatalf("unknown property %q decoded", name)
				}
				continue
			}
			if p.ReadOnly {
				t.Fatalf("read-only %q decoded", name)
			}
			if v != nil && normalize(v).k != kindOf(p.Type) {
				t.Fatalf("%q decoded as %T", name, v)
			}
		}
	})
}

func FuzzQueryOptions(f *testing.F) {
	for _, s := range []string{
		"$format=json&$filter=Number%20eq%20'%D0%A1%D0%A7'&$select=Ref_Key,Number",
		"$inlinecount=allpages&$top=10&$skip=10&$orderby=Date%20desc,Number&$expand=Organization,Rows",
		"$format=application/json;odata=nometadata&allowedOnly=true",
		"$skiptoken=eyJxIjoieCJ9", "$top=-1", "%zz", "$select=*", "$expand=Number",
	} {
		f.Add(s)
	}
	set := fuzzSet(f)
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := parseQueryString(raw)
		if err != nil {
			return
		}
		negotiate(q, "application/json;odata=fullmetadata, application/xml")
		pq, err := parseQuery(q, set)
		if err != nil {
			return
		}
		if pq.top < -1 || pq.skip < 0 {
			t.Fatalf("negative paging: %+v", pq)
		}
		if pq.skiptoken != "" {
			_, _ = parseToken(pq.skiptoken)
		}
		_ = makePlan(set, pq)
	})
}

// nopRegister lets registers with every virtual table compile.
type nopRegister struct{ nopSource }

func (nopRegister) SliceLast(context.Context, string, SliceRequest) ([]Entity, error) {
	return nil, nil
}
func (nopRegister) SliceFirst(context.Context, string, SliceRequest) ([]Entity, error) {
	return nil, nil
}
func (nopRegister) Balance(context.Context, string, BalanceRequest) ([]Entity, error) {
	return nil, nil
}
func (nopRegister) Turnovers(context.Context, string, TurnoversRequest) ([]Entity, error) {
	return nil, nil
}
func (nopRegister) BalanceAndTurnovers(context.Context, string, TurnoversRequest) ([]Entity, error) {
	return nil, nil
}

// fuzzRegisters are an information register with slices and an accumulation register with
// balances and turnovers.
func fuzzRegisters(t testing.TB) (info, acc *entitySet) {
	props := []Property{
		{Name: "Period", Type: EdmDateTime}, {Name: "Asset_Key", Type: EdmGuid},
		{Name: "Status", Type: EdmString}, {Name: "Amount", Type: EdmDecimal},
	}
	sets, _, err := compile([]*EntitySet{{
		Name: "InformationRegister_Fuzz", Kind: InformationRegister, Key: []string{"Period", "Asset_Key"},
		Properties: props, Dimensions: []string{"Asset_Key"},
		Indexes:       []Index{{Name: "asset", Property: "Asset_Key", Eq: true}},
		VirtualTables: []VirtualTable{VirtualSliceLast, VirtualSliceFirst}, Source: nopRegister{},
	}, {
		Name: "AccumulationRegister_Fuzz", Kind: AccumulationRegister, Key: []string{"Period", "Asset_Key"},
		Properties: props, Dimensions: []string{"Asset_Key", "Status"}, Resources: []string{"Amount"},
		VirtualTables: []VirtualTable{VirtualBalance, VirtualTurnovers, VirtualBalanceAndTurnovers}, Source: nopRegister{},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return sets["InformationRegister_Fuzz"], sets["AccumulationRegister_Fuzz"]
}

var fuzzRecord = Entity{
	"Period": time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), "Asset_Key": NewGUID(), "Status": "В лизинге",
	"Amount": decimal.RequireFromString("10.5"),
}

// FuzzFunctionCall feeds the parsers of a virtual-table call — the path after the set and the
// query string — with outside input.
func FuzzFunctionCall(f *testing.F) {
	g := "6f1d3c1e-8a59-4d4e-9a53-1c2b3d4e5f60"
	for _, s := range [][2]string{
		{"SliceLast()", ""},
		{"SliceLast", "$format=json"},
		{"SliceLast(Period=datetime'2025-03-01T00:00:00')", "$format=json&$top=1"},
		{"SliceLast(Period=datetime'2025-03-01T00:00:00', Condition='Asset_Key eq guid''" + g + "''')", "$select=Status"},
		{"SliceFirst(Condition='Asset_Key eq guid''" + g + "'' or Asset_Key eq guid''" + g + "''')/$count", ""},
		{"SliceLast", "Period=datetime%272025-03-01T00%3A00%3A00%27&Condition=Asset_Key%20eq%20guid%27" + g + "%27"},
		{"SliceLast()", "Condition=%27Status%20eq%20%27%27x%27%27%27"},
		{"Balance(Period=datetime'2025-01-01T00:00:00',Dimensions='Asset_Key,Status',Condition='Status eq ''a)b''')", ""},
		{"Turnovers(StartPeriod=datetime'2025-01-01T00:00:00',EndPeriod=null)", ""},
		{"BalanceAndTurnovers(Condition='Asset/Description eq ''x''')", ""},
		{"SliceLast(Period='garbage'", ""}, {"SliceLast(Foo=1,Foo=2)", ""}, {"SliceLast()/x", ""},
		{"SliceLast(Condition='unclosed)", ""}, {"Balance(Condition=(1))", "Condition=%zz"},
	} {
		f.Add(s[0], s[1])
	}
	info, acc := fuzzRegisters(f)
	f.Fuzz(func(t *testing.T, rest, rawQuery string) {
		name, args, _, err := splitCall(rest)
		if err != nil {
			if c := apperr.As(err).Code; c != "ODATA_PARAMETER" && c != "ODATA_PATH" {
				t.Fatalf("%q: unexpected error %v", rest, err)
			}
			return
		}
		if !strings.HasPrefix(rest, name) || len(args) > len(rest) {
			t.Fatalf("%q split into %q, %q", rest, name, args)
		}
		vt := VirtualTable(name)
		set := info
		if vtResult[vt] != "" {
			set = acc
		} else if _, ok := vtParams[vt]; !ok {
			return
		}
		q, qerr := parseQueryString(rawQuery)
		if qerr != nil {
			q = url.Values{}
		}
		a, err := readArgs(q, vt, args)
		if err != nil {
			if c := apperr.As(err).Code; c != "ODATA_PARAMETER" {
				t.Fatalf("%q: unexpected error %v", args, err)
			}
			return
		}
		if a.condition == "" {
			return
		}
		if e, serr := parseFilter(a.condition, set.vt.cond); serr == nil {
			fl := &Filter{e: e}
			_ = fl.Match(fuzzRecord)
			if vals, ok := fl.Values("Asset_Key"); ok {
				for _, v := range vals {
					if _, ok := v.(GUID); !ok {
						t.Fatalf("%q: value %#v of Asset_Key", a.condition, v)
					}
				}
			}
			_ = makePlan(set, &query{filter: e, top: -1})
		}
		// The Condition written back as a string literal reads back the same.
		lit := "(Condition='" + strings.ReplaceAll(a.condition, "'", "''") + "')"
		if len(lit) > maxExprLen || !utf8.ValidString(lit) {
			return
		}
		_, args2, _, err := splitCall(name + lit)
		if err != nil {
			t.Fatalf("%q: %v", lit, err)
		}
		a2, err := readArgs(url.Values{}, vt, args2)
		if err != nil || a2.condition != a.condition {
			t.Fatalf("%q does not round-trip: %q %v", a.condition, a2.condition, err)
		}
	})
}

func TestLikeRegexp(t *testing.T) {
	for pat, cases := range map[string]map[string]bool{
		"%Ром_шка%": {"ООО Ромашка": true, "Ромушка»": true, "Ромшка": false},
		"[А-В]%":    {"Бета": true, "Гамма": false},
		"[^0-9]_":   {"a1": true, "11": false},
		"a.b*":      {"a.b*": true, "axbb": false},
		"[-]":       {"-": true, "a": false},
	} {
		re, msg := likeRegexp(pat)
		if msg != "" {
			t.Fatalf("%s: %s", pat, msg)
		}
		for s, want := range cases {
			if re.MatchString(s) != want {
				t.Errorf("like(%q, %q) = %v", s, pat, !want)
			}
		}
	}
	for _, bad := range []string{"[abc", "[]"} {
		if _, msg := likeRegexp(bad); msg == "" {
			t.Errorf("%q accepted", bad)
		}
	}
}
