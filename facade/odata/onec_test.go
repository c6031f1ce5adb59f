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

func TestONEC13_ServiceDocument(t *testing.T) {
	e := newEnv(t, nil)
	for _, path := range []string{"/odata/standard.odata/", "/odata/standard.odata"} {
		r := e.do("GET", path, "admin", nil)
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/atomsvc+xml") {
			t.Fatalf("%s: %d %s", path, r.status, r.header.Get("Content-Type"))
		}
		var svc struct {
			XMLName   xml.Name `xml:"http://www.w3.org/2007/app service"`
			Base      string   `xml:"http://www.w3.org/XML/1998/namespace base,attr"`
			Workspace struct {
				Title       string `xml:"http://www.w3.org/2005/Atom title"`
				Collections []struct {
					Href  string `xml:"href,attr"`
					Title string `xml:"http://www.w3.org/2005/Atom title"`
				} `xml:"collection"`
			} `xml:"workspace"`
		}
		if err := xml.Unmarshal(r.body, &svc); err != nil {
			t.Fatalf("%v\n%s", err, r.body)
		}
		if svc.Base != e.srv.URL+base || svc.Workspace.Title != "Default" {
			t.Fatalf("base %q title %q", svc.Base, svc.Workspace.Title)
		}
		var hrefs []string
		for _, c := range svc.Workspace.Collections {
			hrefs = append(hrefs, c.Href)
			if c.Title != c.Href {
				t.Errorf("collection %q titled %q", c.Href, c.Title)
			}
		}
		want := "Catalog_LegalEntities Document_GuestInvoice Document_GuestInvoice_Items InformationRegister_ExchangeRates"
		if strings.Join(hrefs, " ") != want {
			t.Fatalf("collections %v", hrefs)
		}
	}

	m := e.get(base + "?$format=json")
	if m["odata.metadata"] != e.srv.URL+base+"$metadata" {
		t.Fatalf("odata.metadata %v", m["odata.metadata"])
	}
	first := values(t, m)[0]
	if first["name"] != "Catalog_LegalEntities" || first["url"] != "Catalog_LegalEntities" {
		t.Fatalf("first %v", first)
	}

	// Behind a proxy or API Gateway the forwarded host and prefix make the links.
	r := e.do("GET", base+"?$format=json", "admin", nil,
		"X-Forwarded-Proto", "https", "X-Forwarded-Host", "hub.example.ru", "X-Forwarded-Prefix", "/prod")
	if got := r.json(t)["odata.metadata"]; got != "https://hub.example.ru/prod/odata/standard.odata/$metadata" {
		t.Fatalf("forwarded: %v", got)
	}
	// A configured public URL wins.
	e2 := newEnv(t, func(o *odata.Options) { o.PublicURL = "https://1c.example.ru/hub/" })
	if got := e2.get(base + "?$format=json")["odata.metadata"]; got != "https://1c.example.ru/hub/odata/standard.odata/$metadata" {
		t.Fatalf("public URL: %v", got)
	}
}

type edmx struct {
	XMLName      xml.Name `xml:"http://schemas.microsoft.com/ado/2007/06/edmx Edmx"`
	Version      string   `xml:"Version,attr"`
	DataServices struct {
		DSV    string `xml:"http://schemas.microsoft.com/ado/2007/08/dataservices/metadata DataServiceVersion,attr"`
		Schema struct {
			Namespace   string `xml:"Namespace,attr"`
			EntityTypes []struct {
				Name     string `xml:"Name,attr"`
				OpenType string `xml:"OpenType,attr"`
				Keys     []struct {
					Name string `xml:"Name,attr"`
				} `xml:"Key>PropertyRef"`
				Props []struct {
					Name     string `xml:"Name,attr"`
					Type     string `xml:"Type,attr"`
					Nullable string `xml:"Nullable,attr"`
				} `xml:"Property"`
				Navs []struct {
					Name         string `xml:"Name,attr"`
					Relationship string `xml:"Relationship,attr"`
				} `xml:"NavigationProperty"`
			} `xml:"EntityType"`
			ComplexTypes []struct {
				Name string `xml:"Name,attr"`
			} `xml:"ComplexType"`
			Associations []struct {
				Name string `xml:"Name,attr"`
			} `xml:"Association"`
			Container struct {
				Name    string `xml:"Name,attr"`
				Default string `xml:"http://schemas.microsoft.com/ado/2007/08/dataservices/metadata IsDefaultEntityContainer,attr"`
				Sets    []struct {
					Name       string `xml:"Name,attr"`
					EntityType string `xml:"EntityType,attr"`
				} `xml:"EntitySet"`
				Functions []struct {
					Name string `xml:"Name,attr"`
				} `xml:"FunctionImport"`
			} `xml:"EntityContainer"`
		} `xml:"http://schemas.microsoft.com/ado/2009/11/edm Schema"`
	} `xml:"http://schemas.microsoft.com/ado/2007/06/edmx DataServices"`
}

func TestONEC14_Metadata(t *testing.T) {
	e := newEnv(t, nil)
	// 1C clients ask for $metadata with and without $format; it is always EDMX.
	for _, q := range []string{"", "?$format=json"} {
		r := e.do("GET", base+"$metadata"+q, "admin", nil)
		if r.status != 200 || r.header.Get("DataServiceVersion") != "3.0" ||
			!strings.HasPrefix(r.header.Get("Content-Type"), "application/xml") {
			t.Fatalf("%d %v", r.status, r.header)
		}
		var m edmx
		if err := xml.Unmarshal(r.body, &m); err != nil {
			t.Fatalf("%v\n%s", err, r.body)
		}
		ds := m.DataServices
		if m.Version != "1.0" || ds.DSV != "3.0" || ds.Schema.Namespace != "StandardODATA" ||
			ds.Schema.Container.Name != "EnterpriseV8" || ds.Schema.Container.Default != "true" {
			t.Fatalf("edmx header: %+v", m)
		}
		types := map[string][]string{}
		for _, et := range ds.Schema.EntityTypes {
			if et.OpenType != "true" {
				t.Errorf("%s is not open", et.Name)
			}
			for _, p := range et.Props {
				types[et.Name] = append(types[et.Name], p.Name+":"+p.Type)
			}
		}
		le := strings.Join(types["Catalog_LegalEntities"], " ")
		if !strings.HasPrefix(le, "Ref_Key:Edm.Guid DataVersion:Edm.String DeletionMark:Edm.Boolean Code:Edm.String Description:Edm.String Predefined:Edm.Boolean PredefinedDataName:Edm.String INN:Edm.String KPP:Edm.String") {
			t.Errorf("Catalog_LegalEntities properties: %s", le)
		}
		if strings.Contains(string(r.body), "EmisWebPassword\"") || strings.Contains(string(r.body), "EmisWebLogin\"") {
			t.Errorf("write-only credentials published in $metadata")
		}
		doc := strings.Join(types["Document_GuestInvoice"], " ")
		if doc != "Ref_Key:Edm.Guid DataVersion:Edm.String DeletionMark:Edm.Boolean Number:Edm.String Date:Edm.DateTime Posted:Edm.Boolean Organization_Key:Edm.Guid Comment:Edm.String Items:Collection(StandardODATA.Document_GuestInvoice_Items_RowType)" {
			t.Errorf("Document_GuestInvoice properties: %s", doc)
		}
		if got := strings.Join(types["Document_GuestInvoice_Items"], " "); got != "Ref_Key:Edm.Guid LineNumber:Edm.Int64 Description:Edm.String Quantity:Edm.Int32 Price:Edm.Decimal" {
			t.Errorf("tabular part set: %s", got)
		}
		var sets, fns []string
		for _, s := range ds.Schema.Container.Sets {
			sets = append(sets, s.Name+"="+s.EntityType)
		}
		for _, f := range ds.Schema.Container.Functions {
			fns = append(fns, f.Name)
		}
		if !strings.Contains(strings.Join(sets, " "), "Catalog_LegalEntities=StandardODATA.Catalog_LegalEntities") ||
			strings.Join(fns, " ") != "Post Unpost" {
			t.Errorf("container: %v %v", sets, fns)
		}
		if len(ds.Schema.Associations) != 1 || ds.Schema.Associations[0].Name != "Document_GuestInvoice_Organization" {
			t.Errorf("associations: %+v", ds.Schema.Associations)
		}
	}
}

func TestONEC15_EntitySetNames(t *testing.T) {
	e := newEnv(t, nil)
	for _, set := range []string{"Catalog_LegalEntities", "Document_GuestInvoice", "Document_GuestInvoice_Items", "InformationRegister_ExchangeRates"} {
		m := e.get(base + set + "?$format=json")
		if m["odata.metadata"] != e.srv.URL+base+"$metadata#"+set {
			t.Errorf("%s: %v", set, m["odata.metadata"])
		}
	}
	// A name outside 1C's conventions cannot be registered.
	bad := &odata.EntitySet{Name: "LegalEntities", Kind: odata.Catalog, Source: ratesSet(nil).Source}
	if err := odata.Validate(bad); err == nil {
		t.Fatal("a catalog without the Catalog_ prefix was accepted")
	}
	r := e.do("GET", base+"Catalog_Unknown?$format=json", "admin", nil)
	if r.status != 404 || errCode(t, r) != "9" {
		t.Fatalf("unknown set: %d %s", r.status, r.body)
	}
}

func errCode(t *testing.T, r resp) string {
	t.Helper()
	oe, ok := r.json(t)["odata.error"].(map[string]any)
	if !ok {
		t.Fatalf("no odata.error in %s", r.body)
	}
	msg := oe["message"].(map[string]any)
	if msg["lang"] != "ru" || msg["value"] == "" {
		t.Fatalf("message %v", msg)
	}
	return oe["code"].(string)
}

// newInvoice creates a document through OData and returns its Ref_Key.
func (e *env) newInvoice(org string, items ...map[string]any) string {
	e.t.Helper()
	body := map[string]any{"Number": "СЧ-0001", "Date": "2025-03-14T09:30:00", "Comment": "номер 305"}
	if org != "" {
		body["Organization_Key"] = org
	}
	if items != nil {
		body["Items"] = items
	}
	r := e.do("POST", base+"Document_GuestInvoice?$format=json", "admin", body)
	if r.status != 201 {
		e.t.Fatalf("create invoice: %d %s", r.status, r.body)
	}
	return r.json(e.t)["Ref_Key"].(string)
}

func TestONEC16_StandardProperties(t *testing.T) {
	e := newEnv(t, nil)
	org := e.createLegal("hotel-a", "000000001", "ООО «Ромашка»", "7707083893")
	le := e.get(base + "Catalog_LegalEntities(guid'" + org + "')?$format=json")
	for _, p := range []string{"Ref_Key", "DataVersion", "DeletionMark", "Code", "Description", "Predefined", "PredefinedDataName"} {
		if _, ok := le[p]; !ok {
			t.Errorf("catalog lacks %s: %v", p, le)
		}
	}
	if le["Predefined"] != false || le["PredefinedDataName"] != "" || le["DeletionMark"] != false || le["DataVersion"] == "" {
		t.Errorf("catalog defaults: %v", le)
	}

	ref := e.newInvoice(org,
		map[string]any{"Description": "Проживание", "Quantity": 2, "Price": "3500.50"},
		map[string]any{"Description": "Завтрак", "Quantity": 2, "Price": 700})
	doc := e.get(base + "Document_GuestInvoice(guid'" + ref + "')?$format=json")
	for _, p := range []string{"Ref_Key", "DataVersion", "DeletionMark", "Number", "Date", "Posted"} {
		if _, ok := doc[p]; !ok {
			t.Errorf("document lacks %s", p)
		}
	}
	if doc["Date"] != "2025-03-14T09:30:00" || doc["Posted"] != false {
		t.Errorf("document: %v", doc)
	}
	// A reference is X_Key plus a relative X@navigationLinkUrl.
	if doc["Organization_Key"] != org || doc["Organization@navigationLinkUrl"] != "Document_GuestInvoice(guid'"+ref+"')/Organization" {
		t.Errorf("reference: %v", doc)
	}
	// The navigation link leads to the referenced entity.
	nav := e.get(base + doc["Organization@navigationLinkUrl"].(string) + "?$format=json")
	if nav["Description"] != "ООО «Ромашка»" || nav["odata.metadata"] != e.srv.URL+base+"$metadata#Catalog_LegalEntities/@Element" {
		t.Errorf("navigation: %v", nav)
	}
	// Tabular part rows carry the owner's Ref_Key and LineNumber as a string; Int64 and
	// Decimal are strings in OData v3 JSON, Int32 a number.
	rows := doc["Items"].([]any)
	r2 := rows[1].(map[string]any)
	if len(rows) != 2 || r2["Ref_Key"] != ref || r2["LineNumber"] != "2" || r2["Quantity"] != float64(2) || r2["Price"] != "700" {
		t.Errorf("rows: %v", rows)
	}

	// The empty reference (all-zero GUID) has no navigation link.
	empty := e.newInvoice("")
	d2 := e.get(base + "Document_GuestInvoice(guid'" + empty + "')?$format=json")
	if d2["Organization_Key"] != "00000000-0000-0000-0000-000000000000" {
		t.Errorf("empty reference: %v", d2["Organization_Key"])
	}
	if _, ok := d2["Organization@navigationLinkUrl"]; ok {
		t.Errorf("empty reference has a navigation link")
	}
}

func TestONEC17_Keys(t *testing.T) {
	e := newEnv(t, nil)
	org := e.createLegal("hotel-a", "1", "ООО «Ромашка»", "")
	ref := e.newInvoice(org, map[string]any{"Description": "A", "Quantity": 1, "Price": "1"},
		map[string]any{"Description": "B", "Quantity": 5, "Price": "2.5"})
	period := time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC)
	e.putRate("hotel-a", period, "USD", "101.6797")

	for _, path := range []string{
		"Catalog_LegalEntities(guid'" + org + "')",
		"Catalog_LegalEntities(guid'" + strings.ToUpper(org) + "')",
		"Catalog_LegalEntities(Ref_Key=guid'" + org + "')",
		url.PathEscape("Catalog_LegalEntities(guid'" + org + "')"), // some clients escape the key
	} {
		if m := e.get(base + path + "?$format=json"); m["Ref_Key"] != org {
			t.Errorf("%s: %v", path, m["Ref_Key"])
		}
	}
	row := e.get(base + "Document_GuestInvoice_Items(Ref_Key=guid'" + ref + "',LineNumber=2)?$format=json")
	if row["Description"] != "B" || row["LineNumber"] != "2" {
		t.Errorf("row: %v", row)
	}
	rate := e.get(base + "InformationRegister_ExchangeRates(Period=datetime'2025-01-31T00:00:00',Currency='USD')?$format=json")
	if rate["Rate"] != "101.6797" || rate["Period"] != "2025-01-31T00:00:00" {
		t.Errorf("register record: %v", rate)
	}
	for path, code := range map[string]int{
		"Catalog_LegalEntities(guid'not-a-guid')":                                       400,
		"Catalog_LegalEntities('" + org + "')":                                          200, // a bare string is read as the GUID
		"Catalog_LegalEntities(guid'" + org + "'":                                       400,
		"Catalog_LegalEntities(Code='1')":                                               400,
		"Document_GuestInvoice_Items(Ref_Key=guid'" + ref + "')":                        400,
		"Document_GuestInvoice_Items(Ref_Key=guid'" + ref + "',LineNumber=9)":           404,
		"InformationRegister_ExchangeRates(Period='2025-01-31',Currency='USD')":         400,
		"InformationRegister_ExchangeRates(Period=datetime'2025-13-31',Currency='USD')": 400,
		"Catalog_LegalEntities(guid'00000000-0000-0000-0000-000000000001')":             404,
	} {
		if got := e.do("GET", base+path+"?$format=json", "admin", nil); got.status != code {
			t.Errorf("%s: %d, want %d: %s", path, got.status, code, got.body)
		}
	}
}

func TestONEC18_Formats(t *testing.T) {
	e := newEnv(t, nil)
	org := e.createLegal("hotel-a", "1", "ООО «Ромашка»", "7707083893")
	ref := e.newInvoice(org, map[string]any{"Description": "A", "Quantity": 1, "Price": "10"})
	set := base + "Document_GuestInvoice"

	// Atom by default: a feed with entries, typed properties and navigation links.
	r := e.do("GET", set, "admin", nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/atom+xml;type=feed") || r.header.Get("DataServiceVersion") != "3.0" {
		t.Fatalf("atom: %d %v", r.status, r.header)
	}
	var feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		Entries []struct {
			ID    string `xml:"id"`
			Links []struct {
				Rel  string `xml:"rel,attr"`
				Href string `xml:"href,attr"`
			} `xml:"link"`
			Props struct {
				Ref   string `xml:"http://schemas.microsoft.com/ado/2007/08/dataservices Ref_Key"`
				Date  string `xml:"http://schemas.microsoft.com/ado/2007/08/dataservices Date"`
				Items struct {
					Elements []struct {
						LineNumber string `xml:"http://schemas.microsoft.com/ado/2007/08/dataservices LineNumber"`
					} `xml:"http://schemas.microsoft.com/ado/2007/08/dataservices element"`
				} `xml:"http://schemas.microsoft.com/ado/2007/08/dataservices Items"`
			} `xml:"content>properties"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(r.body, &feed); err != nil {
		t.Fatalf("%v\n%s", err, r.body)
	}
	en := feed.Entries[0]
	if len(feed.Entries) != 1 || en.Props.Ref != ref || en.Props.Date != "2025-03-14T09:30:00" ||
		en.ID != e.srv.URL+base+"Document_GuestInvoice(guid'"+ref+"')" || len(en.Props.Items.Elements) != 1 {
		t.Fatalf("entry: %+v", en)
	}
	var rels []string
	for _, l := range en.Links {
		rels = append(rels, l.Rel+" "+l.Href)
	}
	if !strings.Contains(strings.Join(rels, "|"), "http://schemas.microsoft.com/ado/2007/08/dataservices/related/Organization Document_GuestInvoice(guid'"+ref+"')/Organization") {
		t.Errorf("links: %v", rels)
	}
	one := e.do("GET", set+"(guid'"+ref+"')", "admin", nil)
	if !strings.HasPrefix(one.header.Get("Content-Type"), "application/atom+xml;type=entry") || !strings.Contains(string(one.body), "<entry xmlns=\"http://www.w3.org/2005/Atom\"") {
		t.Errorf("atom entry: %s", one.body)
	}

	// JSON by $format=json, by Accept, with the three metadata levels.
	for _, c := range []struct {
		query, accept string
		meta, nav     bool
		full          bool
	}{
		{"?$format=json", "", true, true, false},
		{"", "application/json", true, true, false},
		{"", "application/json;odata=minimalmetadata", true, true, false},
		{"", "application/json;odata=nometadata", false, false, false},
		{"", "application/json;odata=fullmetadata", true, true, true},
		{"?$format=application/json;odata=nometadata", "", false, false, false},
	} {
		r := e.do("GET", set+c.query, "admin", nil, "Accept", c.accept)
		m := r.json(t)
		if _, ok := m["odata.metadata"]; ok != c.meta {
			t.Errorf("%q %q: odata.metadata present=%v", c.query, c.accept, ok)
		}
		v := values(t, m)[0]
		if _, ok := v["Organization@navigationLinkUrl"]; ok != c.nav {
			t.Errorf("%q %q: navigation link present=%v", c.query, c.accept, ok)
		}
		if _, ok := v["odata.type"]; ok != c.full {
			t.Errorf("%q %q: odata.type present=%v", c.query, c.accept, ok)
		}
		if c.full && (v["odata.type"] != "StandardODATA.Document_GuestInvoice" || v["odata.editLink"] != "Document_GuestInvoice(guid'"+ref+"')") {
			t.Errorf("full metadata: %v", v)
		}
	}
	single := e.get(set + "(guid'" + ref + "')?$format=json")
	if single["odata.metadata"] != e.srv.URL+base+"$metadata#Document_GuestInvoice/@Element" {
		t.Errorf("single: %v", single["odata.metadata"])
	}
	if r := e.do("GET", set+"?$format=csv", "admin", nil); r.status != 400 {
		t.Errorf("unknown $format: %d", r.status)
	}
}

// seedLegal makes n legal entities with codes 0001… and names "Организация 0001"…
func (e *env) seedLegal(tenant string, n int) {
	for i := 1; i <= n; i++ {
		inn := ""
		e.createLegal(tenant, fmt.Sprintf("%04d", i), fmt.Sprintf("Организация %04d", i), inn)
	}
}

func TestONEC19_QueryOptions(t *testing.T) {
	e := newEnv(t, nil)
	set := base + "Catalog_LegalEntities"
	romashka := e.createLegal("hotel-a", "000000001", "ООО «Ромашка»", "7707083893")
	e.createLegal("hotel-a", "000000002", "АО Василёк", "")
	e.createLegal("hotel-a", "000000003", "ИП Лютиков", "500100732259")
	e.createLegal("hotel-b", "000000001", "ООО «Ромашка»", "")

	q := func(opts string) map[string]any {
		t.Helper()
		return e.get(set + "?" + strings.ReplaceAll(opts, " ", "%20"))
	}
	enc := url.QueryEscape

	// Exactly as 1C's HTTPСоединение sends it: Cyrillic and « » percent-encoded.
	m := q("$format=json&$filter=" + enc("Description eq 'ООО «Ромашка»'") + "&$select=Ref_Key,Description")
	vs := values(t, m)
	if len(vs) != 1 || vs[0]["Ref_Key"] != romashka || len(vs[0]) != 2 {
		t.Fatalf("1C filter+select: %v", vs)
	}
	// %20 for spaces, as many 1C libraries write it.
	m = q("$format=json&$filter=" + strings.ReplaceAll(url.PathEscape("Code eq '000000002'"), "'", "%27"))
	if got := names(t, m, "Description"); len(got) != 1 || got[0] != "АО Василёк" {
		t.Fatalf("code eq: %v", got)
	}

	cases := []struct {
		filter string
		want   string // descriptions in order
	}{
		{"Ref_Key eq guid'" + romashka + "'", "ООО «Ромашка»"},
		{"Code ne '000000001'", "000000002 000000003"},
		{"Code gt '000000001' and Code le '000000003'", "000000002 000000003"},
		{"Code ge '000000002'", "000000002 000000003"},
		{"Code lt '000000002'", "000000001"},
		{"Code eq '000000001' or Code eq '000000003'", "000000001 000000003"},
		{"not (Code eq '000000001')", "000000002 000000003"},
		{"not DeletionMark", "000000001 000000002 000000003"},
		{"(Code eq '000000001' or Code eq '000000002') and INN eq '7707083893'", "000000001"},
		{"substringof('Ромашка', Description)", "000000001"},
		{"substringof('Ромашка', Description) eq true", "000000001"},
		{"startswith(Description, 'АО')", "000000002"},
		{"endswith(Description, 'Лютиков')", "000000003"},
		{"like(Description, '%Рома_ка%')", "000000001"},
		{"like(Description, '[АИ]%')", "000000002 000000003"},
		{"like(Description, '[^АИ]%')", "000000001"},
		{"year(DataVersion) eq 2025", ""}, // type error → checked below
		{"INN eq '500100732259' and KPP eq ''", "000000003"},
		{"Code eq null", ""},
		{"INN ne null and INN ne ''", "000000001 000000003"},
	}
	for _, c := range cases {
		r := e.do("GET", set+"?$format=json&$orderby=Code&$filter="+enc(c.filter), "admin", nil)
		if c.filter == "year(DataVersion) eq 2025" {
			if r.status != 400 {
				t.Errorf("%s: %d", c.filter, r.status)
			}
			continue
		}
		if r.status != 200 {
			t.Errorf("%s: %d %s", c.filter, r.status, r.body)
			continue
		}
		var got []string
		for _, v := range values(t, r.json(t)) {
			if strings.HasPrefix(c.want, "0") {
				got = append(got, v["Code"].(string))
			} else {
				got = append(got, v["Description"].(string))
			}
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s: got %q, want %q", c.filter, strings.Join(got, " "), c.want)
		}
	}

	// Functions 1C does not support are refused with a Russian message.
	for _, f := range []string{"tolower(Description) eq 'ооо'", "toupper(Code) eq 'A'", "length(Code) eq 9",
		"indexof(Description, 'А') eq 1", "trim(Code) eq '1'", "concat(Code, 'x') eq 'x'", "Code mod 2 eq 0"} {
		r := e.do("GET", set+"?$format=json&$filter="+enc(f), "admin", nil)
		if r.status != 400 || errCode(t, r) != "6" || !strings.Contains(string(r.body), "не поддерживается") {
			t.Errorf("%s: %d %s", f, r.status, r.body)
		}
	}

	// $orderby asc/desc, $top, $skip, $inlinecount (a string), /$count (text/plain).
	if got := names(t, q("$format=json&$orderby=Description desc"), "Description"); strings.Join(got, "|") != "ООО «Ромашка»|ИП Лютиков|АО Василёк" {
		t.Errorf("orderby desc: %v", got)
	}
	if got := names(t, q("$format=json&$orderby=INN asc,Code desc"), "Code"); strings.Join(got, " ") != "000000002 000000003 000000001" {
		t.Errorf("orderby two keys: %v", got)
	}
	m = q("$format=json&$orderby=Code&$inlinecount=allpages&$top=1&$skip=1&allowedOnly=true")
	if m["odata.count"] != "3" || strings.Join(names(t, m, "Code"), " ") != "000000002" {
		t.Errorf("inlinecount/top/skip: %v", m)
	}
	r := e.do("GET", set+"/$count?$filter="+enc("startswith(Description,'ООО')"), "admin", nil)
	if r.status != 200 || string(r.body) != "1" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Errorf("$count: %d %q %s", r.status, r.body, r.header.Get("Content-Type"))
	}
	if r := e.do("GET", set+"/$count", "admin", nil); string(r.body) != "3" {
		t.Errorf("$count of tenant a: %s", r.body)
	}

	// An empty code is not in the (sparse) code index: eq '' must still find it.
	noCode := e.createLegal("hotel-a", "", "Без кода", "")
	if got := values(t, q("$format=json&$filter="+enc("Code eq ''"))); len(got) != 1 || got[0]["Ref_Key"] != noCode {
		t.Errorf("Code eq '': %v", got)
	}
	if got := names(t, q("$format=json&$orderby=Code&$filter="+enc("Code le '000000001'")), "Description"); strings.Join(got, ",") != "Без кода,ООО «Ромашка»" {
		t.Errorf("Code le: %v", got)
	}

	// Arithmetic, dates and guid literals on the document set and its rows.
	ref := e.newInvoice(romashka, map[string]any{"Description": "Проживание", "Quantity": 3, "Price": "3500"},
		map[string]any{"Description": "Завтрак", "Quantity": 2, "Price": "700.50"})
	rows := base + "Document_GuestInvoice_Items?$format=json&$filter="
	for f, want := range map[string]string{
		"Quantity mul Price gt 10000":                             "Проживание",
		"(Price add 0.5) div 2 eq 350.5":                          "Завтрак",
		"Price sub 500 eq 200.5 and Ref_Key eq guid'" + ref + "'": "Завтрак",
		"-Quantity lt -2":                                         "Проживание",
	} {
		if got := names(t, e.get(rows+enc(f)), "Description"); strings.Join(got, ",") != want {
			t.Errorf("%s: %v", f, got)
		}
	}
	docs := base + "Document_GuestInvoice?$format=json&$filter="
	for _, f := range []string{
		"year(Date) eq 2025 and month(Date) eq 3 and day(Date) eq 14",
		"hour(Date) eq 9 and minute(Date) eq 30 and second(Date) eq 0",
		"Date ge datetime'2025-03-14T00:00:00' and Date lt datetime'2025-03-15T00:00'",
		"Organization_Key eq guid'" + romashka + "'",
	} {
		if got := values(t, e.get(docs+enc(f))); len(got) != 1 {
			t.Errorf("%s: %d rows", f, len(got))
		}
	}

	// $expand of a reference and of a tabular part; $select leaves the rest out.
	d := values(t, e.get(base+"Document_GuestInvoice?$format=json&$select=Number,Organization_Key&$expand=Organization,Items"))[0]
	org, _ := d["Organization"].(map[string]any)
	if org["Description"] != "ООО «Ромашка»" || len(d["Items"].([]any)) != 2 || d["Comment"] != nil {
		t.Errorf("expand: %v", d)
	}
	if d := values(t, e.get(base+"Document_GuestInvoice?$format=json&$select=Number"))[0]; d["Items"] != nil || len(d) != 1 {
		t.Errorf("select without the tabular part: %v", d)
	}
	a := e.do("GET", base+"Document_GuestInvoice?$expand=Organization", "admin", nil)
	if !strings.Contains(string(a.body), "<m:inline><entry><id>") || !strings.Contains(string(a.body), "ООО «Ромашка»") {
		t.Errorf("atom expand: %s", a.body)
	}

	// Bad options are 400 with a clear message, never 500.
	for _, o := range []string{"$top=-1", "$skip=x", "$orderby=Nope", "$select=Nope", "$expand=Description",
		"$inlinecount=sometimes", "$filter=Code eq", "$filter=Code eq 1", "$filter=(Code eq '1'", "$bogus=1",
		"$filter=Owner/Description eq 'x'", "$filter=" + strings.Repeat("(", 200) + "true" + strings.Repeat(")", 200),
		"$skiptoken=garbage", "$filter=Code eq '1'&$filter=Code eq '2'", "allowedOnly=maybe", "$filter=EmisWebPassword eq 'x'"} {
		r := e.do("GET", set+"?$format=json&"+strings.ReplaceAll(o, " ", "%20"), "admin", nil)
		if r.status != 400 {
			t.Errorf("%s: %d %s", o, r.status, r.body)
		}
	}
}

// TestONEC19_OrderByAfterIndexedEq: an eq on a non-unique index fixes the index property
// only; $orderby on another property must still sort the matching rows.
func TestONEC19_OrderByAfterIndexedEq(t *testing.T) {
	e := newEnv(t, nil)
	set := base + "Catalog_LegalEntities"
	for _, code := range []string{"000000006", "000000005", "000000008", "000000007"} {
		e.createLegal("hotel-a", code, "ООО Дубль", "")
	}
	e.createLegal("hotel-a", "000000001", "ООО Другое", "")
	for _, c := range []struct{ order, want string }{
		{"Code desc", "000000008 000000007 000000006 000000005"},
		{"Code", "000000005 000000006 000000007 000000008"},
	} {
		m := e.get(set + "?$format=json&$filter=" + url.QueryEscape("Description eq 'ООО Дубль'") +
			"&$orderby=" + url.QueryEscape(c.order))
		if got := strings.Join(names(t, m, "Code"), " "); got != c.want {
			t.Errorf("$orderby=%s after an indexed eq: %s, want %s", c.order, got, c.want)
		}
	}
}
