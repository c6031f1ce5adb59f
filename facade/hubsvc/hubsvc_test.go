package hubsvc_test

import (
	"bytes"
	"context"
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
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/wsdl"
	"github.com/stykovka/stykovka/wsdl/hubws"
)

type oneUser struct{}

func (oneUser) Authenticate(_ context.Context, user, pass string) (auth.Principal, error) {
	if user == "Администратор" && pass == "пароль" {
		return auth.Principal{Tenant: "demo", User: user}, nil
	}
	return auth.Principal{}, apperr.New(apperr.Unauthorized, "AUTH_FAILED", "Неверное имя пользователя или пароль")
}

// otherService is a stand-in for a later service (Kontur, …): the Hub WSDL renamed.
func otherService(t *testing.T, name, version string) *soap.Service {
	t.Helper()
	doc := strings.NewReplacer("Hub", name, "http://stykovka.ru/hub", "http://stykovka.ru/"+strings.ToLower(name)).Replace(string(wsdl.Hub))
	nop := func(context.Context, *soap.Call) (any, error) { return nil, nil }
	s, err := soap.NewService([]byte(doc), version, map[string]soap.Operation{"Ping": nop, "GetVersions": nop,
		"GetRetention": nop, "SetRetention": nop})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// call posts a SOAP 1.2 request with op's empty wrapper and decodes the response body into
// resp, a generated hubws type.
func call(t *testing.T, url, op string, resp any) {
	t.Helper()
	env := `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header/><soap:Body><m:` + op +
		` xmlns:m="http://stykovka.ru/hub"/></soap:Body></soap:Envelope>`
	req, _ := http.NewRequest("POST", url, strings.NewReader(env))
	req.SetBasicAuth("Администратор", "пароль")
	req.Header.Set("Content-Type", `application/soap+xml; charset=utf-8; action="http://stykovka.ru/hub#Hub:`+op+`"`)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("%s: %d\n%s", op, res.StatusCode, b)
	}
	var e struct {
		Body struct {
			Inner []byte `xml:",innerxml"`
		} `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
	}
	if err := xml.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	if err := xml.NewDecoder(bytes.NewReader(e.Body.Inner)).Decode(resp); err != nil {
		t.Fatalf("%s: %v\n%s", op, err, b)
	}
}

func TestHub(t *testing.T) {
	clk := clock.NewFake(time.Date(2025, 7, 1, 21, 15, 0, 0, time.UTC))
	others := []*soap.Service{otherService(t, "Sep", "1.3"), otherService(t, "Kontur", "0.9")}
	h := soap.NewHandler(soap.Options{Auth: oneUser{}, Logger: slog.New(slog.DiscardHandler)},
		append(others, hubsvc.New(clk, others...))...)
	srv := httptest.NewServer(h)
	defer srv.Close()

	var pong hubws.PingResponse
	call(t, srv.URL+"/ws/Hub", "Ping", &pong)
	// 21:15 UTC is 00:15 the next day in Moscow, the default tenant zone.
	if want := "pong; tenant=demo; time=2025-07-02T00:15:00"; pong.Return_ != want {
		t.Fatalf("Ping = %q, want %q", pong.Return_, want)
	}
	clk.Advance(time.Hour)
	call(t, srv.URL+"/ws/Hub", "Ping", &pong)
	if !strings.HasSuffix(pong.Return_, "time=2025-07-02T01:15:00") {
		t.Fatalf("Ping does not follow the clock: %q", pong.Return_)
	}

	var versions hubws.GetVersionsResponse
	call(t, srv.URL+"/ws/Hub.1cws", "GetVersions", &versions)
	var got []string
	for _, v := range versions.Return_.Item {
		got = append(got, v.Service+" "+v.Version)
	}
	if want := "Hub " + hubsvc.Version + ", Kontur 0.9, Sep 1.3"; strings.Join(got, ", ") != want {
		t.Fatalf("GetVersions = %v, want %s", got, want)
	}
	// The other services are served too (their own WSDLs, at their own URLs).
	req, _ := http.NewRequest("GET", srv.URL+"/ws/Kontur?wsdl", nil)
	req.SetBasicAuth("Администратор", "пароль")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Contains(b, []byte(`location="`+srv.URL+`/ws/Kontur"`)) {
		t.Fatalf("Kontur WSDL: %d", res.StatusCode)
	}
}

func TestHubAlone(t *testing.T) {
	h := soap.NewHandler(soap.Options{Auth: oneUser{}, Logger: slog.New(slog.DiscardHandler)}, hubsvc.New(clock.Real{}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	var versions hubws.GetVersionsResponse
	call(t, srv.URL+"/ws/Hub", "GetVersions", &versions)
	if len(versions.Return_.Item) != 1 || versions.Return_.Item[0].Service != "Hub" {
		t.Fatalf("GetVersions = %+v", versions.Return_.Item)
	}
}
