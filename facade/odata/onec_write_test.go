package odata_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stykovka/stykovka/facade/odata"
)

func TestONEC20_Writes(t *testing.T) {
	e := newEnv(t, nil)
	set := base + "Catalog_LegalEntities"

	// POST → 201 + Location; the entity comes back in the requested format.
	r := e.do("POST", set+"?$format=json", "admin", map[string]any{
		"Description": "ООО «Ромашка»", "Code": "000000001", "INN": "7707083893", "KPP": "773601001",
		"NamesScript": "Latin", "odata.metadata": "ignored", "Predefined": true,
	})
	if r.status != 201 {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	created := r.json(t)
	ref := created["Ref_Key"].(string)
	loc := r.header.Get("Location")
	if loc != e.srv.URL+base+"Catalog_LegalEntities(guid'"+ref+"')" || created["Predefined"] != false {
		t.Fatalf("Location %q, entity %v", loc, created)
	}
	got := e.get(strings.TrimPrefix(loc, e.srv.URL) + "?$format=json")
	if got["INN"] != "7707083893" || got["KPP"] != "773601001" || got["NamesScript"] != "Latin" {
		t.Fatalf("read back: %v", got)
	}
	// A client may choose the Ref_Key, as in 1C; Atom is the default answer.
	own := "6f1d3c1e-8a59-4d4e-9a53-1c2b3d4e5f60"
	r = e.do("POST", set, "admin", map[string]any{"Ref_Key": own, "Description": "АО Василёк"})
	if r.status != 201 || !strings.HasSuffix(r.header.Get("Location"), "(guid'"+own+"')") || !strings.Contains(string(r.body), "<entry") {
		t.Fatalf("POST with Ref_Key: %d %s", r.status, r.body)
	}
	if r := e.do("POST", set, "admin", map[string]any{"Ref_Key": own, "Description": "again"}); r.status != 409 {
		t.Errorf("duplicate Ref_Key: %d", r.status)
	}

	// PATCH is partial: what is not sent stays.
	v1 := got["DataVersion"].(string)
	r = e.do("PATCH", set+"(guid'"+ref+"')?$format=json", "admin", map[string]any{"Description": "ООО «Ромашка и К»"})
	if r.status != 200 {
		t.Fatalf("PATCH: %d %s", r.status, r.body)
	}
	p := r.json(t)
	v2 := p["DataVersion"].(string)
	if p["Description"] != "ООО «Ромашка и К»" || p["INN"] != "7707083893" || p["Code"] != "000000001" || v2 == v1 {
		t.Fatalf("after PATCH: %v", p)
	}
	// If-Match with a stale DataVersion → 412; with the current one → 200. MERGE as PATCH.
	if r := e.do("PATCH", set+"(guid'"+ref+"')?$format=json", "admin", map[string]any{"Code": "X"}, "If-Match", v1); r.status != 412 {
		t.Fatalf("stale If-Match: %d %s", r.status, r.body)
	}
	if r := e.do("MERGE", set+"(guid'"+ref+"')?$format=json", "admin", map[string]any{"Code": "000000007"}, "If-Match", `W/"`+v2+`"`); r.status != 200 {
		t.Fatalf("current If-Match: %d %s", r.status, r.body)
	}
	if r := e.do("POST", set+"(guid'"+ref+"')?$format=json", "admin", map[string]any{"DeletionMark": true}, "X-HTTP-Method", "MERGE"); r.status != 200 || r.json(t)["DeletionMark"] != true {
		t.Fatalf("tunnelled MERGE: %d %s", r.status, r.body)
	}
	if r := e.do("PATCH", set+"(guid'"+ref+"')", "admin", map[string]any{"Ref_Key": own}); r.status != 400 {
		t.Errorf("changing the key: %d", r.status)
	}
	// Domain validation: a bad INN checksum is a 400 with the domain's message.
	r = e.do("PATCH", set+"(guid'"+ref+"')?$format=json", "admin", map[string]any{"INN": "7707083890"})
	if r.status != 400 || errCode(t, r) != "14" || !strings.Contains(string(r.body), "ИНН") {
		t.Errorf("bad INN: %d %s", r.status, r.body)
	}

	// DELETE with a stale version is refused, then works.
	cur := e.get(set + "(guid'" + ref + "')?$format=json")["DataVersion"].(string)
	if r := e.do("DELETE", set+"(guid'"+ref+"')", "admin", nil, "If-Match", v1); r.status != 412 {
		t.Errorf("stale DELETE: %d", r.status)
	}
	if r := e.do("DELETE", set+"(guid'"+ref+"')", "admin", nil, "If-Match", cur); r.status != 204 {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	if r := e.do("GET", set+"(guid'"+ref+"')?$format=json", "admin", nil); r.status != 404 || errCode(t, r) != "9" {
		t.Errorf("deleted: %d", r.status)
	}

	// Documents: …/Post and …/Unpost.
	doc := e.newInvoice(own, map[string]any{"Description": "A", "Quantity": 1, "Price": "1"})
	path := base + "Document_GuestInvoice(guid'" + doc + "')"
	if r := e.do("POST", path+"/Post?$format=json", "admin", nil); r.status != 200 || r.json(t)["Posted"] != true {
		t.Fatalf("Post: %d %s", r.status, r.body)
	}
	if e.get(path + "?$format=json")["Posted"] != true {
		t.Fatal("not posted")
	}
	if r := e.do("POST", path+"/Unpost?$format=json", "admin", nil); r.status != 200 || r.json(t)["Posted"] != false {
		t.Fatalf("Unpost: %d %s", r.status, r.body)
	}
	if r := e.do("POST", path+"/Post", "admin", nil, "If-Match", "AAAAAAAAAAE="); r.status != 412 {
		t.Errorf("Post with stale If-Match: %d", r.status)
	}
	if r := e.do("GET", path+"/Post", "admin", nil); r.status != 405 {
		t.Errorf("GET Post: %d", r.status)
	}
	// Tabular part rows are written with their owner (1C's own rule); catalogs do not post;
	// a register the hub does not own is read-only.
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"POST", base + "Document_GuestInvoice_Items", 501},
		{"POST", base + "Catalog_LegalEntities(guid'" + own + "')/Post", 405},
		{"POST", base + "InformationRegister_ExchangeRates", 405},
		{"DELETE", base + "Catalog_LegalEntities", 405},
	} {
		r := e.do(c.method, c.path+"?$format=json", "admin", map[string]any{"Description": "x"})
		if r.status != c.status || errCode(t, r) != "13" {
			t.Errorf("%s %s: %d %s", c.method, c.path, r.status, r.body)
		}
	}
	// PATCH of the tabular part through the owner replaces the rows.
	r = e.do("PATCH", path+"?$format=json", "admin", map[string]any{"Items": []any{
		map[string]any{"LineNumber": "1", "Description": "B", "Quantity": "4", "Price": 2.5},
		map[string]any{"Description": "C", "Quantity": 1, "Price": "1e2"},
	}})
	rows, _ := r.json(t)["Items"].([]any)
	if r.status != 200 || len(rows) != 2 || rows[1].(map[string]any)["Price"] != "100" {
		t.Errorf("rows PATCH: %d %s", r.status, r.body)
	}
}

func TestONEC21_Errors(t *testing.T) {
	e := newEnv(t, func(o *odata.Options) { o.MaxBody = 256 })
	missing := base + "Catalog_LegalEntities(guid'00000000-0000-0000-0000-0000000000aa')"

	// JSON: {"odata.error":{"code":"9","message":{"lang":"ru","value":"…"}}}.
	r := e.do("GET", missing+"?$format=json", "admin", nil)
	if r.status != 404 || errCode(t, r) != "9" || r.header.Get("DataServiceVersion") != "3.0" {
		t.Fatalf("json 404: %d %s", r.status, r.body)
	}
	// XML: <m:error><m:code/><m:message xml:lang="ru"/></m:error>.
	r = e.do("GET", missing, "admin", nil)
	var xe struct {
		XMLName xml.Name `xml:"http://schemas.microsoft.com/ado/2007/08/dataservices/metadata error"`
		Code    string   `xml:"code"`
		Message struct {
			Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
			Text string `xml:",chardata"`
		} `xml:"message"`
	}
	if err := xml.Unmarshal(r.body, &xe); err != nil || r.status != 404 || xe.Code != "9" || xe.Message.Lang != "ru" || xe.Message.Text == "" {
		t.Fatalf("xml 404: %d %v %s", r.status, err, r.body)
	}
	set := base + "Catalog_LegalEntities?$format=json"
	for _, c := range []struct {
		name   string
		method string
		body   any
		hdr    []string
		status int
		code   string
	}{
		{"too large", "POST", `{"Description":"` + strings.Repeat("я", 300) + `"}`, nil, 413, "6"},
		{"not JSON", "POST", `{"Description":`, nil, 400, "6"},
		{"array", "POST", `[1,2]`, nil, 400, "6"},
		{"trailing", "POST", `{"Description":"a"} {}`, nil, 400, "6"},
		{"unknown property", "POST", `{"Description":"a","Nope":1}`, nil, 400, "6"},
		{"wrong type", "POST", `{"Description":5}`, nil, 400, "6"},
		{"bad guid", "POST", `{"Description":"a","Ref_Key":"zz"}`, nil, 400, "6"},
		{"too long", "POST", `{"Description":"a","KPP":"1234567890"}`, nil, 400, "6"},
		{"no description", "POST", `{"Code":"1"}`, nil, 400, "14"},
		{"atom body", "POST", `<entry/>`, []string{"Content-Type", "application/atom+xml"}, 415, "13"},
		{"bad escape", "GET", nil, []string{"Accept", "application/json"}, 400, "6"},
	} {
		path := set
		if c.name == "bad escape" {
			path = base + "Catalog_LegalEntities?$format=json&$filter=%zz"
		}
		r := e.do(c.method, path, "admin", c.body, c.hdr...)
		if r.status != c.status || errCode(t, r) != c.code {
			t.Errorf("%s: %d %s", c.name, r.status, r.body)
		}
	}
	for _, p := range []string{"Catalog_LegalEntities(", "Catalog_LegalEntities(guid'x')/Nope", "Catalog_LegalEntities/x/y", "$batch", "Catalog_LegalEntities(guid'00000000-0000-0000-0000-000000000000')/Description"} {
		r := e.do("GET", base+p+"?$format=json", "admin", nil)
		if r.status < 400 || r.status >= 500 && r.status != 501 {
			t.Errorf("%s: %d", p, r.status)
		}
	}
}

func TestONEC22_Auth(t *testing.T) {
	e := newEnv(t, nil)
	set := base + "Catalog_LegalEntities"
	// No credentials: 401, a Basic challenge, odata.error with 1C's access code 20.
	r := e.do("GET", set+"?$format=json", "", nil)
	if r.status != 401 || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic realm=") || errCode(t, r) != "20" {
		t.Fatalf("anonymous: %d %v %s", r.status, r.header, r.body)
	}
	if r := e.do("GET", base+"$metadata", "", nil); r.status != 401 || !bytes.Contains(r.body, []byte("<m:code>20</m:code>")) {
		t.Errorf("anonymous $metadata: %d %s", r.status, r.body)
	}
	// A wrong password is refused the same way.
	req := e.do("GET", set+"?$format=json", "", nil, "Authorization", "Basic YWRtaW46d3Jvbmc=")
	if req.status != 401 || errCode(t, req) != "20" {
		t.Errorf("wrong password: %d", req.status)
	}
	// A Cyrillic user name (UTF-8) works.
	if r := e.do("GET", set+"?$format=json", "Администратор", nil); r.status != 200 {
		t.Errorf("cyrillic user: %d %s", r.status, r.body)
	}

	// Tenant isolation: hotel-b cannot read, update or delete hotel-a's entity by Ref_Key.
	a := e.createLegal("hotel-a", "1", "ООО «Ромашка»", "7707083893")
	e.createLegal("hotel-b", "2", "ООО «Лето»", "")
	one := set + "(guid'" + a + "')?$format=json"
	for _, c := range []struct {
		method string
		body   any
	}{{"GET", nil}, {"PATCH", map[string]any{"Description": "взлом"}}, {"DELETE", nil}} {
		if r := e.do(c.method, one, "other", c.body); r.status != 404 {
			t.Errorf("tenant b %s a's entity: %d %s", c.method, r.status, r.body)
		}
	}
	if r := e.do("POST", set+"?$format=json", "other", map[string]any{"Ref_Key": a, "Description": "дубль"}); r.status != 201 {
		t.Errorf("tenant b may use the same Ref_Key in its own space: %d", r.status)
	}
	if got := e.get(one); got["Description"] != "ООО «Ромашка»" {
		t.Errorf("a's entity changed: %v", got)
	}
	b := e.do("GET", set+"?$format=json&$orderby=Code", "other", nil).json(t)
	if d := names(t, b, "Description"); strings.Join(d, ",") != "дубль,ООО «Лето»" {
		t.Errorf("tenant b sees %v", d)
	}
	if r := e.do("GET", set+"(guid'"+a+"')/$count", "other", nil); r.status == 200 {
		t.Errorf("odd path answered")
	}
	if r := e.do("GET", set+"/$count?$filter=Code%20eq%20'1'", "other", nil); string(r.body) != "0" {
		t.Errorf("tenant b counts a's entity: %s", r.body)
	}
}

// TestCredentialsNeverLeak writes EMIS credentials through OData and finds none of them in
// any response, in the logs, or in the raw bytes of the bbolt file.
func TestCredentialsNeverLeak(t *testing.T) {
	e := newEnv(t, nil)
	secrets := map[string]string{
		"EmisWebLogin":            "hotel-web-login-7Q2",
		"EmisWebPassword":         "Пароль-Веб-Zx81!",
		"EmisIntegrationLogin":    "integration-login-K4m",
		"EmisIntegrationPassword": "integr@tion-pass-9Lw",
	}
	body := map[string]any{"Description": "ООО «Ромашка»", "EmisEnabled": true}
	for k, v := range secrets {
		body[k] = v
	}
	var seen bytes.Buffer
	r := e.do("POST", base+"Catalog_LegalEntities?$format=json", "admin", body)
	seen.Write(r.body)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	ent := r.json(t)
	ref := ent["Ref_Key"].(string)
	for _, f := range []string{"EmisWebLoginSet", "EmisWebPasswordSet", "EmisIntegrationLoginSet", "EmisIntegrationPasswordSet"} {
		if ent[f] != true {
			t.Errorf("%s = %v", f, ent[f])
		}
	}
	for k := range secrets {
		if _, ok := ent[k]; ok {
			t.Errorf("%s returned", k)
		}
	}
	// Change one credential; the others stay.
	r = e.do("PATCH", base+"Catalog_LegalEntities(guid'"+ref+"')?$format=json", "admin", map[string]any{"EmisWebPassword": "Новый-Пароль-55"})
	seen.Write(r.body)
	secrets["new"] = "Новый-Пароль-55"
	// Failing writes must not echo the values either.
	r = e.do("PATCH", base+"Catalog_LegalEntities(guid'"+ref+"')?$format=json", "admin", map[string]any{"EmisWebLogin": strings.Repeat("s", 300)})
	seen.Write(r.body)
	r = e.do("PATCH", base+"Catalog_LegalEntities(guid'"+ref+"')?$format=json", "admin", map[string]any{"EmisWebLogin": "ctl\u0001-secret-77"})
	seen.Write(r.body)
	secrets["ctl"] = "ctl\u0001-secret-77"
	for _, p := range []string{"?$format=json", "", "?$format=application/json;odata=fullmetadata"} {
		seen.Write(e.do("GET", base+"Catalog_LegalEntities"+p, "admin", nil).body)
		seen.Write(e.do("GET", base+"Catalog_LegalEntities(guid'"+ref+"')"+p, "admin", nil).body)
	}
	seen.Write(e.do("GET", base+"$metadata", "admin", nil).body)

	creds, err := e.legal.Credentials(context.Background(), "hotel-a", ref)
	if err != nil || creds.WebLogin != secrets["EmisWebLogin"] || creds.WebPassword != "Новый-Пароль-55" ||
		creds.IntegrationLogin != secrets["EmisIntegrationLogin"] || creds.IntegrationPassword != secrets["EmisIntegrationPassword"] {
		t.Fatalf("Credentials: %v", err)
	}
	if _, err := e.legal.Credentials(context.Background(), "hotel-b", ref); err == nil {
		t.Fatal("another tenant read the credentials")
	}

	e.srv.Close()
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	logs := e.logs.String()
	if logs == "" {
		t.Fatal("no logs captured")
	}
	for name, s := range secrets {
		for where, hay := range map[string][]byte{"responses": seen.Bytes(), "logs": []byte(logs), "bbolt file": raw} {
			if bytes.Contains(hay, []byte(s)) {
				t.Errorf("%s found in %s", name, where)
			}
		}
	}
	if !bytes.Contains(raw, []byte("Ромашка")) {
		t.Fatal("the scan does not see plaintext at all: the check would be vacuous")
	}
}

// TestScanBound: a filter no index answers, over a set larger than MaxScan, reads at most
// MaxScan entities per request and continues by odata.nextLink; counting it is refused.
func TestScanBound(t *testing.T) {
	const maxScan, n = 40, 130
	e := newEnv(t, func(o *odata.Options) { o.MaxScan = maxScan })
	for i := 1; i <= n; i++ {
		inn := ""
		if i%10 == 0 {
			inn = "7707083893" // every tenth entity matches the unindexed filter
		}
		e.createLegal("hotel-a", fmt.Sprintf("%04d", i), fmt.Sprintf("Организация %04d", i), inn)
	}
	filter := url.QueryEscape("INN eq '7707083893'")
	next := base + "Catalog_LegalEntities?$format=json&$filter=" + filter
	var got []string
	requests := 0
	for next != "" {
		requests++
		if requests > 10 {
			t.Fatal("next links do not end")
		}
		before := e.count.items.Load()
		m := e.get(strings.TrimPrefix(next, e.srv.URL))
		if read := e.count.items.Load() - before; read > maxScan {
			t.Fatalf("request %d read %d items, MaxScan %d", requests, read, maxScan)
		}
		got = append(got, names(t, m, "Code")...)
		next, _ = m["odata.nextLink"].(string)
	}
	inOrder := append([]string(nil), got...)
	sort.Strings(got) // the key order is the order of random Refs
	want := "0010 0020 0030 0040 0050 0060 0070 0080 0090 0100 0110 0120 0130"
	if strings.Join(got, " ") != want || requests < n/maxScan {
		t.Fatalf("after %d requests: %v", requests, got)
	}
	// $top is honoured across pages: the rows asked for, then no next link.
	m := e.get(base + "Catalog_LegalEntities?$format=json&$top=2&$skip=1&$filter=" + filter)
	first := names(t, m, "Code")
	for nl, _ := m["odata.nextLink"].(string); nl != ""; nl, _ = m["odata.nextLink"].(string) {
		m = e.get(strings.TrimPrefix(nl, e.srv.URL))
		first = append(first, names(t, m, "Code")...)
	}
	if strings.Join(first, " ") != strings.Join(inOrder[1:3], " ") {
		t.Errorf("top/skip across pages: %v", first)
	}
	// Counting or sorting the unindexed result needs the whole set: refused.
	for _, q := range []string{"/$count?$filter=" + filter, "?$format=json&$inlinecount=allpages&$filter=" + filter, "?$format=json&$orderby=INN&$filter=" + filter} {
		before := e.count.items.Load()
		r := e.do("GET", base+"Catalog_LegalEntities"+q, "admin", nil)
		if r.status != 400 || !strings.Contains(string(r.body), "ODATA_SCAN_LIMIT") || e.count.items.Load()-before > maxScan {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	// Indexed filters are answered from the index, whatever the set's size.
	for _, f := range []string{"Code eq '0077'", "startswith(Description,'Организация 007')", "Code ge '0120' and Code lt '0125'"} {
		before := e.count.items.Load()
		m := e.get(base + "Catalog_LegalEntities?$format=json&$inlinecount=allpages&$filter=" + url.QueryEscape(f))
		if read := e.count.items.Load() - before; read > 10 || m["odata.nextLink"] != nil {
			t.Errorf("%s read %d items: %v", f, read, m)
		}
	}
	// Ordering by an indexed property walks that index and pages with next links.
	m = e.get(base + "Catalog_LegalEntities?$format=json&$orderby=Description%20desc&$top=3")
	if strings.Join(names(t, m, "Code"), " ") != "0130 0129 0128" {
		t.Errorf("orderby on the index: %v", names(t, m, "Code"))
	}
	// A $skiptoken belongs to its query.
	m = e.get(base + "Catalog_LegalEntities?$format=json&$filter=" + filter)
	nl := m["odata.nextLink"].(string)
	u, _ := url.Parse(nl)
	q := u.Query()
	q.Set("$filter", "INN eq '1'")
	u.RawQuery = q.Encode()
	if r := e.do("GET", strings.TrimPrefix(u.String(), e.srv.URL), "admin", nil); r.status != 400 {
		t.Errorf("foreign skiptoken: %d", r.status)
	}
}
