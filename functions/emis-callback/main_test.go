package main

import (
	"context"
	"encoding/json"
	"github.com/stykovka/stykovka/internal/app/apptest"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stykovka/stykovka/functions/internal/lambdatest"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/legal"
	emissim "github.com/stykovka/stykovka/internal/sim/emis"
)

// The sample events/emis-callback.json is a real EMIS callback of tenant "demo-hotel", signed
// at its timestamp with sampleSecret (the body is invented: the guest and her documents do
// not exist; the German passport number is the public specimen's). The tests set the clock to
// that timestamp and the tenant's EMIS secret to sampleSecret, so the signature verifies.
const (
	sampleTenant = "demo-hotel"
	sampleSecret = "sample-emis-secret-for-events-emis-callback-json"
	samplePerson = "160848"
	sampleBook   = "473024"
)

var sampleTime = time.Unix(1751360400, 0).UTC() // t= of the sample's signature: 1 July 2025, 12:00 MSK

// fixture is the function over real components (bbolt store, local sealer, the EMIS simulator,
// a PMS receiving the hub's webhooks) with a fake clock at the sample's time.
type fixture struct {
	t       *testing.T
	ctx     context.Context
	clk     *clock.Fake
	hub     *hub.Hub
	sim     *emissim.Server
	pms     *pms
	legal   string
	pmsIn   string
	handler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)
}

func newFixture(t *testing.T, emisSecret string) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), clk: clock.NewFake(sampleTime), pmsIn: emis.NewSecret()}
	deps, _, _ := apptest.Local(t, f.clk)
	var err error
	f.sim, err = emissim.Start("127.0.0.1:0", emissim.Options{Clock: f.clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.sim.Close() })
	f.hub, err = hub.New(deps, hub.Config{
		PublicURL: "https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com",
		Emis:      hub.EmisConfig{BaseURL: f.sim.URL()},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.hub.Tenants.AddTenant(f.ctx, sampleTenant, "Гостиница «Образец»", "Europe/Moscow"); err != nil {
		t.Fatal(err)
	}
	s := func(v string) *string { return &v }
	on := true
	ent, err := f.hub.Legal.Create(f.ctx, sampleTenant, "", legal.Changes{Description: s("ООО «Образец»"), EmisEnabled: &on,
		NamesScript: s("Cyrillic"), EmisWebLogin: s("sample-web"), EmisWebPassword: s("sample-web-password"),
		EmisIntegrationLogin: s("sample-int"), EmisIntegrationPassword: s("sample-int-password")})
	if err != nil {
		t.Fatal(err)
	}
	f.legal = ent.Ref
	f.sim.AddAccount(emissim.Account{Login: "sample-int", Password: "sample-int-password", HookSecret: emisSecret})
	pmsOut := emis.NewSecret()
	f.pms = newPMS(t, f.clk, pmsOut)
	if _, err := f.hub.Emis.Configure(f.ctx, sampleTenant, emis.Config{PMSWebhookURL: s(f.pms.srv.URL + "/stykovka"),
		EmisSecret: &emisSecret, PMSInSecret: &f.pmsIn, PMSOutSecret: &pmsOut}); err != nil {
		t.Fatal(err)
	}
	f.handler = newHandler(f.hub)
	return f
}

// invoke passes an event through lambda.NewHandler, as the runtime does.
func (f *fixture) invoke(payload []byte) (events.APIGatewayV2HTTPResponse, errBody) {
	f.t.Helper()
	out, err := lambdatest.Invoke(f.t, f.handler, payload)
	if err != nil {
		f.t.Fatal(err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		f.t.Fatalf("response: %v: %s", err, out)
	}
	var e errBody
	_ = json.Unmarshal([]byte(resp.Body), &e)
	return resp, e
}

type errBody struct{ Code, Message string }

// event returns the sample with body, signature header and route replaced.
func event(t *testing.T, route, path, header, sig string, body []byte) []byte {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(lambdatest.Event(t, job), &ev); err != nil {
		t.Fatal(err)
	}
	ev.RouteKey, ev.RawPath, ev.RequestContext.RouteKey, ev.RequestContext.HTTP.Path = route, path, route, path
	delete(ev.Headers, "x-emis-signature")
	delete(ev.Headers, "content-length")
	ev.Headers[strings.ToLower(header)] = sig
	ev.Body = string(body)
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sampleBody(t *testing.T) (map[string]any, string) {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(lambdatest.Event(t, job), &ev); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(ev.Body), &m); err != nil {
		t.Fatal(err)
	}
	return m, ev.Headers["x-emis-signature"]
}

// TestSampleEventIsAVerifiedEMISCallback replays events/emis-callback.json unchanged: its
// signature verifies with the tenant's secret at its time, and the hub then refuses it because
// it never opened the sample's session — nothing is stored. The same bytes again are a
// replay; with another secret, or minutes later, the signature is refused.
func TestSampleEventIsAVerifiedEMISCallback(t *testing.T) {
	sample := lambdatest.Event(t, job)

	f := newFixture(t, sampleSecret)
	resp, e := f.invoke(sample)
	if resp.StatusCode != http.StatusNotFound || e.Code != "EMIS_UNKNOWN_SESSION" {
		t.Fatalf("sample: %d %s", resp.StatusCode, resp.Body)
	}
	if ct := resp.Headers["Content-Type"]; !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	if resp, e := f.invoke(sample); resp.StatusCode != http.StatusConflict || e.Code != "HOOK_REPLAYED" {
		t.Errorf("replayed sample: %d %s", resp.StatusCode, resp.Body)
	}
	if _, err := f.hub.Emis.GetDocuments(f.ctx, sampleTenant, f.legal, samplePerson); err == nil {
		t.Error("the refused sample stored documents")
	}

	other := newFixture(t, emis.NewSecret())
	if resp, e := other.invoke(sample); resp.StatusCode != http.StatusUnauthorized || e.Code != "HOOK_SIGNATURE_INVALID" {
		t.Errorf("another tenant secret: %d %s", resp.StatusCode, resp.Body)
	}

	late := newFixture(t, sampleSecret)
	late.clk.Advance(hooksig.Window + time.Minute)
	if resp, e := late.invoke(sample); resp.StatusCode != http.StatusUnauthorized || e.Code != "HOOK_STALE" {
		t.Errorf("stale sample: %d %s", resp.StatusCode, resp.Body)
	}
}

// TestCallbackFlow: the PMS saves the guest through the function, the hub opens the EMIS
// session, EMIS calls back (the sample, re-signed for the real session) and the PMS receives
// the documents with the expired-visa warning; pulling them through the function answers the
// same, signed. A forged call changes nothing.
func TestCallbackFlow(t *testing.T) {
	f := newFixture(t, sampleSecret)

	pmsCall := func(msg emis.PMSMessage) (events.APIGatewayV2HTTPResponse, errBody) {
		body, _ := json.Marshal(msg)
		return f.invoke(event(t, "POST /hooks/pms", "/hooks/pms", hooksig.Header, hooksig.Sign([]byte(f.pmsIn), f.clk.Now(), body), body))
	}
	resp, _ := pmsCall(emis.PMSMessage{Event: emis.EventGuestSaved, PersonID: samplePerson, BookingID: sampleBook, Surname: "BERGER"})
	if resp.StatusCode != http.StatusOK || resp.Body != `{"event":"ok"}` {
		t.Fatalf("guest.saved: %d %s", resp.StatusCode, resp.Body)
	}
	if _, _, err := hooksig.Verify(resp.Headers[hooksig.Header], []byte(resp.Body), [][]byte{[]byte(f.pms.secret)}, f.clk.Now(), hooksig.Window); err != nil {
		t.Errorf("answer not signed with the PMS secret: %v (%v)", err, resp.Headers)
	}

	page, err := f.hub.Emis.StartDocuments(f.ctx, sampleTenant, f.legal, samplePerson, sampleBook)
	if err != nil {
		t.Fatal(err)
	}
	session, ok := f.sim.SessionIDOf(page)
	if !ok {
		t.Fatalf("no session behind %s", page)
	}

	m, _ := sampleBody(t)
	m["sessionId"] = session
	body, _ := json.Marshal(m)
	f.clk.Advance(30 * time.Second)
	sig := hooksig.Sign([]byte(sampleSecret), f.clk.Now(), body)

	// A forged signature and a tampered body are refused and store nothing.
	forged := hooksig.Sign([]byte(emis.NewSecret()), f.clk.Now(), body)
	if resp, e := f.invoke(event(t, "POST /hooks/emis", "/hooks/emis", hooksig.EmisHeader, forged, body)); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged: %d %+v", resp.StatusCode, e)
	}
	tampered := []byte(strings.Replace(string(body), `"selected":true`, `"selected":false`, 1))
	if resp, _ := f.invoke(event(t, "POST /hooks/emis", "/hooks/emis", hooksig.EmisHeader, sig, tampered)); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("tampered: %d", resp.StatusCode)
	}
	if n := len(f.pms.received()); n != 0 {
		t.Fatalf("PMS received %d deliveries from refused calls", n)
	}

	resp, e := f.invoke(event(t, "POST /hooks/emis", "/hooks/emis", hooksig.EmisHeader, sig, body))
	if resp.StatusCode != http.StatusOK || resp.Body != `{"status":"ok"}` {
		t.Fatalf("callback: %d %s %+v", resp.StatusCode, resp.Body, e)
	}
	got := f.pms.received()
	if len(got) != 1 {
		t.Fatalf("PMS received %d deliveries, want 1", len(got))
	}
	d := got[0]
	if d.PersonID != samplePerson || d.BookingID != sampleBook || d.Version != 1 || d.Documents.Identity.Number != "C01X00T47" ||
		d.Name.Surname != "БЕРГЕР" || !hasWarning(d.Warnings, emis.WarnVisaSelectedExpired) {
		t.Errorf("delivery %+v", d.Result)
	}
	if resp, e := f.invoke(event(t, "POST /hooks/emis", "/hooks/emis", hooksig.EmisHeader, sig, body)); resp.StatusCode != http.StatusConflict || e.Code != "HOOK_REPLAYED" {
		t.Errorf("replay: %d %+v", resp.StatusCode, e)
	}

	resp, _ = pmsCall(emis.PMSMessage{Event: emis.EventDocumentsGet, PersonID: samplePerson, LegalEntity: f.legal})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("documents.get: %d %s", resp.StatusCode, resp.Body)
	}
	var pulled emis.Delivery
	if err := json.Unmarshal([]byte(resp.Body), &pulled); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(pulled.Result)
	b, _ := json.Marshal(d.Result)
	if string(a) != string(b) {
		t.Errorf("pull differs from the delivery:\n%s\n%s", a, b)
	}
	if n := len(f.pms.received()); n != 1 {
		t.Errorf("PMS received %d deliveries after the pull, want 1", n)
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	f := newFixture(t, sampleSecret)
	resp, e := f.invoke(event(t, "POST /hooks/other", "/hooks/other", "x-emis-signature", "t=1,v1=00", []byte(`{}`)))
	if resp.StatusCode != http.StatusNotFound || e.Code != "HOOK_NOT_FOUND" {
		t.Errorf("unknown route: %d %s", resp.StatusCode, resp.Body)
	}
	var ev events.APIGatewayV2HTTPRequest
	_ = json.Unmarshal(lambdatest.Event(t, job), &ev)
	ev.RequestContext.HTTP.Method = http.MethodGet
	ev.Body = ""
	b, _ := json.Marshal(ev)
	if resp, e := f.invoke(b); resp.StatusCode != http.StatusBadRequest || e.Code != "HOOK_METHOD" || resp.Headers["Allow"] != http.MethodPost {
		t.Errorf("GET /hooks/emis: %d %s", resp.StatusCode, resp.Body)
	}
}

func hasWarning(ws []emis.Warning, code string) bool {
	for _, w := range ws {
		if w.Code == code {
			return true
		}
	}
	return false
}

// pms receives the hub's webhooks like a PMS, checking every signature.
type pms struct {
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	got    []emis.Delivery
}

func newPMS(t *testing.T, clk clock.Clock, secret string) *pms {
	p := &pms{secret: secret}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if _, _, err := hooksig.Verify(r.Header.Get(hooksig.Header), body, [][]byte{[]byte(secret)}, clk.Now(), hooksig.Window); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var d emis.Delivery
		if err := json.Unmarshal(body, &d); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		p.got = append(p.got, d)
		p.mu.Unlock()
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *pms) received() []emis.Delivery {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]emis.Delivery(nil), p.got...)
}
