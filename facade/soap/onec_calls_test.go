package soap_test

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"

	"github.com/stykovka/stykovka/facade/hubsvc"
	"github.com/stykovka/stykovka/facade/soap"
)

const pingBody = `<m:Ping xmlns:m="` + hubNS + `"/>`

// pingReturn extracts <return> of a PingResponse of either version.
func pingReturn(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Body struct {
			Resp struct {
				Return string `xml:"http://stykovka.ru/hub return"`
			} `xml:"http://stykovka.ru/hub PingResponse"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal([]byte(body), &e); err != nil || e.Body.Resp.Return == "" {
		t.Fatalf("not a PingResponse (%v):\n%s", err, body)
	}
	return e.Body.Resp.Return
}

var wantPong = hubsvc.Pong(tenant, "2025-03-01T12:30:00")

func TestONEC06_PostAtServiceAndWSDLURL(t *testing.T) {
	srv := server(t, nil)
	for _, path := range []string{"/ws/Hub", "/ws/Hub.1cws", "/ws/Hub?wsdl", "/ws/Hub.1cws?wsdl", "/ws/Hub?WSDL", "/ws/hub", "/ws/HUB.1CWS"} {
		for _, ver := range []int{11, 12} {
			r := call(t, srv.URL+path, ver, pingBody)
			if r.status != 200 {
				t.Fatalf("POST %s (SOAP %d): %d\n%s", path, ver, r.status, r.body)
			}
			if got := pingReturn(t, r.body); got != wantPong {
				t.Fatalf("POST %s: %q", path, got)
			}
		}
	}
}

func TestONEC07_SOAP11AndSOAP12(t *testing.T) {
	srv := server(t, nil)
	for _, c := range []struct {
		name, ct, env, wantCT, wantNS string
		hdr                           []string
	}{
		{"1.1", "text/xml; charset=utf-8", env11(pingBody), ct11, ns11, []string{"SOAPAction", `"http://stykovka.ru/hub#Hub:Ping"`}},
		{"1.1 without SOAPAction", "text/xml", env11(pingBody), ct11, ns11, nil},
		{"1.2 with action", `application/soap+xml; charset=utf-8; action="http://stykovka.ru/hub#Hub:Ping"`, env12(pingBody), ct12, ns12, nil},
		{"1.2 without action", "application/soap+xml", env12(pingBody), ct12, ns12, nil},
		{"1.2 upper-case charset", "application/soap+xml;charset=UTF-8", env12(pingBody), ct12, ns12, nil},
	} {
		r := do(t, "POST", srv.URL+"/ws/Hub", c.ct, c.env, c.hdr...)
		if r.status != 200 || r.header.Get("Content-Type") != c.wantCT {
			t.Fatalf("%s: %d %q\n%s", c.name, r.status, r.header.Get("Content-Type"), r.body)
		}
		if !strings.HasPrefix(r.body, `<soap:Envelope xmlns:soap="`+c.wantNS+`">`) {
			t.Fatalf("%s: answered in the wrong version:\n%s", c.name, r.body)
		}
		pingReturn(t, r.body)
	}
	// A 1.2 envelope sent as text/xml (or the reverse) is a VersionMismatch fault.
	expectFault(t, do(t, "POST", srv.URL+"/ws/Hub", ct11, env12(pingBody)), 500, 11, "VersionMismatch", "SOAP_VERSION_MISMATCH")
	expectFault(t, do(t, "POST", srv.URL+"/ws/Hub", ct12, env11(pingBody)), 500, 12, "VersionMismatch", "SOAP_VERSION_MISMATCH")
	// Neither SOAP media type: a fault, never a 200.
	for _, ct := range []string{"application/json", "", "text/plain", "text/xml; charset=windows-1251", "garbage;;"} {
		expectFault(t, do(t, "POST", srv.URL+"/ws/Hub", ct, env11(pingBody)), 500, 11, "Client", "SOAP_CONTENT_TYPE")
	}
	expectFault(t, do(t, "POST", srv.URL+"/ws/Hub", "application/soap+xml; charset=koi8-r", env12(pingBody)), 500, 12, "Sender", "SOAP_CONTENT_TYPE")
}

func TestONEC08_DispatchByBodyElement(t *testing.T) {
	srv := server(t, nil)
	for _, body := range []string{
		`<m:Ping xmlns:m="` + hubNS + `"/>`,
		`<tns:Ping xmlns:tns="` + hubNS + `"></tns:Ping>`,
		`<Ping xmlns="` + hubNS + `"/>`,
		`<ns0:Ping xmlns:ns0="` + hubNS + `">  </ns0:Ping>`,
	} {
		for _, ver := range []int{11, 12} {
			// SOAPAction names another operation: only a hint, the body decides.
			r := call(t, srv.URL+"/ws/Hub", ver, body, "SOAPAction", `"http://stykovka.ru/hub#Hub:GetVersions"`)
			if r.status != 200 {
				t.Fatalf("%s: %d\n%s", body, r.status, r.body)
			}
			if got := pingReturn(t, r.body); got != wantPong {
				t.Fatalf("%s: %q", body, got)
			}
		}
	}
	// A namespace declared on the envelope (as npm soap does) works too.
	env := `<soap:Envelope xmlns:soap="` + ns11 + `" xmlns:h="` + hubNS + `"><soap:Body><h:Ping/></soap:Body></soap:Envelope>`
	if r := do(t, "POST", srv.URL+"/ws/Hub", ct11, env); r.status != 200 {
		t.Fatalf("envelope-level prefix: %d\n%s", r.status, r.body)
	}
	for _, ver := range []int{11, 12} {
		code := map[int]string{11: "Client", 12: "Sender"}[ver]
		expectFault(t, call(t, srv.URL+"/ws/Hub", ver, `<m:Pong xmlns:m="`+hubNS+`"/>`), 500, ver, code, "SOAP_UNKNOWN_OPERATION")
		expectFault(t, call(t, srv.URL+"/ws/Hub", ver, `<m:Ping xmlns:m="http://example.org/other"/>`), 500, ver, code, "SOAP_UNKNOWN_OPERATION")
		expectFault(t, call(t, srv.URL+"/ws/Hub", ver, `<Ping/>`), 500, ver, code, "SOAP_UNKNOWN_OPERATION")
		// The Probe's operation at the Hub's URL is not the Hub's.
		expectFault(t, call(t, srv.URL+"/ws/Hub", ver, `<m:Zeroes xmlns:m="`+probeNS+`"/>`), 500, ver, code, "SOAP_UNKNOWN_OPERATION")
	}
}

func TestONEC09_ResponseShapeLike1C(t *testing.T) {
	srv := server(t, nil)
	want11 := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header/><soap:Body>` +
		`<m:PingResponse xmlns:m="http://stykovka.ru/hub"><m:return xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		wantPong + `</m:return></m:PingResponse></soap:Body></soap:Envelope>`
	if r := call(t, srv.URL+"/ws/Hub", 11, pingBody); r.body != want11 {
		t.Fatalf("SOAP 1.1 Ping:\n got %s\nwant %s", r.body, want11)
	}
	want12 := strings.Replace(want11, ns11, ns12, 1)
	if r := call(t, srv.URL+"/ws/Hub", 12, pingBody); r.body != want12 {
		t.Fatalf("SOAP 1.2 Ping:\n got %s\nwant %s", r.body, want12)
	}
	wantVersions := `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header/><soap:Body>` +
		`<m:GetVersionsResponse xmlns:m="http://stykovka.ru/hub"><m:return xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		`<m:Item><m:Service>Hub</m:Service><m:Version>1.1</m:Version></m:Item>` +
		`<m:Item><m:Service>Probe</m:Service><m:Version>2.1</m:Version></m:Item>` +
		`</m:return></m:GetVersionsResponse></soap:Body></soap:Envelope>`
	if r := call(t, srv.URL+"/ws/Hub", 12, `<m:GetVersions xmlns:m="`+hubNS+`"/>`); r.body != wantVersions {
		t.Fatalf("GetVersions:\n got %s\nwant %s", r.body, wantVersions)
	}
}

const echoRecord = `<m:Echo xmlns:m="` + probeNS + `"><m:Record>` +
	`<m:Text>Счёт &lt;1&gt; &amp; «2»</m:Text><m:Amount>0.1</m:Amount><m:When>2025-03-01T23:30:00</m:When>` +
	`<m:Flag>false</m:Flag><m:Count>0</m:Count><m:Data>AAEC</m:Data>` +
	`<m:Lines><m:Item><m:Name>a</m:Name><m:Amount>0.2</m:Amount></m:Item><m:Item><m:Name></m:Name><m:Amount>1234.50</m:Amount></m:Item></m:Lines>` +
	`<m:Total>0</m:Total></m:Record></m:Echo>`

func TestONEC10_DatesAndMoney(t *testing.T) {
	srv := server(t, nil)
	r := call(t, srv.URL+"/ws/Probe", 12, echoRecord)
	if r.status != 200 {
		t.Fatalf("%d\n%s", r.status, r.body)
	}
	mustContain(t, r.body,
		// Money is exact: 0.1 + 0.2 + 1234.50 = 1234.80, the scale kept.
		`<m:Total>1234.80</m:Total>`, `<m:Amount>0.1</m:Amount>`, `<m:Amount>1234.50</m:Amount>`,
		// A date without an offset is the tenant's wall clock: a day later, same wall time, no offset.
		`<m:When>2025-03-02T23:30:00</m:When>`,
		// Required false, 0 and "" are written, not dropped.
		`<m:Flag>false</m:Flag>`, `<m:Count>0</m:Count>`, `<m:Name/>`,
		`<m:Text>Счёт &lt;1&gt; &amp; «2»</m:Text>`, `<m:Data>AAEC</m:Data>`, `<m:LineCount xmlns:xs=`)
	if strings.Contains(r.body, "<m:Note") {
		t.Fatalf("absent optional Note was written:\n%s", r.body)
	}

	// A date with an offset is an instant, written back in the tenant's zone without one.
	withZ := strings.Replace(echoRecord, "2025-03-01T23:30:00", "2025-03-01T20:30:00Z", 1)
	mustContain(t, call(t, srv.URL+"/ws/Probe", 11, withZ).body, `<m:When>2025-03-02T23:30:00</m:When>`)
	// The same request from a tenant in Vladivostok (UTC+10).
	east := call(t, srv.URL+"/ws/Probe", 11, withZ, "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("vladivostok:secret")))
	mustContain(t, east.body, `<m:When>2025-03-03T06:30:00</m:When>`)
	// 1C's empty date goes both ways.
	empty := strings.Replace(echoRecord, "2025-03-01T23:30:00", "0001-01-01T00:00:00", 1)
	mustContain(t, call(t, srv.URL+"/ws/Probe", 12, empty).body, `<m:When>0001-01-01T00:00:00</m:When>`)

	// A response with nothing set still carries every required element, with zero values;
	// the required nillable Stamp is xsi:nil, the optional Note is left out.
	z := call(t, srv.URL+"/ws/Probe", 12, `<m:Zeroes xmlns:m="`+probeNS+`"/>`)
	wantZ := `<m:ZeroesResponse xmlns:m="http://stykovka.ru/probe"><m:return xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		`<m:Text/><m:Amount>0</m:Amount><m:When>0001-01-01T00:00:00</m:When><m:Flag>false</m:Flag><m:Count>0</m:Count><m:Data/><m:Lines/><m:Total>0</m:Total></m:return>` +
		`<m:Stamp xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/></m:ZeroesResponse>`
	mustContain(t, z.body, wantZ)

	// Malformed scalars are refused with the element named.
	for _, c := range []struct{ from, to, code string }{
		{"<m:Amount>0.1</m:Amount>", "<m:Amount>1e3</m:Amount>", "SOAP_BAD_VALUE"},
		{"<m:Amount>0.1</m:Amount>", "<m:Amount>0,1</m:Amount>", "SOAP_BAD_VALUE"},
		{"2025-03-01T23:30:00", "01.03.2025 23:30:00", "SOAP_BAD_VALUE"},
		{"<m:Flag>false</m:Flag>", "<m:Flag>нет</m:Flag>", "SOAP_BAD_VALUE"},
		{"<m:Count>0</m:Count>", "<m:Count>99999999999</m:Count>", "SOAP_BAD_VALUE"},
		{"<m:Data>AAEC</m:Data>", "<m:Data>***</m:Data>", "SOAP_BAD_VALUE"},
		{"<m:Amount>0.1</m:Amount>", "", "SOAP_MISSING_ELEMENT"},
		{"<m:Flag>false</m:Flag>", "<m:Flag>false</m:Flag><m:Flag>true</m:Flag>", "SOAP_DUPLICATE_ELEMENT"},
		{"<m:Flag>false</m:Flag>", `<m:Flag xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>`, "SOAP_NIL_NOT_ALLOWED"},
		{"<m:Flag>false</m:Flag>", "<m:Flag>false</m:Flag><m:Extra>1</m:Extra>", "SOAP_UNKNOWN_ELEMENT"},
		{"<m:Text>", "<m:Text>" + strings.Repeat("x", 101), "SOAP_VALIDATION"},
	} {
		bad := strings.Replace(echoRecord, c.from, c.to, 1)
		f := expectFault(t, call(t, srv.URL+"/ws/Probe", 12, bad), 500, 12, "Sender", c.code)
		if c.code == "SOAP_BAD_VALUE" && !strings.Contains(f.String, "«") {
			t.Errorf("%s: message does not name the element: %q", c.to, f.String)
		}
	}
	// An optional element sent as xsi:nil stays absent.
	nilNote := strings.Replace(echoRecord, "<m:Total>", `<m:Note xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/><m:Total>`, 1)
	if r := call(t, srv.URL+"/ws/Probe", 12, nilNote); r.status != 200 || strings.Contains(r.body, "Note") {
		t.Fatalf("nil Note: %d\n%s", r.status, r.body)
	}
	withNote := strings.Replace(echoRecord, "<m:Total>", `<m:Note></m:Note><m:Total>`, 1)
	mustContain(t, call(t, srv.URL+"/ws/Probe", 12, withNote).body, `<m:Note/>`)
}

func TestONEC11_Faults(t *testing.T) {
	if soap.FaultNamespace != hubNS {
		t.Fatalf("fault detail namespace %q is not the Hub's", soap.FaultNamespace)
	}
	srv := server(t, nil)
	fail := func(kind string) string {
		return `<m:Fail xmlns:m="` + probeNS + `"><m:Kind>` + kind + `</m:Kind></m:Fail>`
	}
	for _, c := range []struct {
		kind, code11, code12, detail, message string
	}{
		{"invalid", "Client", "Sender", "PROBE_INVALID", "Неверный запрос <пробы> & «кавычки»"},
		{"notfound", "Server", "Receiver", "PROBE_NOT_FOUND", "Объект не найден"},
		{"plain", "Server", "Receiver", "INTERNAL", "Внутренняя ошибка сервиса"},
		{"panic", "Server", "Receiver", "INTERNAL", "Внутренняя ошибка сервиса"},
	} {
		f := expectFault(t, call(t, srv.URL+"/ws/Probe", 11, fail(c.kind)), 500, 11, c.code11, c.detail)
		if f.String != c.message {
			t.Errorf("%s 1.1: faultstring %q", c.kind, f.String)
		}
		f = expectFault(t, call(t, srv.URL+"/ws/Probe", 12, fail(c.kind)), 500, 12, c.code12, c.detail)
		if f.String != c.message || f.Lang != "ru" {
			t.Errorf("%s 1.2: Reason/Text %q lang %q", c.kind, f.String, f.Lang)
		}
	}
	// The exact SOAP 1.1 shape.
	r := call(t, srv.URL+"/ws/Probe", 11, fail("notfound"))
	want := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header/><soap:Body><soap:Fault>` +
		`<faultcode>soap:Server</faultcode><faultstring>Объект не найден</faultstring>` +
		`<detail><h:Error xmlns:h="http://stykovka.ru/hub"><h:Code>PROBE_NOT_FOUND</h:Code><h:Message>Объект не найден</h:Message></h:Error></detail>` +
		`</soap:Fault></soap:Body></soap:Envelope>`
	if r.body != want {
		t.Fatalf("SOAP 1.1 fault:\n got %s\nwant %s", r.body, want)
	}
	// The exact SOAP 1.2 shape.
	r = call(t, srv.URL+"/ws/Probe", 12, fail("invalid"))
	want = `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header/><soap:Body><soap:Fault>` +
		`<soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="ru">Неверный запрос &lt;пробы&gt; &amp; «кавычки»</soap:Text></soap:Reason>` +
		`<soap:Detail><h:Error xmlns:h="http://stykovka.ru/hub"><h:Code>PROBE_INVALID</h:Code><h:Message>Неверный запрос &lt;пробы&gt; &amp; «кавычки»</h:Message></h:Error></soap:Detail>` +
		`</soap:Fault></soap:Body></soap:Envelope>`
	if r.body != want {
		t.Fatalf("SOAP 1.2 fault:\n got %s\nwant %s", r.body, want)
	}
	// A successful Fail call returns a required false.
	mustContain(t, call(t, srv.URL+"/ws/Probe", 11, fail("none")).body, `XMLSchema-instance">false</m:return>`)
}

func TestONEC12_BasicAuthEverywhere(t *testing.T) {
	srv := server(t, nil)
	noAuth := []string{"Authorization", ""}
	wrong := []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":неверный"))}
	// The WSDL needs credentials too.
	for _, hdr := range [][]string{noAuth, wrong} {
		r := do(t, "GET", srv.URL+"/ws/Hub?wsdl", "", "", hdr...)
		if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), `Basic realm=`) {
			t.Fatalf("WSDL without valid credentials: %d %q", r.status, r.header.Get("WWW-Authenticate"))
		}
		expectFault(t, r, 401, 11, "Client", map[bool]string{true: "AUTH_REQUIRED", false: "AUTH_FAILED"}[hdr[1] == ""])
	}
	// Calls: 401 with a fault in the request's version.
	for _, ver := range []int{11, 12} {
		code := map[int]string{11: "Client", 12: "Sender"}[ver]
		r := call(t, srv.URL+"/ws/Hub", ver, pingBody, noAuth...)
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), `Basic realm="`) {
			t.Fatalf("no challenge: %q", r.header.Get("WWW-Authenticate"))
		}
		f := expectFault(t, r, 401, ver, code, "AUTH_REQUIRED")
		if !strings.Contains(f.String, "аутентификац") {
			t.Errorf("message %q", f.String)
		}
		expectFault(t, call(t, srv.URL+"/ws/Hub", ver, pingBody, wrong...), 401, ver, code, "AUTH_FAILED")
	}
	// A Cyrillic user name in UTF-8 works, and Ping tells whose tenant it is.
	r := call(t, srv.URL+"/ws/Hub", 12, pingBody, "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("Администратор:пароль")))
	if r.status != 200 || pingReturn(t, r.body) != wantPong {
		t.Fatalf("Cyrillic user: %d\n%s", r.status, r.body)
	}
	// Ping exists (ONEC.md 12), and answers in the caller's tenant zone.
	r = call(t, srv.URL+"/ws/Hub", 11, pingBody, "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("vladivostok:secret")))
	if got := pingReturn(t, r.body); got != hubsvc.Pong("east", "2025-03-01T19:30:00") {
		t.Fatalf("Ping for east: %q", got)
	}
}
