package soap_test

import (
	"context"
	_ "embed"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/facade/auth"
	"github.com/stykovka/stykovka/facade/hubsvc"
	"github.com/stykovka/stykovka/facade/soap"
	"github.com/stykovka/stykovka/facade/soap/xsd"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/money"
)

// Test credentials: a Cyrillic user name, as 1C bases have.
const (
	user     = "Администратор"
	password = "пароль"
	tenant   = "demo"
	probeNS  = "http://stykovka.ru/probe"
	hubNS    = "http://stykovka.ru/hub"
	ns11     = "http://schemas.xmlsoap.org/soap/envelope/"
	ns12     = "http://www.w3.org/2003/05/soap-envelope"
)

// users is the in-test Authenticator: the real user registry is another package's.
type users map[string]struct {
	password string
	p        auth.Principal
}

func (u users) Authenticate(_ context.Context, name, pass string) (auth.Principal, error) {
	if e, ok := u[name]; ok && e.password == pass {
		return e.p, nil
	}
	return auth.Principal{}, apperr.New(apperr.Unauthorized, "AUTH_FAILED", "Неверное имя пользователя или пароль")
}

var testUsers = users{
	user:          {password, auth.Principal{Tenant: tenant, User: user}},
	"vladivostok": {"secret", auth.Principal{Tenant: "east", User: "vladivostok"}},
}

// tenantZones gives each test tenant its zone (ONEC.md 10).
func tenantZones(t string) *time.Location {
	if t == "east" {
		return time.FixedZone("VLAT", 10*3600)
	}
	return soap.Moscow
}

//go:embed testdata/Probe.wsdl
var probeWSDL []byte

// The Probe types below are gowsdl v0.5.0 + wsdl/internal/fixtypes output for
// testdata/Probe.wsdl, copied (client code left out).

type Echo struct {
	XMLName xml.Name `xml:"http://stykovka.ru/probe Echo"`

	Record *Record `xml:"Record,omitempty" json:"Record,omitempty"`
}

type EchoResponse struct {
	XMLName xml.Name `xml:"http://stykovka.ru/probe EchoResponse"`

	Return_ *Record `xml:"return,omitempty" json:"return,omitempty"`

	LineCount int32 `xml:"LineCount,omitempty" json:"LineCount,omitempty"`
}

type Zeroes struct {
	XMLName xml.Name `xml:"http://stykovka.ru/probe Zeroes"`
}

type ZeroesResponse struct {
	XMLName xml.Name `xml:"http://stykovka.ru/probe ZeroesResponse"`

	Return_ *Record `xml:"return,omitempty" json:"return,omitempty"`

	Stamp *xsd.DateTime `xml:"Stamp,omitempty" json:"Stamp,omitempty"`
}

type Fail struct {
	XMLName xml.Name `xml:"http://stykovka.ru/probe Fail"`

	Kind string `xml:"Kind,omitempty" json:"Kind,omitempty"`
}

type FailResponse struct {
	XMLName xml.Name `xml:"http://stykovka.ru/probe FailResponse"`

	Return_ bool `xml:"return,omitempty" json:"return,omitempty"`
}

type Sleep struct {
	XMLName xml.Name `xml:"http://stykovka.ru/probe Sleep"`

	Millis int32 `xml:"Millis,omitempty" json:"Millis,omitempty"`
}

type SleepResponse struct {
	XMLName xml.Name `xml:"http://stykovka.ru/probe SleepResponse"`

	Return_ int32 `xml:"return,omitempty" json:"return,omitempty"`
}

type Line struct {
	Name string `xml:"Name,omitempty" json:"Name,omitempty"`

	Amount money.Decimal `xml:"Amount,omitempty" json:"Amount,omitempty"`
}

type LineList struct {
	Item []*Line `xml:"Item,omitempty" json:"Item,omitempty"`
}

type Record struct {
	Text string `xml:"Text,omitempty" json:"Text,omitempty"`

	Amount money.Decimal `xml:"Amount,omitempty" json:"Amount,omitempty"`

	When xsd.DateTime `xml:"When,omitempty" json:"When,omitempty"`

	Flag bool `xml:"Flag,omitempty" json:"Flag,omitempty"`

	Count int32 `xml:"Count,omitempty" json:"Count,omitempty"`

	Data xsd.Base64Binary `xml:"Data,omitempty" json:"Data,omitempty"`

	Note *string `xml:"Note,omitempty" json:"Note,omitempty"`

	Lines *LineList `xml:"Lines,omitempty" json:"Lines,omitempty"`

	Total money.Decimal `xml:"Total,omitempty" json:"Total,omitempty"`
}

// probeService is the test service: Echo returns the record it got with Total = Amount +
// the lines' amounts and its date moved a day on; Zeroes returns nothing at all (the
// encoder must still write every required element); Fail fails as told; Sleep ignores its
// context.
func probeService() *soap.Service {
	return soap.MustService(probeWSDL, "2.1", map[string]soap.Operation{
		"Echo": soap.Op(func(ctx context.Context, c *soap.Call, req *Echo) (*EchoResponse, error) {
			r := *req.Record
			r.Total = r.Amount
			n := int32(0)
			if r.Lines != nil {
				for _, l := range r.Lines.Item {
					r.Total = r.Total.Add(l.Amount)
					n++
				}
			}
			if !r.When.IsZero() {
				r.When = xsd.At(r.When.In(c.Location).AddDate(0, 0, 1))
			}
			return &EchoResponse{Return_: &r, LineCount: n}, nil
		}, soap.Rule{Type: Record{}, Fields: map[string]string{"Text": "max=100"}}),
		"Zeroes": soap.Op(func(ctx context.Context, c *soap.Call, req *Zeroes) (*ZeroesResponse, error) {
			return &ZeroesResponse{}, nil
		}),
		"Fail": soap.Op(func(ctx context.Context, c *soap.Call, req *Fail) (*FailResponse, error) {
			switch req.Kind {
			case "invalid":
				return nil, apperr.New(apperr.Invalid, "PROBE_INVALID", "Неверный запрос <пробы> & «кавычки»")
			case "notfound":
				return nil, apperr.New(apperr.NotFound, "PROBE_NOT_FOUND", "Объект не найден")
			case "plain":
				return nil, io.ErrUnexpectedEOF
			case "panic":
				panic("probe panic")
			}
			return &FailResponse{Return_: false}, nil
		}),
		"Sleep": soap.Op(func(ctx context.Context, c *soap.Call, req *Sleep) (*SleepResponse, error) {
			time.Sleep(time.Duration(min(req.Millis, 3000)) * time.Millisecond) // ignores ctx on purpose
			return &SleepResponse{Return_: req.Millis}, nil
		}),
	})
}

// fixedNow is the fake clock's time: 09:30 UTC, 12:30 in Moscow.
var fixedNow = time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)

// server starts the facade with the Probe and Hub services on 127.0.0.1.
func server(t testing.TB, mod func(*soap.Options)) *httptest.Server {
	t.Helper()
	probe := probeService()
	opts := soap.Options{
		Auth:     testUsers,
		Location: tenantZones,
		Timeout:  2 * time.Second,
		Logger:   slog.New(slog.DiscardHandler),
	}
	if mod != nil {
		mod(&opts)
	}
	clk := clock.NewFake(fixedNow)
	mux := http.NewServeMux()
	mux.Handle("/ws/", soap.NewHandler(opts, probe, hubsvc.New(clk, probe)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

type response struct {
	status int
	header http.Header
	body   string
}

// do sends one request with the test credentials (unless user is "").
func do(t testing.TB, method, url, contentType, body string, hdr ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, password)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Authorization" && hdr[i+1] == "" {
			req.Header.Del("Authorization")
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, string(b)}
}

const (
	ct11 = "text/xml; charset=utf-8"
	ct12 = "application/soap+xml; charset=utf-8"
)

// env11 and env12 wrap a body element in an envelope the way 1C writes it.
func env11(body string) string {
	return `<soap:Envelope xmlns:soap="` + ns11 + `"><soap:Header/><soap:Body>` + body + `</soap:Body></soap:Envelope>`
}

func env12(body string) string {
	return `<soap:Envelope xmlns:soap="` + ns12 + `"><soap:Header/><soap:Body>` + body + `</soap:Body></soap:Envelope>`
}

// call posts a SOAP request of version 11 or 12.
func call(t testing.TB, url string, ver int, body string, hdr ...string) response {
	t.Helper()
	if ver == 12 {
		return do(t, "POST", url, ct12, env12(body), hdr...)
	}
	return do(t, "POST", url, ct11, env11(body), append([]string{"SOAPAction", `""`}, hdr...)...)
}

// fault is a parsed fault of either version.
type fault struct {
	Version string
	Code    string // local part of faultcode / Code/Value
	String  string // faultstring / Reason/Text
	Lang    string
	Detail  struct {
		Code    string
		Message string
	}
}

// parseFault parses a fault response strictly by namespace.
func parseFault(t testing.TB, body string) fault {
	t.Helper()
	var e struct {
		XMLName xml.Name
		Body    struct {
			Fault struct {
				XMLName     xml.Name
				FaultCode   string `xml:"faultcode"`
				FaultString string `xml:"faultstring"`
				Code        string `xml:"Code>Value"`
				Text        struct {
					Lang  string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
					Value string `xml:",chardata"`
				} `xml:"Reason>Text"`
				Detail11 errorDetail `xml:"detail>Error"`
				Detail12 errorDetail `xml:"Detail>Error"`
			} `xml:"Fault"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("fault does not parse: %v\n%s", err, body)
	}
	f := e.Body.Fault
	if f.XMLName.Local != "Fault" || f.XMLName.Space != e.XMLName.Space {
		t.Fatalf("no Fault in the body:\n%s", body)
	}
	var out fault
	switch e.XMLName.Space {
	case ns11:
		out.Version, out.Code, out.String = "1.1", f.FaultCode, f.FaultString
		out.Detail.Code, out.Detail.Message = f.Detail11.Code, f.Detail11.Message
		if f.Detail11.XMLName.Space != hubNS {
			t.Fatalf("detail Error not in %s:\n%s", hubNS, body)
		}
	case ns12:
		out.Version, out.Code, out.String, out.Lang = "1.2", f.Code, f.Text.Value, f.Text.Lang
		out.Detail.Code, out.Detail.Message = f.Detail12.Code, f.Detail12.Message
		if f.Detail12.XMLName.Space != hubNS {
			t.Fatalf("detail Error not in %s:\n%s", hubNS, body)
		}
	default:
		t.Fatalf("not a SOAP envelope:\n%s", body)
	}
	_, out.Code, _ = strings.Cut(out.Code, ":")
	return out
}

type errorDetail struct {
	XMLName xml.Name
	Code    string `xml:"http://stykovka.ru/hub Code"`
	Message string `xml:"http://stykovka.ru/hub Message"`
}

// expectFault checks status, version, fault code and detail code of a response.
func expectFault(t testing.TB, r response, status int, ver int, code, detailCode string) fault {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d:\n%s", r.status, status, r.body)
	}
	want := ct11
	if ver == 12 {
		want = ct12
	}
	if got := r.header.Get("Content-Type"); got != want {
		t.Fatalf("Content-Type %q, want %q", got, want)
	}
	f := parseFault(t, r.body)
	if f.Code != code || f.Detail.Code != detailCode {
		t.Fatalf("fault %s/%s, want %s/%s:\n%s", f.Code, f.Detail.Code, code, detailCode, r.body)
	}
	if f.String == "" || f.Detail.Message != f.String {
		t.Fatalf("fault message %q, detail message %q", f.String, f.Detail.Message)
	}
	return f
}

func mustContain(t testing.TB, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Fatalf("%q not found in:\n%s", sub, s)
		}
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
