package soap_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/facade/soap"
)

func TestHostileInput(t *testing.T) {
	srv := server(t, func(o *soap.Options) { o.MaxBody = 64 << 10; o.MaxDepth = 16 })
	url := srv.URL + "/ws/Probe"
	deep := strings.Repeat("<m:x>", 40) + strings.Repeat("</m:x>", 40)
	for _, c := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"doctype", `<?xml version="1.0"?><!DOCTYPE soap:Envelope [<!ENTITY a "aaaaaaaa">]>` + env11(`<m:Zeroes xmlns:m="`+probeNS+`">&a;</m:Zeroes>`), 500, "SOAP_DTD_FORBIDDEN"},
		{"entity only", `<!ENTITY x SYSTEM "file:///etc/passwd">` + env11(pingBody), 500, "SOAP_DTD_FORBIDDEN"},
		{"undeclared entity", env11(`<m:Zeroes xmlns:m="` + probeNS + `">&xxe;</m:Zeroes>`), 500, "SOAP_MALFORMED"},
		{"too deep", env11(`<m:Zeroes xmlns:m="` + probeNS + `">` + deep + `</m:Zeroes>`), 500, "SOAP_TOO_DEEP"},
		{"too deep in header", `<soap:Envelope xmlns:soap="` + ns11 + `"><soap:Header>` + deep + `</soap:Header><soap:Body/></soap:Envelope>`, 500, "SOAP_TOO_DEEP"},
		{"too large", env11(`<m:Fail xmlns:m="` + probeNS + `"><m:Kind>` + strings.Repeat("x", 70<<10) + `</m:Kind></m:Fail>`), 413, "SOAP_TOO_LARGE"},
		{"empty body", ``, 500, "SOAP_MALFORMED"},
		{"whitespace body", "  \n ", 500, "SOAP_MALFORMED"},
		{"not xml", `hello`, 500, "SOAP_MALFORMED"},
		{"truncated", env11(`<m:Zeroes xmlns:m="` + probeNS + `"/>`)[:60], 500, "SOAP_MALFORMED"},
		{"not an envelope", `<Envelope><Body/></Envelope>`, 500, "SOAP_MALFORMED"},
		{"no body", `<soap:Envelope xmlns:soap="` + ns11 + `"><soap:Header/></soap:Envelope>`, 500, "SOAP_MALFORMED"},
		{"empty soap body", env11(``), 500, "SOAP_EMPTY_BODY"},
		{"two operations", env11(`<m:Zeroes xmlns:m="` + probeNS + `"/><m:Zeroes xmlns:m="` + probeNS + `"/>`), 500, "SOAP_MALFORMED"},
		{"text in body", env11(`oops<m:Zeroes xmlns:m="` + probeNS + `"/>`), 500, "SOAP_MALFORMED"},
		{"trailing element", env11(`<m:Zeroes xmlns:m="`+probeNS+`"/>`) + `<x/>`, 500, "SOAP_MALFORMED"},
		{"trailing text", env11(`<m:Zeroes xmlns:m="`+probeNS+`"/>`) + `junk`, 500, "SOAP_MALFORMED"},
		{"body before header", `<soap:Envelope xmlns:soap="` + ns11 + `"><soap:Body><m:Zeroes xmlns:m="` + probeNS + `"/></soap:Body><soap:Header/></soap:Envelope>`, 500, "SOAP_MALFORMED"},
		{"mismatched tags", env11(`<m:Zeroes xmlns:m="` + probeNS + `"></m:Other>`), 500, "SOAP_MALFORMED"},
		{"undeclared prefix", env11(`<q:Zeroes/>`), 500, "SOAP_UNKNOWN_OPERATION"},
		{"windows-1251 declaration", `<?xml version="1.0" encoding="windows-1251"?>` + env11(`<m:Zeroes xmlns:m="`+probeNS+`"/>`), 500, "SOAP_MALFORMED"},
		{"unknown operation", env11(`<m:DropTables xmlns:m="` + probeNS + `"/>`), 500, "SOAP_UNKNOWN_OPERATION"},
		{"text in a complex element", env11(`<m:Zeroes xmlns:m="` + probeNS + `">text</m:Zeroes>`), 500, "SOAP_UNEXPECTED_TEXT"},
		{"must understand header", `<soap:Envelope xmlns:soap="` + ns11 + `"><soap:Header><w:Security xmlns:w="urn:x" soap:mustUnderstand="1"/></soap:Header><soap:Body><m:Zeroes xmlns:m="` + probeNS + `"/></soap:Body></soap:Envelope>`, 500, "SOAP_MUST_UNDERSTAND"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, "POST", url, ct11, c.body, "SOAPAction", `""`)
			code := "Client"
			if c.code == "SOAP_MUST_UNDERSTAND" {
				code = "MustUnderstand"
			}
			expectFault(t, r, c.status, 11, code, c.code)
		})
	}
	// An ignorable header is ignored; a BOM is allowed.
	ok := "\xef\xbb\xbf" + `<?xml version="1.0" encoding="UTF-8"?><!-- 1C --><soap:Envelope xmlns:soap="` + ns11 + `"><soap:Header><w:Trace xmlns:w="urn:x">1</w:Trace></soap:Header><soap:Body><m:Zeroes xmlns:m="` + probeNS + `"/></soap:Body></soap:Envelope>`
	if r := do(t, "POST", url, ct11, ok); r.status != 200 {
		t.Fatalf("benign envelope: %d\n%s", r.status, r.body)
	}
	// Other methods and unknown services.
	r := do(t, "PUT", url, ct11, env11(pingBody))
	if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") == "" {
		t.Fatalf("PUT: %d %q", r.status, r.header.Get("Allow"))
	}
	expectFault(t, r, 405, 11, "Client", "SOAP_METHOD")
	expectFault(t, call(t, srv.URL+"/ws/Nowhere", 12, pingBody), 404, 12, "Receiver", "SOAP_UNKNOWN_SERVICE")
	expectFault(t, do(t, "GET", srv.URL+"/ws/Nowhere.1cws?wsdl", "", ""), 404, 11, "Server", "SOAP_UNKNOWN_SERVICE")
}

// TestBodyLimitWithoutContentLength sends a chunked body past the limit: the size check
// cannot rely on the declared length.
func TestBodyLimitWithoutContentLength(t *testing.T) {
	srv := server(t, func(o *soap.Options) { o.MaxBody = 1024 })
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte(`<soap:Envelope xmlns:soap="` + ns11 + `"><soap:Body><m:Fail xmlns:m="` + probeNS + `"><m:Kind>`))
		_, _ = pw.Write(bytes.Repeat([]byte("x"), 4096))
		_ = pw.Close()
	}()
	req, _ := http.NewRequest("POST", srv.URL+"/ws/Probe", pr)
	req.SetBasicAuth(user, password)
	req.Header.Set("Content-Type", ct11)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if req.ContentLength > 0 {
		t.Fatalf("the request declared its length")
	}
	expectFault(t, response{res.StatusCode, res.Header, string(b)}, 413, 11, "Client", "SOAP_TOO_LARGE")
}

// TestCallTimeBounded: an operation that ignores its context cannot hold the caller past
// the bound; the caller gets a fault.
func TestCallTimeBounded(t *testing.T) {
	srv := server(t, func(o *soap.Options) { o.Timeout = 50 * time.Millisecond })
	r := call(t, srv.URL+"/ws/Probe", 12, `<m:Sleep xmlns:m="`+probeNS+`"><m:Millis>2000</m:Millis></m:Sleep>`)
	expectFault(t, r, 500, 12, "Receiver", "SOAP_TIMEOUT")
	r = call(t, srv.URL+"/ws/Probe", 12, `<m:Sleep xmlns:m="`+probeNS+`"><m:Millis>0</m:Millis></m:Sleep>`)
	mustContain(t, r.body, `XMLSchema-instance">0</m:return>`)
}

// TestCaptured1CRequest replays a call as the 1C:Enterprise 8.3 platform's WSПрокси sends it
// for the SOAP 1.2 port: raw bytes on a TCP connection, prefix m:, the action in the
// Content-Type, Basic auth of a Cyrillic user in UTF-8, no SOAPAction header.
func TestCaptured1CRequest(t *testing.T) {
	srv := server(t, nil)
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, op := range []struct{ body, want string }{
		{`<m:Ping xmlns:m="http://stykovka.ru/hub"/>`, `<m:return xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` + wantPong + `</m:return>`},
		{`<m:GetVersions xmlns:m="http://stykovka.ru/hub"/>`, `<m:Item><m:Service>Hub</m:Service><m:Version>1.1</m:Version></m:Item>`},
	} {
		action := "Ping"
		if strings.Contains(op.body, "GetVersions") {
			action = "GetVersions"
		}
		body := `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">` + "\r\n" +
			`<soap:Header/>` + "\r\n" + `<soap:Body>` + "\r\n" + op.body + "\r\n" + `</soap:Body>` + "\r\n" + `</soap:Envelope>`
		raw := "POST /ws/Hub.1cws HTTP/1.1\r\n" +
			"Host: " + host + "\r\n" +
			"User-Agent: 1C+Enterprise/8.3\r\n" +
			"Content-Type: application/soap+xml; charset=utf-8; action=\"http://stykovka.ru/hub#Hub:" + action + "\"\r\n" +
			"Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("Администратор:пароль")) + "\r\n" +
			"Content-Length: " + strconv.Itoa(len(body)) + "\r\n" +
			"Connection: close\r\n" +
			"Accept: */*\r\n\r\n" + body
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write([]byte(raw)); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		conn.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != ct12 {
			t.Fatalf("%s: %d %q\n%s", action, res.StatusCode, res.Header.Get("Content-Type"), b)
		}
		mustContain(t, string(b), `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header/><soap:Body><m:`+action+`Response xmlns:m="http://stykovka.ru/hub">`, op.want)
	}
}

// FuzzEnvelope drives the whole handler with arbitrary bodies in both SOAP versions: it
// must never panic, never answer 200 to a request it did not understand, and always answer
// with a well-formed SOAP envelope.
func FuzzEnvelope(f *testing.F) {
	for _, s := range []string{
		env11(pingBody), env12(pingBody), env12(echoRecord), env11(`<m:Zeroes xmlns:m="` + probeNS + `"/>`),
		env11(`<m:Fail xmlns:m="` + probeNS + `"><m:Kind>invalid</m:Kind></m:Fail>`),
		`<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`, "", "<", env11(""), strings.Repeat("<a>", 100),
		`<soap:Envelope xmlns:soap="` + ns11 + `"><soap:Header><h soap:mustUnderstand="1" xmlns:h="urn:h"/></soap:Header><soap:Body/></soap:Envelope>`,
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	probe := probeService()
	h := soap.NewHandler(soap.Options{Auth: testUsers, Location: tenantZones, MaxBody: 64 << 10, Timeout: 20 * time.Millisecond, Logger: discard()}, probe)
	f.Fuzz(func(t *testing.T, body string, v12 bool) {
		ct := ct11
		if v12 {
			ct = ct12
		}
		req := httptest.NewRequest("POST", "/ws/Probe", strings.NewReader(body))
		req.SetBasicAuth(user, password)
		req.Header.Set("Content-Type", ct)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		res := response{rec.Code, rec.Header(), rec.Body.String()}
		if res.status == 200 {
			if !strings.Contains(res.body, "Response xmlns:m=") {
				t.Fatalf("200 without a response element:\n%s", res.body)
			}
			return
		}
		f := parseFault(t, res.body)
		if f.Detail.Code == "" || (f.Version == "1.2") != v12 {
			t.Fatalf("bad fault for %q:\n%s", body, res.body)
		}
	})
}
