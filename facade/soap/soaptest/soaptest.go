// Package soaptest calls the hub's SOAP services the plain way a test needs: a SOAP 1.1
// envelope over real HTTP with Basic auth, the answer split into the operation's response
// element or the fault with the hub's error detail. Each service's tests build their own body.
package soaptest

import (
	"encoding/xml"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// Fault is a SOAP 1.1 fault with the hub's Error detail (stable code, Russian message).
type Fault struct {
	Code, String string
	Detail       struct{ Code, Message string }
}

// Result is one answer.
type Result struct {
	Status int
	Body   []byte // the operation's response element
	Raw    string
	Fault  *Fault
}

// Call posts body (the content of soap:Body) to url as SOAP 1.1 with the SOAPAction action.
func Call(t testing.TB, url, action, user, pass, body string) Result {
	t.Helper()
	env := `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
		body + `</soap:Body></soap:Envelope>`
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(env))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"`+action+`"`)
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var parsed struct {
		Body struct {
			Inner []byte `xml:",innerxml"`
			Fault *struct {
				Code   string `xml:"faultcode"`
				String string `xml:"faultstring"`
				Detail struct {
					Error struct {
						Code    string `xml:"http://stykovka.ru/hub Code"`
						Message string `xml:"http://stykovka.ru/hub Message"`
					} `xml:"http://stykovka.ru/hub Error"`
				} `xml:"detail"`
			} `xml:"Fault"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal(raw, &parsed); err != nil {
		t.Fatalf("%s: %d %v\n%s", action, resp.StatusCode, err, raw)
	}
	out := Result{Status: resp.StatusCode, Body: parsed.Body.Inner, Raw: string(raw)}
	if f := parsed.Body.Fault; f != nil {
		out.Fault = &Fault{Code: f.Code, String: f.String}
		out.Fault.Detail.Code, out.Fault.Detail.Message = f.Detail.Error.Code, f.Detail.Error.Message
	}
	return out
}

// Decode reads the response element into v (a generated type), failing the test on a fault.
// v is zeroed first: xml.Unmarshal appends to lists of a variable reused for several answers.
func (r Result) Decode(t testing.TB, v any) {
	t.Helper()
	if r.Fault != nil {
		t.Fatalf("fault %+v", r.Fault)
	}
	rv := reflect.ValueOf(v).Elem()
	rv.Set(reflect.Zero(rv.Type()))
	if err := xml.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("%v\n%s", err, r.Raw)
	}
}
