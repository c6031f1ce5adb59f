package konturapi_test

import (
	"bytes"
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
	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/scheduler"
	kontursim "github.com/stykovka/stykovka/internal/sim/kontur"
)

// t0 is the fake "now": 1 July 2025, 12:00 in Moscow.
var t0 = time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)

const simKey = "kontur-test-key"

// Cards of the simulator (kontursim.DemoCards): a guest with 5000 points and 1500.00 bonus
// roubles, and one with nothing.
const (
	cardRich  = "7000000000001234"
	cardEmpty = "7000000000000000"
)

// stack is the whole local hub over real HTTP: a bbolt store and a local sealer in a temporary
// folder, hub.New with the Kontur simulator (a real HTTP server with the demo cards) as
// Kontur, facade.New on an httptest server. Only the clock is fake, and only the hub's.
type stack struct {
	t    *testing.T
	ctx  context.Context
	clk  *clock.Fake
	hub  *hub.Hub
	sim  *kontursim.Sim
	srv  *httptest.Server
	logs *apptest.LogBuffer
}

func newStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{t: t, ctx: context.Background(), clk: clock.NewFake(t0)}
	deps, logs, _ := apptest.Local(t, s.clk)
	s.logs = logs
	log := deps.Log
	var err error

	s.sim = kontursim.New(kontursim.Options{APIKey: simKey, Cards: kontursim.DemoCards(), Log: log})
	simURL, err := s.sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.sim.Close() })
	s.hub, err = hub.New(deps, hub.Config{Kontur: hub.KonturConfig{BaseURL: simURL, APIKey: simKey, Timeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewServer(facade.New(facade.Options{Hub: s.hub}))
	t.Cleanup(s.srv.Close)
	return s
}

// hotel is a tenant with an administrator and a front-desk user without admin rights.
type hotel struct {
	id, admin, desk, pass string
}

func (s *stack) addHotel(id, admin, desk string) *hotel {
	s.t.Helper()
	h := &hotel{id: id, admin: admin, desk: desk, pass: "пароль-" + id}
	if _, err := s.hub.Tenants.AddTenant(s.ctx, id, "Гостиница "+id, "Europe/Moscow"); err != nil {
		s.t.Fatal(err)
	}
	if err := s.hub.Tenants.AddUser(s.ctx, id, admin, h.pass, true); err != nil {
		s.t.Fatal(err)
	}
	if err := s.hub.Tenants.AddUser(s.ctx, id, desk, h.pass, false); err != nil {
		s.t.Fatal(err)
	}
	return h
}

// balance is the simulator's balance of a card in a currency.
func (s *stack) balance(card, currency string) money.Decimal {
	return s.sim.Balances(card)[currency]
}

// ---- SOAP over HTTP, as a PMS or 1C would send it ----

const nsKontur = "http://stykovka.ru/kontur"

// el writes <k:name>value</k:name> with value escaped.
func el(name, value string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(value))
	return "<k:" + name + ">" + b.String() + "</k:" + name + ">"
}

// soapResult is one answer; the tests' helpers below add to soaptest's.
type soapResult struct{ soaptest.Result }

type soapFault = soaptest.Fault

// soap calls a Kontur operation through the SOAP 1.1 port.
func (s *stack) soap(user, pass, op, params string) soapResult {
	s.t.Helper()
	inner := `<k:` + op + ` xmlns:k="` + nsKontur + `">` + params + `</k:` + op + `>`
	return soapResult{soaptest.Call(s.t, s.srv.URL+"/ws/Kontur", nsKontur+"#Kontur:"+op, user, pass, inner)}
}

// wantFault checks that r is a fault with the detail code.
func (r soapResult) wantFault(t *testing.T, code string) *soapFault {
	t.Helper()
	if r.Fault == nil {
		t.Fatalf("want fault %s, got %s", code, r.Raw)
	}
	if r.Fault.Detail.Code != code {
		t.Fatalf("fault %+v, want %s", r.Fault, code)
	}
	return r.Fault
}

// ---- OData over HTTP ----

func (s *stack) odata(method, user, pass, path string, body any, header ...string) (int, []byte, http.Header) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.srv.URL+"/odata/standard.odata/"+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

// list reads an OData JSON collection.
func (s *stack) list(user, pass, path string) []map[string]any {
	s.t.Helper()
	status, body, _ := s.odata(http.MethodGet, user, pass, path, nil)
	if status != http.StatusOK {
		s.t.Fatalf("GET %s: %d %s", path, status, body)
	}
	var v struct {
		Value []map[string]any `json:"value"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		s.t.Fatalf("GET %s: %v %s", path, err, body)
	}
	return v.Value
}

// faultsDropping makes Kontur apply every debit and lose every answer about it (the debit's
// and the lookups'): the hub cannot learn the outcome.
func faultsDropping() kontursim.Faults {
	return kontursim.Faults{DropAfter: 1, Endpoints: []string{"debit", "get"}, Seed: 1}
}

func noFaults() kontursim.Faults { return kontursim.Faults{} }

func schedTick(job string, at time.Time) scheduler.Tick {
	return scheduler.Tick{Job: job, Scheduled: at.Truncate(time.Minute)}
}
