package emisapi_test

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
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/stykovka/stykovka/facade"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
	"github.com/stykovka/stykovka/internal/hub"
	emissim "github.com/stykovka/stykovka/internal/sim/emis"
)

// t0 is the fake "now": 1 July 2025, 12:00 in Moscow.
var t0 = time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)

// stack is the whole local hub over real HTTP: bbolt store and local sealer in a temporary
// folder, hub.New with the EMIS simulator as EMIS, facade.New on an httptest server (SOAP,
// OData and the webhooks, as the local binary serves them), PMS servers receiving the hub's
// webhooks. Only the clock is fake; the hub, the simulator and the PMSs share it.
type stack struct {
	t      *testing.T
	ctx    context.Context
	clk    *clock.Fake
	dbPath string
	hub    *hub.Hub
	sim    *emissim.Server
	srv    *httptest.Server
	logs   *apptest.LogBuffer
}

// ticking moves the shared clock on by a second at every reading of the simulator, as time
// passes between an operator's clicks and EMIS's callbacks.
type ticking struct{ f *clock.Fake }

func (c ticking) Now() time.Time {
	c.f.Advance(time.Second)
	return c.f.Now()
}

func newStack(t *testing.T) *stack { return newStackWith(t, nil) }

// newStackWith lets the test change the hub's configuration before the hub is built.
func newStackWith(t *testing.T, configure func(*hub.Config)) *stack {
	t.Helper()
	s := &stack{t: t, ctx: context.Background(), clk: clock.NewFake(t0)}
	deps, logs, dir := apptest.Local(t, s.clk)
	s.logs = logs
	log := deps.Log
	var err error
	s.dbPath = filepath.Join(dir, "stykovka.db")

	var handler http.Handler
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(s.srv.Close)
	s.sim, err = emissim.Start("127.0.0.1:0", emissim.Options{Clock: ticking{s.clk}, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.sim.Close() }) // first: waits for callbacks in flight
	cfg := hub.Config{PublicURL: s.srv.URL, Emis: hub.EmisConfig{BaseURL: s.sim.URL()}}
	if configure != nil {
		configure(&cfg)
	}
	s.hub, err = hub.New(deps, cfg)
	if err != nil {
		t.Fatal(err)
	}
	handler = facade.New(facade.Options{Hub: s.hub})
	return s
}

// hotel is a tenant with an administrator, a front-desk user without admin rights, a legal
// entity with EMIS created through OData, webhook secrets configured through SOAP and a PMS.
type hotel struct {
	id, legal          string
	admin, desk, pass  string
	emisSecret, pmsIn  string
	pmsOut             string
	login, intPassword string
	pms                *pmsServer
}

func (s *stack) addHotel(id, admin, desk string) *hotel {
	s.t.Helper()
	h := &hotel{id: id, admin: admin, desk: desk, pass: "пароль-" + id,
		emisSecret: emis.NewSecret(), pmsIn: emis.NewSecret(), pmsOut: emis.NewSecret(),
		login: "int-" + id, intPassword: "pw-" + emis.NewSecret()}
	if _, err := s.hub.Tenants.AddTenant(s.ctx, id, "Гостиница "+id, "Europe/Moscow"); err != nil {
		s.t.Fatal(err)
	}
	if err := s.hub.Tenants.AddUser(s.ctx, id, admin, h.pass, true); err != nil {
		s.t.Fatal(err)
	}
	if err := s.hub.Tenants.AddUser(s.ctx, id, desk, h.pass, false); err != nil {
		s.t.Fatal(err)
	}
	// The legal entity with its four EMIS credentials, as a 1C administrator creates it.
	status, body := s.odata("POST", h.admin, h.pass, "Catalog_LegalEntities?$format=json", map[string]any{
		"Description": "ООО «Гостиница " + id + "»", "EmisEnabled": true, "NamesScript": "Cyrillic",
		"EmisWebLogin": "web-" + id, "EmisWebPassword": "web-pw-" + id,
		"EmisIntegrationLogin": h.login, "EmisIntegrationPassword": h.intPassword,
	})
	if status != http.StatusCreated {
		s.t.Fatalf("create legal entity: %d %s", status, body)
	}
	var le struct{ Ref_Key string }
	if err := json.Unmarshal(body, &le); err != nil || le.Ref_Key == "" {
		s.t.Fatalf("legal entity: %v %s", err, body)
	}
	h.legal = le.Ref_Key
	s.sim.AddAccount(emissim.Account{Login: h.login, Password: h.intPassword, HookSecret: h.emisSecret})
	h.pms = newPMS(s.t, s.clk, h.pmsOut)
	r := s.soap(h.admin, h.pass, "Configure", el("PMSWebhookURL", h.pms.srv.URL+"/stykovka")+
		el("EmisSecret", h.emisSecret)+el("PMSInSecret", h.pmsIn)+el("PMSOutSecret", h.pmsOut))
	if r.Fault != nil {
		s.t.Fatalf("Configure: %+v", r.Fault)
	}
	return h
}

// ---- SOAP over HTTP, as a PMS or 1C would send it ----

const nsEmis = "http://stykovka.ru/emis"

// el writes <e:name>value</e:name> with value escaped.
func el(name, value string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(value))
	return "<e:" + name + ">" + b.String() + "</e:" + name + ">"
}

// soapResult is one answer; the tests' helpers below add to soaptest's.
type soapResult struct{ soaptest.Result }

type soapFault = soaptest.Fault

// soap calls an Emis operation through the SOAP 1.1 port.
func (s *stack) soap(user, pass, op, params string) soapResult {
	s.t.Helper()
	inner := `<e:` + op + ` xmlns:e="` + nsEmis + `">` + params + `</e:` + op + `>`
	return soapResult{soaptest.Call(s.t, s.srv.URL+"/ws/Emis", nsEmis+"#Emis:"+op, user, pass, inner)}
}

// ---- OData over HTTP ----

func (s *stack) odata(method, user, pass, path string, body any) (int, []byte) {
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
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// ---- webhooks ----

// pmsHook posts a signed PMS webhook for tenant, signed with secret.
func (s *stack) pmsHook(tenant, secret string, msg emis.PMSMessage) (int, []byte, http.Header) {
	s.t.Helper()
	body, _ := json.Marshal(msg)
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/hooks/pms?tenant="+url.QueryEscape(tenant), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(hooksig.Header, hooksig.Sign([]byte(secret), s.clk.Now(), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

// pmsServer is a PMS receiving the hub's webhooks; it checks every signature.
type pmsServer struct {
	srv  *httptest.Server
	fail bool

	mu   sync.Mutex
	got  []emis.Delivery
	hits int
}

func newPMS(t *testing.T, clk clock.Clock, secret string) *pmsServer {
	p := &pmsServer{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		p.mu.Lock()
		defer p.mu.Unlock()
		p.hits++
		if _, _, err := hooksig.Verify(r.Header.Get(hooksig.Header), body, [][]byte{[]byte(secret)}, clk.Now(), hooksig.Window); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if p.fail {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		var d emis.Delivery
		if err := json.Unmarshal(body, &d); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		p.got = append(p.got, d)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *pmsServer) setFail(v bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail = v
}

func (p *pmsServer) received() []emis.Delivery {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]emis.Delivery(nil), p.got...)
}

// ---- the operator at the EMIS page ----

// guest is what the operator types: a German passport, two visas of which the selected one
// expired a month ago, a migration card. Every personal value is in personal().
type guest struct {
	number, surnameLat, givenLat, birth, birthWire, place, visa1, visa2, mcNumber string
}

var huber = guest{number: "C7T4X0M25", surnameLat: "HUBER", givenLat: "JOHANNA MARIA", birth: "1982-08-14",
	birthWire: "14.08.1982", place: "PASSAU", visa1: "5512873", visa2: "6620194", mcNumber: "0745512"}

// personal lists the values that must never reach logs or raw storage (the Cyrillic surname
// is the transliteration the hub derives).
func (g guest) personal() []string {
	return []string{g.number, g.surnameLat, g.givenLat, g.birth, g.birthWire, g.place, g.visa1, g.visa2, g.mcNumber, "ХУБЕР", "ДЖОХАННА"}
}

func (g guest) fill(form url.Values) {
	for k, v := range map[string]string{
		"doc_type": "10", "number": g.number, "issued": "2019-03-11", "expires": "2029-03-10",
		"authority": "Landratsamt Passau", "citizenship": "DEU", "last_name_lat": g.surnameLat,
		"first_name_lat": g.givenLat, "gender": "FEMALE", "birth_date": g.birth, "birth_place": g.place,
		"stay0_type": "VISA", "stay0_series": "33", "stay0_number": g.visa1, "stay0_from": "2024-06-01",
		"stay0_to": "2025-06-01", "stay0_entries": "MULTIPLE", "stay_selected": "0",
		"stay1_type": "VISA", "stay1_series": "33", "stay1_number": g.visa2, "stay1_from": "2025-06-20",
		"stay1_to": "2025-09-20", "stay1_entries": "DOUBLE",
		"mc_series": "4619", "mc_number": g.mcNumber, "mc_entry": "2025-06-29",
		"purpose": "TOURISM", "stay_from": "2025-07-01", "stay_to": "2025-07-05",
	} {
		form.Set(k, v)
	}
}

// operatorSaves opens the EMIS page like a browser, fills the documents' form with g and
// presses «Сохранить»; it returns the form as the page showed it before filling.
func (s *stack) operatorSaves(pageURL string, g guest) url.Values {
	s.t.Helper()
	resp, err := http.Get(pageURL)
	if err != nil {
		s.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s: %d", pageURL, resp.StatusCode)
	}
	form := documentsForm(s.t, string(page))
	shown := url.Values{}
	for k, v := range form {
		shown[k] = append([]string(nil), v...)
	}
	g.fill(form)
	form.Set("action", "save")
	resp, err = http.PostForm(pageURL, form)
	if err != nil {
		s.t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(out), "Данные сохранены") {
		s.t.Fatalf("save: %d\n%s", resp.StatusCode, out)
	}
	return shown
}

// documentsForm collects the page's documents form (the one with «Сохранить») as a browser
// would submit it: inputs with their values, checked radios, the selected option of selects.
func documentsForm(t *testing.T, page string) url.Values {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	attr := func(n *html.Node, k string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val, true
			}
		}
		return "", false
	}
	var forms []url.Values
	var walk func(n *html.Node, v url.Values)
	walk = func(n *html.Node, v url.Values) {
		if n.Type == html.ElementNode {
			name, _ := attr(n, "name")
			switch n.Data {
			case "form":
				v = url.Values{}
				forms = append(forms, v)
			case "input":
				typ, _ := attr(n, "type")
				val, _ := attr(n, "value")
				_, checked := attr(n, "checked")
				if v != nil && name != "" && ((typ != "radio" && typ != "checkbox") || checked) {
					v.Set(name, val)
				}
			case "select":
				chosen, found, first, seen := "", false, "", false
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					if c.Type != html.ElementNode || c.Data != "option" {
						continue
					}
					val, _ := attr(c, "value")
					if !seen {
						first, seen = val, true
					}
					if _, sel := attr(c, "selected"); sel && !found {
						chosen, found = val, true
					}
				}
				if !found {
					chosen = first
				}
				if v != nil {
					v.Set(name, chosen)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, v)
		}
	}
	walk(doc, nil)
	for _, f := range forms {
		if _, ok := f["number"]; ok {
			return f
		}
	}
	t.Fatalf("no documents form on the page:\n%s", page)
	return nil
}

func hasWarning(ws []emis.Warning, code, field string) bool {
	for _, w := range ws {
		if w.Code == code && (field == "" || w.Field == field) {
			return true
		}
	}
	return false
}
