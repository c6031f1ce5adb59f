package odata_test

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/facade/odata"
)

const (
	assetA = "11111111-1111-4111-8111-111111111111"
	assetB = "22222222-2222-4222-8222-222222222222"
	assetC = "33333333-3333-4333-8333-333333333333"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// seedStatuses fills the asset-status register (the clock is 2025-03-14):
//
//	A: 2025-01-10 owned (Z-1), 2025-03-01 leased (Z-2), 2026-01-01 owned (Z-3, future-dated)
//	B: 2025-02-01 leased (Z-4), 2025-03-05 owned (Z-5)
//	C: 2025-04-01 leased (Z-6)
//
// and, for the other tenant, A: 2025-01-01 leased (Y-1).
func (e *env) seedStatuses() {
	e.putStatus("hotel-a", assetA, day(2025, 1, 10), "В собственности", "Z-1")
	e.putStatus("hotel-a", assetA, day(2025, 3, 1), "В лизинге", "Z-2")
	e.putStatus("hotel-a", assetA, day(2026, 1, 1), "В собственности", "Z-3")
	e.putStatus("hotel-a", assetB, day(2025, 2, 1), "В лизинге", "Z-4")
	e.putStatus("hotel-a", assetB, day(2025, 3, 5), "В собственности", "Z-5")
	e.putStatus("hotel-a", assetC, day(2025, 4, 1), "В лизинге", "Z-6")
	e.putStatus("hotel-b", assetA, day(2025, 1, 1), "В лизинге", "Y-1")
}

// apps are the Application values of a collection, in order.
func apps(t *testing.T, m map[string]any) string {
	t.Helper()
	return strings.Join(names(t, m, "Application"), " ")
}

// call is a virtual-table URL as 1C's HTTPСоединение sends it: the parameters percent-encoded
// (quotes and parentheses included), the doubled quotes of a string literal kept.
func call(set, fn, params string) string {
	return base + set + "/" + fn + "(" + url.PathEscape(params) + ")"
}

// reads runs fn and returns how many items it read from the store.
func (e *env) reads(fn func()) int64 {
	before := e.count.items.Load()
	fn()
	return e.count.items.Load() - before
}

func TestONEC15_VirtualTablesSliceLast(t *testing.T) {
	e := vtEnv(t, nil)
	e.seedStatuses()
	set := base + assetStatuses

	// Without Period: the latest record of every asset, future-dated ones included, as 1C's
	// slice "по самым последним записям"; rows ordered by the dimension.
	for _, path := range []string{set + "/SliceLast()?$format=json", set + "/SliceLast?$format=json"} {
		m := e.get(path)
		if got := apps(t, m); got != "Z-3 Z-5 Z-6" {
			t.Fatalf("%s: %s", path, got)
		}
		if m["odata.metadata"] != e.srv.URL+base+"$metadata#"+assetStatuses {
			t.Errorf("odata.metadata %v", m["odata.metadata"])
		}
		row := values(t, m)[0]
		if row["Asset_Key"] != assetA || row["Period"] != "2026-01-01T00:00:00" || row["Status"] != "В собственности" {
			t.Errorf("row %v", row)
		}
	}

	// With Period: the record in force at that moment; a record at exactly Period counts.
	for params, want := range map[string]string{
		"Period=datetime'2025-03-01T00:00:00'":             "Z-2 Z-4",
		"Period=datetime'2025-02-28T23:59:59'":             "Z-1 Z-4",
		"Period=datetime'2025-03-14T10:00:00'":             "Z-2 Z-5",
		"Period=datetime'2024-12-31T00:00:00'":             "",
		"Period=datetime'2025-04-01T00:00'":                "Z-2 Z-5 Z-6",
		"Period=datetime'0001-01-01T00:00:00'":             "Z-3 Z-5 Z-6", // 1C's empty date: no bound
		"Period=datetimeoffset'2025-03-01T00:00:00+03:00'": "Z-2 Z-4",
	} {
		if got := apps(t, e.get(call(assetStatuses, "SliceLast", params)+"?$format=json")); got != want {
			t.Errorf("SliceLast(%s): %q, want %q", params, got, want)
		}
	}

	// Condition on the dimension, with the doubled quotes of a string literal, percent-encoded:
	// one store read (the asset's partition from Period backwards, first record).
	var m map[string]any
	n := e.reads(func() {
		m = e.get(call(assetStatuses, "SliceLast", "Period=datetime'2025-03-01T00:00:00', Condition='Asset_Key eq guid''"+assetA+"'''") + "?$format=json")
	})
	if got := apps(t, m); got != "Z-2" || n != 1 {
		t.Errorf("Condition on the asset: %q after %d reads", got, n)
	}
	// The same with only spaces encoded, and with the parameters in the query string as 1C's
	// documentation writes them (…/SliceLast?Condition=…).
	for _, path := range []string{
		set + "/SliceLast(Condition='Asset_Key%20eq%20guid''" + assetA + "''',Period=datetime'2025-03-01T00:00:00')?$format=json",
		set + "/SliceLast?$format=json&Period=" + url.QueryEscape("datetime'2025-03-01T00:00:00'") + "&Condition=" + url.QueryEscape("Asset_Key eq guid'"+assetA+"'"),
		set + "/SliceLast()?$format=json&Period=2025-03-01T00:00:00&Condition=" + url.QueryEscape("'Asset_Key eq guid''"+assetA+"'''"),
	} {
		if got := apps(t, e.get(path)); got != "Z-2" {
			t.Errorf("%s: %q", path, got)
		}
	}
	// An "or" of assets: one read per asset.
	n = e.reads(func() {
		m = e.get(call(assetStatuses, "SliceLast", "Condition='Asset_Key eq guid''"+assetC+"'' or Asset_Key eq guid''"+assetB+"'''") + "?$format=json")
	})
	if got := apps(t, m); got != "Z-5 Z-6" || n != 2 {
		t.Errorf("or of assets: %q after %d reads", got, n)
	}
	// Condition on a resource selects the records that take part in the slice (1C's Условие):
	// each asset's last leasing, not the leased among the last records.
	if got := apps(t, e.get(call(assetStatuses, "SliceLast", "Condition='Status eq ''В лизинге'''")+"?$format=json")); got != "Z-2 Z-4 Z-6" {
		t.Errorf("Condition on the status: %q", got)
	}
	// $filter applies after the slice.
	if got := apps(t, e.get(set+"/SliceLast()?$format=json&$filter="+url.QueryEscape("Status eq 'В лизинге'"))); got != "Z-6" {
		t.Errorf("$filter after the slice: %q", got)
	}

	// $select, $orderby, $top, $skip, $inlinecount and /$count on the slice.
	m = e.get(set + "/SliceLast()?$format=json&$select=Asset_Key,Status&$orderby=Period%20desc&$top=1&$inlinecount=allpages")
	vs := values(t, m)
	if m["odata.count"] != "3" || len(vs) != 1 || len(vs[0]) != 2 || vs[0]["Asset_Key"] != assetA || vs[0]["Status"] != "В собственности" {
		t.Errorf("select/orderby/top/inlinecount: %v", m)
	}
	if got := apps(t, e.get(set+"/SliceLast()?$format=json&$skip=1&$top=1")); got != "Z-5" {
		t.Errorf("skip/top: %q", got)
	}
	for path, want := range map[string]string{
		set + "/SliceLast()/$count": "3",
		set + "/SliceLast/$count?$filter=" + url.QueryEscape("Status eq 'В собственности'"):         "2",
		call(assetStatuses, "SliceLast", "Period=datetime'2025-03-01T00:00:00'") + "/$count":        "2",
		call(assetStatuses, "SliceFirst", "Period=datetime'2025-03-02T00:00:00'") + "/$count":       "3",
		call(assetStatuses, "SliceLast", "Condition='Asset_Key eq guid''"+assetC+"'''") + "/$count": "1",
	} {
		r := e.do("GET", path, "admin", nil)
		if r.status != 200 || string(r.body) != want || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
			t.Errorf("%s: %d %q", path, r.status, r.body)
		}
	}

	// A tenant sees only its own register.
	r := e.do("GET", set+"/SliceLast()?$format=json", "other", nil)
	if got := apps(t, r.json(t)); r.status != 200 || got != "Y-1" {
		t.Errorf("other tenant: %d %q", r.status, got)
	}

	// Atom by default: a feed of the register's entries, addressed by their keys.
	r = e.do("GET", call(assetStatuses, "SliceLast", "Period=datetime'2025-03-01T00:00:00'"), "admin", nil)
	var feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		Entries []struct {
			ID    string `xml:"id"`
			Props struct {
				Status string `xml:"http://schemas.microsoft.com/ado/2007/08/dataservices Status"`
			} `xml:"content>properties"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(r.body, &feed); err != nil || r.status != 200 ||
		!strings.HasPrefix(r.header.Get("Content-Type"), "application/atom+xml;type=feed") {
		t.Fatalf("atom: %d %v %s", r.status, err, r.body)
	}
	if len(feed.Entries) != 2 || feed.Entries[0].ID != e.srv.URL+base+assetStatuses+"(Period=datetime'2025-03-01T00:00:00',Asset_Key=guid'"+assetA+"')" ||
		feed.Entries[0].Props.Status != "В лизинге" {
		t.Errorf("atom feed: %+v", feed)
	}
	// The entry's address reads the record (PeriodicRegister.Get).
	rec := e.get(base + assetStatuses + "(Period=datetime'2025-03-01T00:00:00',Asset_Key=guid'" + assetA + "')?$format=json")
	if rec["Application"] != "Z-2" {
		t.Errorf("record by key: %v", rec)
	}
	if r := e.do("GET", base+assetStatuses+"(Period=datetime'2025-03-02T00:00:00',Asset_Key=guid'"+assetA+"')?$format=json", "admin", nil); r.status != 404 || errCode(t, r) != "9" {
		t.Errorf("missing record: %d %s", r.status, r.body)
	}
	// Lists of the register filtered by the asset read only that asset's records.
	n = e.reads(func() {
		m = e.get(set + "?$format=json&$filter=" + url.QueryEscape("Asset_Key eq guid'"+assetA+"'"))
	})
	if got := apps(t, m); got != "Z-1 Z-2 Z-3" || n != 3 {
		t.Errorf("list by asset: %q after %d reads", got, n)
	}
}

func TestONEC15_VirtualTablesSliceFirst(t *testing.T) {
	e := vtEnv(t, nil)
	e.seedStatuses()
	for params, want := range map[string]string{
		"":                                     "Z-1 Z-4 Z-6",
		"Period=datetime'2025-03-01T00:00:00'": "Z-2 Z-5 Z-6", // a record at exactly Period counts
		"Period=datetime'2025-03-06T00:00:00'": "Z-3 Z-6",
		"Period=datetime'2025-03-01T00:00:00',Condition='Asset_Key eq guid''" + assetB + "'''": "Z-5",
		"Condition='Status eq ''В собственности'''":                                            "Z-1 Z-5",
	} {
		if got := apps(t, e.get(call(assetStatuses, "SliceFirst", params)+"?$format=json")); got != want {
			t.Errorf("SliceFirst(%s): %q, want %q", params, got, want)
		}
	}
	// The slices of a register subordinate to a recorder are bound to its _RecordType set.
	if got := apps(t, e.get(base+"InformationRegister_StatusHistory_RecordType/SliceFirst()?$format=json")); got != "Z-1 Z-4 Z-6" {
		t.Errorf("_RecordType set: %q", got)
	}
}

// TestONEC15_VirtualTablesScanBound: a slice the Condition does not narrow to dimensions reads
// at most MaxScan records and is refused beyond; narrowed, it reads one record per asset.
func TestONEC15_VirtualTablesScanBound(t *testing.T) {
	const maxScan = 20
	e := vtEnv(t, func(o *odata.Options) { o.MaxScan = maxScan })
	for i := range 30 {
		e.putStatus("hotel-a", fmt.Sprintf("00000000-0000-4000-8000-%012d", i), day(2025, 1, 1+i%28), "В лизинге", fmt.Sprintf("A-%02d", i))
	}
	for _, params := range []string{"", "Condition='Status eq ''В лизинге'''", "Period=datetime'2025-02-01T00:00:00'"} {
		var r resp
		n := e.reads(func() { r = e.do("GET", call(assetStatuses, "SliceLast", params)+"?$format=json", "admin", nil) })
		if r.status != 400 || errCode(t, r) != "6" || !strings.Contains(string(r.body), "ODATA_SCAN_LIMIT") ||
			!strings.Contains(string(r.body), "Asset_Key") || n > maxScan {
			t.Errorf("SliceLast(%s): %d after %d reads: %s", params, r.status, n, r.body)
		}
	}
	var m map[string]any
	n := e.reads(func() {
		m = e.get(call(assetStatuses, "SliceLast", "Condition='Asset_Key eq guid''00000000-0000-4000-8000-000000000007'''") + "?$format=json")
	})
	if got := apps(t, m); got != "A-07" || n != 1 {
		t.Errorf("narrowed: %q after %d reads", got, n)
	}
}

func TestONEC15_VirtualTablesAccumulation(t *testing.T) {
	e := vtEnv(t, nil)
	const g1, g2 = "aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002"
	rec := func(i int) string { return fmt.Sprintf("bbbbbbbb-0000-4000-8000-%012d", i) }
	for _, m := range []movement{
		{rec(1), 1, day(2025, 1, 10), "Receipt", g1, "Север", "100"},
		{rec(1), 2, day(2025, 1, 10), "Receipt", g2, "Север", "50"},
		{rec(2), 1, day(2025, 2, 1), "Expense", g1, "Север", "30"},
		{rec(3), 1, day(2025, 3, 1), "Receipt", g1, "Юг", "20"},
		{rec(4), 1, day(2025, 3, 10), "Expense", g2, "Север", "50"},
	} {
		e.putMovement("hotel-a", m)
	}
	set := base + guestPoints
	rows := func(path string, props ...string) string {
		t.Helper()
		var out []string
		for _, v := range values(t, e.get(path)) {
			var parts []string
			for _, p := range props {
				s := fmt.Sprint(v[p])
				if strings.HasSuffix(p, "_Key") {
					s = s[len(s)-1:] // the guest's last digit
				}
				parts = append(parts, s)
			}
			out = append(out, strings.Join(parts, ":"))
		}
		return strings.Join(out, " ")
	}
	for path, want := range map[string]string{
		set + "/Balance()?$format=json": "1:Север:70 1:Юг:20", // g2's zero balance is left out
		call(guestPoints, "Balance", "Period=datetime'2025-03-01T00:00:00'") + "?$format=json":                    "1:Север:70 2:Север:50", // at the start of the moment
		call(guestPoints, "Balance", "Dimensions='Guest_Key'") + "?$format=json":                                  "1::90",
		call(guestPoints, "Balance", "Condition='Hotel eq ''Север'''") + "?$format=json":                          "1:Север:70",
		set + "/Balance?$format=json&$filter=" + url.QueryEscape("PointsBalance gt 50"):                           "1:Север:70",
		set + "/Balance?$format=json&Condition=" + url.QueryEscape("Guest_Key eq guid'"+g1+"' and Hotel eq 'Юг'"): "1:Юг:20",
	} {
		if got := rows(path, "Guest_Key", "Hotel", "PointsBalance"); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
	turn := call(guestPoints, "Turnovers", "StartPeriod=datetime'2025-02-01T00:00:00',EndPeriod=datetime'2025-03-10T23:59:59'") + "?$format=json"
	// A resource the source left out of a row is written as zero, as any property left out.
	if got := rows(turn, "Guest_Key", "Hotel", "PointsTurnover", "PointsReceipt", "PointsExpense"); got != "1:Север:-30:0:30 1:Юг:20:20:0 2:Север:-50:0:50" {
		t.Errorf("Turnovers: %q", got)
	}
	both := call(guestPoints, "BalanceAndTurnovers", "StartPeriod=datetime'2025-02-01T00:00:00',EndPeriod=datetime'2025-03-31T00:00:00'") + "?$format=json"
	if got := rows(both, "Guest_Key", "Hotel", "PointsOpeningBalance", "PointsReceipt", "PointsExpense", "PointsClosingBalance"); got != "1:Север:100:0:30:70 1:Юг:0:20:0:20 2:Север:50:0:50:0" {
		t.Errorf("BalanceAndTurnovers: %q", got)
	}

	// The rows are values of the complex type: the OData v3 collection shape, no links.
	m := e.get(set + "/Balance()?$format=json&$select=Guest_Key,PointsBalance&$inlinecount=allpages")
	if m["odata.metadata"] != e.srv.URL+base+"$metadata#Collection(StandardODATA."+guestPoints+"_Balance)" || m["odata.count"] != "2" {
		t.Errorf("complex collection: %v", m)
	}
	if v := values(t, m)[0]; len(v) != 2 || v["PointsBalance"] != "70" {
		t.Errorf("complex row: %v", v)
	}
	r := e.do("GET", set+"/Balance()", "admin", nil)
	var coll struct {
		XMLName  xml.Name `xml:"http://schemas.microsoft.com/ado/2007/08/dataservices Balance"`
		Type     string   `xml:"http://schemas.microsoft.com/ado/2007/08/dataservices/metadata type,attr"`
		Elements []struct {
			Hotel   string `xml:"http://schemas.microsoft.com/ado/2007/08/dataservices Hotel"`
			Balance string `xml:"http://schemas.microsoft.com/ado/2007/08/dataservices PointsBalance"`
		} `xml:"http://schemas.microsoft.com/ado/2007/08/dataservices element"`
	}
	if err := xml.Unmarshal(r.body, &coll); err != nil || r.status != 200 || coll.Type != "Collection(StandardODATA."+guestPoints+"_Balance)" ||
		len(coll.Elements) != 2 || coll.Elements[1].Hotel != "Юг" || coll.Elements[1].Balance != "20" {
		t.Errorf("atom complex collection: %d %v %s", r.status, err, r.body)
	}

	// 1C allows only dimensions in a balance's Condition; a register of turnovers has no Balance.
	for path, code := range map[string]string{
		call(guestPoints, "Balance", "Condition='Points gt 10'"):               "ODATA_CONDITION",
		call(guestPoints, "Balance", "Dimensions='Points'"):                    "ODATA_PARAMETER",
		call(guestPoints, "Turnovers", "Period=datetime'2025-01-01T00:00:00'"): "ODATA_PARAMETER",
		base + "AccumulationRegister_GuestVisits/Balance()":                    "ODATA_FUNCTION",
		base + guestPoints + "/SliceLast()":                                    "ODATA_FUNCTION",
		base + assetStatuses + "/Balance()":                                    "ODATA_FUNCTION",
	} {
		r := e.do("GET", path+"?$format=json", "admin", nil)
		if r.status != 400 || errCode(t, r) != "6" || !strings.Contains(string(r.body), code) {
			t.Errorf("%s: %d %s", path, r.status, r.body)
		}
	}
	if r := e.do("GET", call(guestPoints, "Balance", "Condition='Points gt 10'")+"?$format=json", "admin", nil); !strings.Contains(string(r.body), "допускаются только измерения: Guest_Key, Hotel") {
		t.Errorf("condition on a resource: %s", r.body)
	}
	// A register of turnovers has only turnovers (no receipts and expenses).
	if got := rows(base+"AccumulationRegister_GuestVisits/Turnovers()?$format=json", "Hotel", "PointsTurnover"); got != "Север:70 Юг:20 Север:0" {
		t.Errorf("register of turnovers: %q", got)
	}
}

func TestONEC15_VirtualTablesErrors(t *testing.T) {
	e := vtEnv(t, func(o *odata.Options) { o.MaxScan = 50 })
	e.seedStatuses()
	set := base + assetStatuses
	for _, c := range []struct {
		path   string
		status int
		code   string // 1C's
		hub    string
	}{
		// A virtual table the set does not publish: 400 and code 6, as 1C answers.
		{base + "InformationRegister_ExchangeRates/SliceLast()", 400, "6", "ODATA_FUNCTION"},
		{base + "Catalog_LegalEntities/SliceFirst(Period=datetime'2025-01-01T00:00:00')", 400, "6", "ODATA_FUNCTION"},
		{base + "Document_GuestInvoice_Items/SliceLast()", 400, "6", "ODATA_FUNCTION"},
		// A function 1C does not have is not a virtual table: the address is wrong.
		{set + "/SliceMiddle()", 404, "9", "ODATA_PATH"},
		{set + "/SliceLast()/Nope", 404, "9", "ODATA_PATH"},
		// Malformed parameters.
		{set + "/SliceLast(Period='garbage')", 400, "6", "ODATA_PARAMETER"},
		{set + "/SliceLast(Period=datetime'2025-13-01T00:00:00')", 400, "6", "ODATA_PARAMETER"},
		{set + "/SliceLast(Period=guid'" + assetA + "')", 400, "6", "ODATA_PARAMETER"},
		{set + "/SliceLast(Period=2025)", 400, "6", "ODATA_PARAMETER"},
		{set + "/SliceLast(Foo=1)", 400, "6", "ODATA_PARAMETER"},
		{set + "/SliceLast(Dimensions='Asset_Key')", 400, "6", "ODATA_PARAMETER"},
		{set + "/SliceLast(Condition=Asset_Key)", 400, "6", "ODATA_PARAMETER"},
		{set + "/SliceLast(Condition=datetime'2025-01-01T00:00:00')", 400, "6", "ODATA_PARAMETER"},
		{set + "/SliceLast(Period=datetime'2025-01-01T00:00:00',)", 400, "6", "ODATA_PARAMETER"},
		{set + "/SliceLast(Period=datetime'2025-01-01T00:00:00' Condition='true')", 400, "6", "ODATA_PARAMETER"},
		{set + "/SliceLast(Period=datetime'2025-01-01T00:00:00',Period=datetime'2025-01-02T00:00:00')", 400, "6", "ODATA_PARAMETER"},
		{set + "/SliceLast(Period=datetime'2025-01-01T00:00:00')?Period=datetime'2025-01-01T00:00:00'", 400, "6", "ODATA_PARAMETER"},
		{set + "/SliceLast?Period=a&Period=b", 400, "6", "ODATA_PARAMETER"},
		{set + "/SliceLast(Period=datetime'2025-01-01T00:00:00'", 400, "6", "ODATA_PARAMETER"},
		{set + "/SliceLast(Condition='unclosed)", 400, "6", "ODATA_PARAMETER"},
		// The Condition is checked like $filter, with the same messages.
		{set + "/SliceLast(Condition='Nope eq 1')", 400, "6", "ODATA_CONDITION"},
		{set + "/SliceLast(Condition='Status')", 400, "6", "ODATA_CONDITION"},
		{set + "/SliceLast(Condition='tolower(Status) eq ''x''')", 400, "6", "ODATA_CONDITION"},
		{set + "/SliceLast(Condition='Asset/Description eq ''x''')", 400, "6", "ODATA_CONDITION"}, // "/" inside the parameter
		{set + "/SliceLast(Condition='Asset_Key eq guid''zz''')", 400, "6", "ODATA_CONDITION"},
		// Query options are checked against the result type.
		{set + "/SliceLast()?$filter=Nope%20eq%201", 400, "6", "ODATA_FILTER"},
		{set + "/SliceLast()?$select=Nope", 400, "6", "ODATA_OPTION"},
		{set + "/SliceLast()?$skiptoken=x", 400, "6", "ODATA_SKIPTOKEN"},
		{set + "/SliceLast()?$top=-1", 400, "6", "ODATA_OPTION"},
	} {
		r := e.do("GET", c.path+sep(c.path)+"$format=json", "admin", nil)
		if r.status != c.status || errCode(t, r) != c.code || !strings.Contains(string(r.body), `"code":"`+c.hub+`"`) {
			t.Errorf("%s: %d %s", c.path, r.status, r.body)
		}
	}
	// Position and message of a Condition error, in Russian.
	r := e.do("GET", set+"/SliceLast(Condition='Status%20eq%201')?$format=json", "admin", nil)
	if !strings.Contains(string(r.body), "Ошибка в параметре Condition (позиция 8): нельзя сравнить строка и число") {
		t.Errorf("condition message: %s", r.body)
	}
	// Virtual tables are read-only.
	for _, m := range []string{"POST", "DELETE", "PATCH"} {
		if r := e.do(m, set+"/SliceLast()?$format=json", "admin", "{}"); r.status != 405 || errCode(t, r) != "13" {
			t.Errorf("%s: %d %s", m, r.status, r.body)
		}
	}
	// In XML, the error is m:error.
	r = e.do("GET", set+"/Balance()", "admin", nil)
	var xe struct {
		XMLName xml.Name `xml:"http://schemas.microsoft.com/ado/2007/08/dataservices/metadata error"`
		Code    string   `xml:"code"`
		Message string   `xml:"message"`
	}
	if err := xml.Unmarshal(r.body, &xe); err != nil || r.status != 400 || xe.Code != "6" || !strings.Contains(xe.Message, "Balance") {
		t.Errorf("xml error: %d %v %s", r.status, err, r.body)
	}
	// Without credentials, the usual 401.
	if r := e.do("GET", set+"/SliceLast()?$format=json", "", nil); r.status != 401 || errCode(t, r) != "20" {
		t.Errorf("no credentials: %d %s", r.status, r.body)
	}
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

// fnImport is a FunctionImport of $metadata with its parameters and every attribute.
type fnImport struct {
	Attrs  []xml.Attr `xml:",any,attr"`
	Params []struct {
		Name string `xml:"Name,attr"`
		Type string `xml:"Type,attr"`
	} `xml:"Parameter"`
}

func (f fnImport) attr(name string) string {
	for _, a := range f.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (f fnImport) String() string {
	var ps []string
	for _, p := range f.Params {
		ps = append(ps, p.Name+":"+p.Type)
	}
	var as []string
	for _, a := range f.Attrs {
		if a.Name.Local != "Name" {
			as = append(as, a.Name.Local+"="+a.Value)
		}
	}
	return f.attr("Name") + "[" + strings.Join(as, " ") + "](" + strings.Join(ps, " ") + ")"
}

func TestONEC15_VirtualTablesMetadata(t *testing.T) {
	e := vtEnv(t, nil)
	r := e.do("GET", base+"$metadata", "admin", nil)
	var md struct {
		Schema struct {
			EntityTypes []struct {
				Name string `xml:"Name,attr"`
			} `xml:"EntityType"`
			ComplexTypes []struct {
				Name  string `xml:"Name,attr"`
				Props []struct {
					Name string `xml:"Name,attr"`
					Type string `xml:"Type,attr"`
				} `xml:"Property"`
			} `xml:"ComplexType"`
			Container struct {
				Sets []struct {
					Name       string `xml:"Name,attr"`
					EntityType string `xml:"EntityType,attr"`
				} `xml:"EntitySet"`
				Functions []fnImport `xml:"FunctionImport"`
			} `xml:"EntityContainer"`
		} `xml:"DataServices>Schema"`
	}
	if err := xml.Unmarshal(r.body, &md); err != nil || r.status != 200 {
		t.Fatalf("%d %v\n%s", r.status, err, r.body)
	}
	var fns []string
	for _, f := range md.Schema.Container.Functions {
		fns = append(fns, f.String())
	}
	// 1C's shape: bindable, no side effects, bound by the bindingParameter's type, no EntitySet
	// attribute, parameters in 1C's order.
	ns := "StandardODATA."
	slice := func(name, typ string) string {
		return name + "[IsBindable=true IsSideEffecting=false ReturnType=Collection(" + ns + typ + ")](bindingParameter:" + ns + typ + " Condition:Edm.String Period:Edm.DateTime)"
	}
	acc := func(name, set, ret string, params string) string {
		return name + "[IsBindable=true IsSideEffecting=false ReturnType=Collection(" + ns + ret + ")](bindingParameter:" + ns + set + " " + params + ")"
	}
	turnParams := "Condition:Edm.String Dimensions:Edm.String EndPeriod:Edm.DateTime StartPeriod:Edm.DateTime"
	want := []string{
		"Post[IsBindable=true IsSideEffecting=true IsAlwaysBindable=true](bindingParameter:" + ns + "Document_GuestInvoice)",
		"Unpost[IsBindable=true IsSideEffecting=true IsAlwaysBindable=true](bindingParameter:" + ns + "Document_GuestInvoice)",
		slice("SliceLast", assetStatuses),
		slice("SliceFirst", assetStatuses),
		slice("SliceLast", "InformationRegister_StatusHistory_RecordType"),
		slice("SliceFirst", "InformationRegister_StatusHistory_RecordType"),
		acc("Balance", guestPoints, guestPoints+"_Balance", "Condition:Edm.String Dimensions:Edm.String Period:Edm.DateTime"),
		acc("Turnovers", guestPoints, guestPoints+"_Turnover", turnParams),
		acc("BalanceAndTurnovers", guestPoints, guestPoints+"_BalanceAndTurnover", turnParams),
		acc("Turnovers", "AccumulationRegister_GuestVisits", "AccumulationRegister_GuestVisits_Turnover", turnParams),
	}
	if strings.Join(fns, "\n") != strings.Join(want, "\n") {
		t.Errorf("function imports:\n%s\nwant\n%s", strings.Join(fns, "\n"), strings.Join(want, "\n"))
	}
	complexTypes := map[string]string{}
	for _, ct := range md.Schema.ComplexTypes {
		var ps []string
		for _, p := range ct.Props {
			ps = append(ps, p.Name+":"+p.Type)
		}
		complexTypes[ct.Name] = strings.Join(ps, " ")
	}
	dims := "Guest_Key:Edm.Guid Hotel:Edm.String "
	for name, props := range map[string]string{
		guestPoints + "_Balance":            dims + "PointsBalance:Edm.Decimal",
		guestPoints + "_Turnover":           dims + "PointsTurnover:Edm.Decimal PointsReceipt:Edm.Decimal PointsExpense:Edm.Decimal",
		guestPoints + "_BalanceAndTurnover": dims + "PointsOpeningBalance:Edm.Decimal PointsTurnover:Edm.Decimal PointsReceipt:Edm.Decimal PointsExpense:Edm.Decimal PointsClosingBalance:Edm.Decimal",
		// A register of turnovers has no receipts and expenses, as in 1C's _Turnover types.
		"AccumulationRegister_GuestVisits_Turnover": dims + "PointsTurnover:Edm.Decimal",
		"Document_GuestInvoice_Items_RowType":       "Ref_Key:Edm.Guid LineNumber:Edm.Int64 Description:Edm.String Quantity:Edm.Int32 Price:Edm.Decimal",
	} {
		if complexTypes[name] != props {
			t.Errorf("complex type %s: %q, want %q", name, complexTypes[name], props)
		}
	}
	if len(complexTypes) != 5 {
		t.Errorf("complex types: %v", complexTypes)
	}
}

// TestONEC15_RegisterAndTabularNames: the names of sets and types follow 1C (Appendix 11 of
// the developer guide and captured $metadata): an independent register is one set whose type
// has the set's name; the records of a register subordinate to a recorder are the set
// <Register>_RecordType of the type of the same name; a tabular part is the set
// <Owner>_<Part> with rows of the complex type <Owner>_<Part>_RowType.
func TestONEC15_RegisterAndTabularNames(t *testing.T) {
	e := vtEnv(t, nil)
	m := string(e.do("GET", base+"$metadata", "admin", nil).body)
	for _, want := range []string{
		`<EntitySet Name="InformationRegister_AssetStatuses" EntityType="StandardODATA.InformationRegister_AssetStatuses"/>`,
		`<EntitySet Name="InformationRegister_StatusHistory_RecordType" EntityType="StandardODATA.InformationRegister_StatusHistory_RecordType"/>`,
		`<EntitySet Name="AccumulationRegister_GuestPoints" EntityType="StandardODATA.AccumulationRegister_GuestPoints"/>`,
		`<EntitySet Name="Document_GuestInvoice_Items" EntityType="StandardODATA.Document_GuestInvoice_Items"/>`,
		`<EntityType Name="InformationRegister_AssetStatuses" OpenType="true"><Key><PropertyRef Name="Period"/><PropertyRef Name="Asset_Key"/></Key>`,
		`<ComplexType Name="Document_GuestInvoice_Items_RowType">`,
		`<Property Name="Items" Type="Collection(StandardODATA.Document_GuestInvoice_Items_RowType)" Nullable="true"/>`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("$metadata lacks %s", want)
		}
	}
	// The records set of an accumulation register is registered under 1C's name too.
	st := pointsSet(nil, "AccumulationRegister_GuestPoints_RecordType")
	if err := odata.Validate(st); err != nil {
		t.Errorf("AccumulationRegister_X_RecordType: %v", err)
	}
}

// TestONEC15_VirtualTablesRegistration: mistakes in declaring virtual tables are refused when
// the handler is built.
func TestONEC15_VirtualTablesRegistration(t *testing.T) {
	ok := assetStatusSet(nil)
	if err := odata.Validate(ok); err != nil {
		t.Fatalf("valid register refused: %v", err)
	}
	for name, tune := range map[string]func(*odata.EntitySet){
		"unknown table":            func(es *odata.EntitySet) { es.VirtualTables = append(es.VirtualTables, "SliceMiddle") },
		"repeated table":           func(es *odata.EntitySet) { es.VirtualTables = append(es.VirtualTables, odata.VirtualSliceLast) },
		"slice of a catalog":       func(es *odata.EntitySet) { es.Name, es.Kind = "Catalog_X", odata.Catalog },
		"balance of info register": func(es *odata.EntitySet) { es.VirtualTables = []odata.VirtualTable{odata.VirtualBalance} },
		"source without slices":    func(es *odata.EntitySet) { es.Source = ratesSet(nil).Source },
		"unknown dimension":        func(es *odata.EntitySet) { es.Dimensions = []string{"Nope"} },
		"repeated dimension":       func(es *odata.EntitySet) { es.Dimensions = []string{"Asset_Key", "Asset_Key"} },
		"text resource":            func(es *odata.EntitySet) { es.Resources = []string{"Status"} },
	} {
		es := assetStatusSet(nil)
		tune(es)
		if err := odata.Validate(es); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for name, tune := range map[string]func(*odata.EntitySet){
		"slices of an accumulation register": func(es *odata.EntitySet) { es.VirtualTables = []odata.VirtualTable{odata.VirtualSliceLast} },
		"balance without resources":          func(es *odata.EntitySet) { es.Resources = nil },
		"resource as dimension":              func(es *odata.EntitySet) { es.Resources = []string{"Hotel"} },
		"source without balances":            func(es *odata.EntitySet) { es.Source = ratesSet(nil).Source },
	} {
		es := pointsSet(nil, guestPoints, odata.VirtualBalance)
		tune(es)
		if err := odata.Validate(es); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A result type may not take another type's name.
	clash := pointsSet(nil, guestPoints+"_Balance")
	if err := odata.Validate(pointsSet(nil, guestPoints, odata.VirtualBalance), clash); err == nil {
		t.Error("type name clash accepted")
	}
}
