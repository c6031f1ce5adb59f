package novotelecomapi_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"github.com/stykovka/stykovka/facade/soap/soaptest"
	"github.com/stykovka/stykovka/internal/app/apptest"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/facade"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/hub"
	ntsim "github.com/stykovka/stykovka/internal/sim/novotelecom"
)

// t0 is the fake "now": 21 June 2018, 16:00 in Novosibirsk (the seed's dates).
var t0 = time.Date(2018, 6, 21, 9, 0, 0, 0, time.UTC)

// stack is the whole local hub over real HTTP: bbolt store, folder blobs and the local sealer
// in a temporary folder, hub.New with the «Мои счета» simulator as Novotelecom's server (a
// real HTTP server on 127.0.0.1), facade.New on an httptest server. Only the clock is fake;
// the hub and the simulator share it.
type stack struct {
	t    *testing.T
	ctx  context.Context
	clk  *clock.Fake
	hub  *hub.Hub
	sim  *ntsim.Server
	srv  *httptest.Server
	logs *apptest.LogBuffer
}

func newStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{t: t, ctx: context.Background(), clk: clock.NewFake(t0)}
	deps, logs, _ := apptest.Local(t, s.clk)
	s.logs = logs
	var err error

	s.sim = ntsim.New(s.clk)
	if err := s.sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.sim.Close() })
	s.hub, err = hub.New(deps, hub.Config{Novotelecom: hub.NovotelecomConfig{BaseURL: s.sim.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewServer(facade.New(facade.Options{Hub: s.hub}))
	t.Cleanup(s.srv.Close)
	return s
}

// tszh is a housing company: a tenant in Novosibirsk with a Cyrillic administrator and a
// bookkeeper without admin rights, and its login on Novotelecom's server, where the seed's
// registries wait (SeedDemo).
type tszh struct {
	id, admin, clerk, pass string
	login, password        string
}

func (s *stack) addTSZH(id string) *tszh {
	s.t.Helper()
	c := &tszh{id: id, admin: "Председатель-" + id, clerk: "Бухгалтер-" + id, pass: "пароль-" + id,
		login: "nt-" + id, password: "секрет-" + id}
	if _, err := s.hub.Tenants.AddTenant(s.ctx, id, "ТСЖ "+id, "Asia/Novosibirsk"); err != nil {
		s.t.Fatal(err)
	}
	if err := s.hub.Tenants.AddUser(s.ctx, id, c.admin, c.pass, true); err != nil {
		s.t.Fatal(err)
	}
	if err := s.hub.Tenants.AddUser(s.ctx, id, c.clerk, c.pass, false); err != nil {
		s.t.Fatal(err)
	}
	s.sim.AddAccount(c.login, c.password)
	s.sim.SeedDemo(c.login)
	return c
}

// ---- SOAP over HTTP, as 1C's WSПрокси sends it ----

const nsNT = "http://stykovka.ru/novotelecom"

// el writes <n:name>value</n:name> with value escaped.
func el(name, value string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(value))
	return "<n:" + name + ">" + b.String() + "</n:" + name + ">"
}

// group writes <n:name>inner</n:name> without escaping inner (nested elements).
func group(name string, inner ...string) string {
	return "<n:" + name + ">" + strings.Join(inner, "") + "</n:" + name + ">"
}

// soapResult is one answer; the tests' helpers below add to soaptest's.
type soapResult struct{ soaptest.Result }

type soapFault = soaptest.Fault

// soap calls a Novotelecom operation through the SOAP 1.1 port.
func (s *stack) soap(user, pass, op string, params ...string) soapResult {
	s.t.Helper()
	inner := `<n:` + op + ` xmlns:n="` + nsNT + `">` + strings.Join(params, "") + `</n:` + op + `>`
	return soapResult{soaptest.Call(s.t, s.srv.URL+"/ws/Novotelecom", nsNT+"#Novotelecom:"+op, user, pass, inner)}
}

// faultCode is the stable code of a fault, or "" when the call succeeded.
func (r soapResult) faultCode() string {
	if r.Fault == nil {
		return ""
	}
	return r.Fault.Detail.Code
}

// ---- OData over HTTP ----

func (s *stack) odata(user, pass, path string) (int, []byte) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/odata/standard.odata/"+path, nil)
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// rows reads a JSON collection, following odata.nextLink.
func (s *stack) rows(user, pass, path string) []map[string]any {
	s.t.Helper()
	var out []map[string]any
	for path != "" {
		status, body := s.odata(user, pass, path)
		if status != http.StatusOK {
			s.t.Fatalf("GET %s: %d %s", path, status, body)
		}
		var page struct {
			Value []map[string]any `json:"value"`
			Next  string           `json:"odata.nextLink"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			s.t.Fatalf("GET %s: %v %s", path, err, body)
		}
		out = append(out, page.Value...)
		path = ""
		if page.Next != "" {
			_, rest, ok := strings.Cut(page.Next, "/odata/standard.odata/")
			if !ok {
				s.t.Fatalf("next link %q", page.Next)
			}
			path = rest
		}
	}
	return out
}
