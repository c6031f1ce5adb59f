package emis_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/emis/emisclient"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
	"github.com/stykovka/stykovka/internal/emis/webhook"
	"github.com/stykovka/stykovka/internal/legal"
	"github.com/stykovka/stykovka/internal/sealer/localsealer"
	emissim "github.com/stykovka/stykovka/internal/sim/emis"
	"github.com/stykovka/stykovka/internal/store"
	"github.com/stykovka/stykovka/internal/store/boltstore"
	"github.com/stykovka/stykovka/internal/store/dynamostore"
	"github.com/stykovka/stykovka/internal/testinfra/dynalite"
)

func TestMain(m *testing.M) {
	code := m.Run()
	dynalite.StopShared()
	os.Exit(code)
}

// t0 is the fake "now" of every test: 1 July 2025, 12:00 in Moscow.
var t0 = time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)

type adapter string

const (
	bolt   adapter = "bolt"
	dynamo adapter = "dynamo"
)

var adapters = []adapter{bolt, dynamo}

// logBuf captures the JSON logs of the hub and the simulator.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// env is a hub with real components: a store adapter, the local sealer, the legal-entities
// service, the EMIS simulator and the webhook handlers on a real HTTP server. Only the clock
// is fake (the hub, the simulator and the PMS servers share it, so signatures line up).
type env struct {
	t      *testing.T
	ctx    context.Context
	clk    *clock.Fake
	st     store.Store
	dbPath string
	legal  *legal.Service
	svc    *emis.Service
	sim    *emissim.Server
	hub    *httptest.Server
	logs   *logBuf
}

var tableSeq atomic.Int64

func newEnv(t *testing.T, a adapter) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, ctx: ctx, clk: clock.NewFake(t0), logs: &logBuf{}}
	dir := t.TempDir()
	switch a {
	case bolt:
		e.dbPath = filepath.Join(dir, "data", "stykovka.db")
		st, err := boltstore.Open(e.dbPath, e.clk)
		if err != nil {
			t.Fatal(err)
		}
		e.st = st
	case dynamo:
		client := dynalite.Client(t, dynalite.Shared(t))
		table := fmt.Sprintf("emis%d", tableSeq.Add(1))
		if err := dynamostore.CreateTable(ctx, client, table); err != nil {
			t.Fatal(err)
		}
		e.st = dynamostore.New(client, table, e.clk)
	}
	t.Cleanup(func() { e.st.Close() })
	se, err := localsealer.Open(filepath.Join(dir, "keys", "seal.key"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mux := http.NewServeMux()
	e.hub = httptest.NewServer(mux)
	t.Cleanup(e.hub.Close)
	e.sim, err = emissim.Start("127.0.0.1:0", emissim.Options{Clock: ticking{e.clk}, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.sim.Close() }) // first: waits for callbacks to the hub
	client, err := emisclient.New(e.sim.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.legal = legal.New(e.st, se, e.clk)
	e.svc, err = emis.New(emis.Options{Store: e.st, Sealer: se, Clock: e.clk, Log: log, Legal: emis.FromLegal(e.legal),
		EMIS: client, Sender: webhook.NewSender(nil), CallbackURL: e.hub.URL + "/hooks/emis"})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("POST /hooks/emis", webhook.Emis(e.svc))
	mux.Handle("POST /hooks/pms", webhook.PMS(e.svc))
	return e
}

func ptr[T any](v T) *T { return &v }

// ticking is the simulator's view of the shared fake clock: every reading moves it on by a
// second, as time passes between an operator's clicks and EMIS's callbacks. Without it, a
// callback EMIS sends again within the same second is byte-identical to the first, which the
// hub rightly treats as a replay.
type ticking struct{ f *clock.Fake }

func (c ticking) Now() time.Time {
	c.f.Advance(time.Second)
	return c.f.Now()
}

// tenantFix is a hotel company: one legal entity with EMIS, its secrets and its PMS.
type tenantFix struct {
	id, legal                 string
	emisSecret, pmsIn, pmsOut string
	login, password           string
	pms                       *pmsServer
}

func (e *env) addTenant(id string, script legal.Script) *tenantFix {
	e.t.Helper()
	tf := &tenantFix{id: id, emisSecret: emis.NewSecret(), pmsIn: emis.NewSecret(), pmsOut: emis.NewSecret(),
		login: "int-" + id, password: "pw-" + emis.NewSecret()}
	ent, err := e.legal.Create(e.ctx, id, "", legal.Changes{
		Description: ptr("ООО «Гостиница " + id + "»"), EmisEnabled: ptr(true), NamesScript: ptr(string(script)),
		EmisWebLogin: ptr("web-" + id), EmisWebPassword: ptr("web-pw"),
		EmisIntegrationLogin: ptr(tf.login), EmisIntegrationPassword: ptr(tf.password),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	tf.legal = ent.Ref
	e.sim.AddAccount(emissim.Account{Login: tf.login, Password: tf.password, HookSecret: tf.emisSecret})
	tf.pms = newPMS(e.t, e.clk, tf.pmsOut)
	if _, err := e.svc.Configure(e.ctx, id, emis.Config{PMSWebhookURL: ptr(tf.pms.srv.URL + "/stykovka"),
		EmisSecret: &tf.emisSecret, PMSInSecret: &tf.pmsIn, PMSOutSecret: &tf.pmsOut}); err != nil {
		e.t.Fatal(err)
	}
	return tf
}

// pmsServer is a PMS test server receiving the hub's webhooks; it checks every signature.
type pmsServer struct {
	srv    *httptest.Server
	clk    clock.Clock
	secret string
	fail   atomic.Bool // answer 500

	mu       sync.Mutex
	got      []received
	attempts int
	forged   int
}

type received struct {
	header http.Header
	msg    emis.Delivery
	raw    []byte
}

func newPMS(t *testing.T, clk clock.Clock, secret string) *pmsServer {
	p := &pmsServer{clk: clk, secret: secret}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		defer p.mu.Unlock()
		p.attempts++
		if _, _, err := hooksig.Verify(r.Header.Get(hooksig.Header), body, [][]byte{[]byte(p.secret)}, p.clk.Now(), hooksig.Window); err != nil {
			p.forged++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if p.fail.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		var m emis.Delivery
		if err := json.Unmarshal(body, &m); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		p.got = append(p.got, received{header: r.Header.Clone(), msg: m, raw: body})
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *pmsServer) attemptCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.attempts
}

func (p *pmsServer) received() []received {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]received(nil), p.got...)
}

// pmsCall posts a signed PMS webhook to the hub, as the PMS does.
func (e *env) pmsCall(tf *tenantFix, tenant string, msg any) (int, []byte, http.Header) {
	e.t.Helper()
	body, _ := json.Marshal(msg)
	return e.post("/hooks/pms?tenant="+url.QueryEscape(tenant), hooksig.Header, hooksig.Sign([]byte(tf.pmsIn), e.clk.Now(), body), body)
}

func (e *env) post(path, header, sig string, body []byte) (int, []byte, http.Header) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.hub.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set(header, sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

func (e *env) saveGuest(tf *tenantFix, person, booking, surname string) {
	e.t.Helper()
	status, body, h := e.pmsCall(tf, tf.id, emis.PMSMessage{Event: emis.EventGuestSaved, PersonID: person, BookingID: booking, Surname: surname})
	if status != http.StatusOK {
		e.t.Fatalf("guest.saved: %d %s", status, body)
	}
	if _, _, err := hooksig.Verify(h.Get(hooksig.Header), body, [][]byte{[]byte(tf.pmsOut)}, e.clk.Now(), hooksig.Window); err != nil {
		e.t.Fatalf("answer signature: %v", err)
	}
}

// browserForm GETs an EMIS page and collects its form as a browser would submit it: text and
// date inputs with their values, checked radios, the selected option of each select.
func (e *env) browserForm(pageURL string) (url.Values, string) {
	e.t.Helper()
	resp, err := http.Get(pageURL)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		e.t.Fatalf("GET page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return formValues(e.t, string(page)), string(page)
}

func formValues(t *testing.T, page string) url.Values {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	v := url.Values{}
	attr := func(n *html.Node, k string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val, true
			}
		}
		return "", false
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			name, _ := attr(n, "name")
			switch n.Data {
			case "input":
				typ, _ := attr(n, "type")
				val, _ := attr(n, "value")
				_, checked := attr(n, "checked")
				if name != "" && ((typ != "radio" && typ != "checkbox") || checked) {
					v.Set(name, val)
				}
			case "select":
				first, chosen := "", ""
				found := false
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					if c.Type != html.ElementNode || c.Data != "option" {
						continue
					}
					val, _ := attr(c, "value")
					if first == "" && !found {
						first = val
					}
					if _, sel := attr(c, "selected"); sel && !found {
						chosen, found = val, true
					}
				}
				if !found {
					chosen = first
				}
				v.Set(name, chosen)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return v
}

// submit posts a form like a browser pressing the button action.
func (e *env) submit(pageURL string, form url.Values, action string) (int, string) {
	e.t.Helper()
	form = cloneValues(form)
	form.Set("action", action)
	resp, err := http.PostForm(pageURL, form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(page)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// guestDocs is what the operator types for the main scenario: a German passport, an expired
// visa selected among two, a migration card. Every personal value is listed in pd().
type guestDocs struct {
	number, surnameLat, givenLat, birth, birthWire, place string
	visa1, visa2, mcNumber                                string
}

var huber = guestDocs{number: "C7T4X0M25", surnameLat: "HUBER", givenLat: "JOHANNA MARIA", birth: "1982-08-14",
	birthWire: "14.08.1982", place: "PASSAU", visa1: "5512873", visa2: "6620194", mcNumber: "0745512"}

func (g guestDocs) fill(form url.Values) {
	set := map[string]string{
		"doc_type": "10", "number": g.number, "issued": "2019-03-11", "expires": "2029-03-10",
		"authority": "Landratsamt Passau", "citizenship": "DEU", "last_name_lat": g.surnameLat,
		"first_name_lat": g.givenLat, "gender": "FEMALE", "birth_date": g.birth, "birth_place": g.place,
		"stay0_type": "VISA", "stay0_series": "33", "stay0_number": g.visa1, "stay0_from": "2024-06-01",
		"stay0_to": "2025-06-01", "stay0_entries": "MULTIPLE", "stay_selected": "0",
		"stay1_type": "VISA", "stay1_series": "33", "stay1_number": g.visa2, "stay1_from": "2025-06-20",
		"stay1_to": "2025-09-20", "stay1_entries": "DOUBLE",
		"mc_series": "4619", "mc_number": g.mcNumber, "mc_entry": "2025-06-29",
		"purpose": "TOURISM", "stay_from": "2025-07-01", "stay_to": "2025-07-05",
	}
	for k, v := range set {
		form.Set(k, v)
	}
}

// operatorSaves opens the EMIS page, fills it with g and presses «Сохранить»; it returns the
// page after saving.
func (e *env) operatorSaves(pageURL string, g guestDocs) string {
	e.t.Helper()
	form, _ := e.browserForm(pageURL)
	g.fill(form)
	status, page := e.submit(pageURL, form, "save")
	if status != http.StatusOK || !strings.Contains(page, "Данные сохранены") {
		e.t.Fatalf("save: %d\n%s", status, page)
	}
	return page
}

func hasWarning(ws []emis.Warning, code, field string) bool {
	for _, w := range ws {
		if w.Code == code && (field == "" || w.Field == field) {
			return true
		}
	}
	return false
}

func codes(ws []emis.Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Code+"@"+w.Field)
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
