package main

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/stykovka/stykovka/internal/app/apptest"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stykovka/stykovka/functions/internal/lambdatest"
	"github.com/stykovka/stykovka/internal/bridge/bridgetest"
	"github.com/stykovka/stykovka/internal/bridge/wire"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/legal"
	"github.com/stykovka/stykovka/internal/regula"
)

// The sample events/bridge-ingest.json is a real upload of tenant "demo-hotel"'s front-desk
// bridge: the sample passport read of internal/regula/testdata (an invented guest), signed at
// its timestamp by device sampleDevice with sampleSecret. The tests set the clock to that
// timestamp and register the device with that secret, so the signature verifies.
const (
	sampleTenant = "demo-hotel"
	sampleLegal  = "b71d6e30-5c2a-4f8e-9d41-0a6b3c2e1f07"
	sampleDevice = "dev-frontdesk01"
	sampleSecret = "sample-bridge-device-secret-for-events-bridge-ingest-json"
	samplePerson = "160848"
)

var sampleTime = time.Unix(1751360400, 0).UTC()

type fixture struct {
	t       *testing.T
	ctx     context.Context
	clk     *clock.Fake
	hub     *hub.Hub
	handler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)
}

func newFixture(t *testing.T, secret string) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), clk: clock.NewFake(sampleTime)}
	deps, _, _ := apptest.Local(t, f.clk)
	var err error
	f.hub, err = hub.New(deps, hub.ConfigFromEnv(func(string) string { return "" }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.hub.Tenants.AddTenant(f.ctx, sampleTenant, "Гостиница «Образец»", "Europe/Moscow"); err != nil {
		t.Fatal(err)
	}
	s := func(v string) *string { return &v }
	on := true
	if _, err := f.hub.Legal.Create(f.ctx, sampleTenant, sampleLegal, legal.Changes{Description: s("ООО «Образец»"), EmisEnabled: &on,
		NamesScript: s("Cyrillic"), EmisWebLogin: s("w"), EmisWebPassword: s("wp"), EmisIntegrationLogin: s("i"),
		EmisIntegrationPassword: s("ip")}); err != nil {
		t.Fatal(err)
	}
	// A scan attaches to a guest the PMS has saved, as at the front desk.
	if err := f.hub.Emis.SaveGuest(f.ctx, sampleTenant, emis.Guest{PersonID: samplePerson}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.hub.Bridge.AddDevice(f.ctx, sampleTenant, sampleDevice, "Стойка 1", secret); err != nil {
		t.Fatal(err)
	}
	f.handler = newHandler(f.hub)
	return f
}

func (f *fixture) invoke(payload []byte) (events.APIGatewayV2HTTPResponse, wire.Outcome) {
	f.t.Helper()
	out, err := lambdatest.Invoke(f.t, f.handler, payload)
	if err != nil {
		f.t.Fatal(err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		f.t.Fatalf("response: %v: %s", err, out)
	}
	var o wire.Outcome
	_ = json.Unmarshal([]byte(resp.Body), &o)
	return resp, o
}

// event returns the sample with another body signed at the clock's time.
func (f *fixture) event(body []byte, secret string) []byte {
	f.t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(lambdatest.Event(f.t, job), &ev); err != nil {
		f.t.Fatal(err)
	}
	ev.Headers["stykovka-signature"] = hooksig.Sign([]byte(secret), f.clk.Now(), body)
	ev.Headers["content-length"] = strconv.Itoa(len(body))
	ev.Body = string(body)
	b, err := json.Marshal(ev)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// TestSampleEventIsAttached replays events/bridge-ingest.json unchanged: its signature
// verifies with the device's secret at its time and the passport is attached to the guest.
// The same bytes again are a replay; with another secret, or minutes later, refused.
func TestSampleEventIsAttached(t *testing.T) {
	sample := lambdatest.Event(t, job)
	f := newFixture(t, sampleSecret)
	resp, o := f.invoke(sample)
	if resp.StatusCode != http.StatusOK || o.Status != wire.StatusAttached || o.Document != "identity" {
		t.Fatalf("sample: %d %s", resp.StatusCode, resp.Body)
	}
	if ct := resp.Headers["Content-Type"]; !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	g, err := f.hub.Bridge.GuestDocuments(f.ctx, sampleTenant, sampleLegal, samplePerson)
	if err != nil || g.Result.Documents.Identity.Number != "C3T9K1L45" || g.Result.BookingID != "473024" {
		t.Errorf("guest %+v %v", g.Result, err)
	}
	var e wire.Error
	resp, _ = f.invoke(sample)
	_ = json.Unmarshal([]byte(resp.Body), &e)
	if resp.StatusCode != http.StatusConflict || e.Code != "HOOK_REPLAYED" {
		t.Errorf("replayed sample: %d %s", resp.StatusCode, resp.Body)
	}

	other := newFixture(t, emis.NewSecret())
	resp, _ = other.invoke(sample)
	_ = json.Unmarshal([]byte(resp.Body), &e)
	if resp.StatusCode != http.StatusUnauthorized || e.Code != "HOOK_SIGNATURE_INVALID" {
		t.Errorf("another device secret: %d %s", resp.StatusCode, resp.Body)
	}
	late := newFixture(t, sampleSecret)
	late.clk.Advance(hooksig.Window + time.Minute)
	resp, _ = late.invoke(sample)
	_ = json.Unmarshal([]byte(resp.Body), &e)
	if resp.StatusCode != http.StatusUnauthorized || e.Code != "HOOK_STALE" {
		t.Errorf("stale sample: %d %s", resp.StatusCode, resp.Body)
	}
}

// TestRetriesAndRefusals: the bridge's retry of the sample (re-signed) is a duplicate; a read
// that did not finish is refused with 422 and the reason.
func TestRetriesAndRefusals(t *testing.T) {
	f := newFixture(t, sampleSecret)
	var ev events.APIGatewayV2HTTPRequest
	_ = json.Unmarshal(lambdatest.Event(t, job), &ev)
	if resp, o := f.invoke(lambdatest.Event(t, job)); o.Status != wire.StatusAttached {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	f.clk.Advance(30 * time.Second)
	if resp, o := f.invoke(f.event([]byte(ev.Body), sampleSecret)); resp.StatusCode != http.StatusOK || o.Status != wire.StatusDuplicate {
		t.Errorf("retry: %d %s", resp.StatusCode, resp.Body)
	}
	m, err := regula.Minimize(bytes.NewReader(bridgetest.Sample(t, "processing_not_finished.json")), regula.MinimizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	body := bridgetest.Body(t, wire.Upload{TransactionID: "a4c9e713-2b8f-46d1-93e5-0c7f1d2b8e56", LegalEntity: sampleLegal,
		PersonID: samplePerson, ReadAt: f.clk.Now(), Result: m.Data})
	if resp, o := f.invoke(f.event(body, sampleSecret)); resp.StatusCode != http.StatusUnprocessableEntity || o.Code != "READ_NOT_FINISHED" {
		t.Errorf("not finished: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	f := newFixture(t, sampleSecret)
	var ev events.APIGatewayV2HTTPRequest
	_ = json.Unmarshal(lambdatest.Event(t, job), &ev)
	ev.RouteKey, ev.RawPath, ev.RequestContext.RouteKey, ev.RequestContext.HTTP.Path = "POST /bridge/other", "/bridge/other", "POST /bridge/other", "/bridge/other"
	b, _ := json.Marshal(ev)
	var e wire.Error
	resp, _ := f.invoke(b)
	_ = json.Unmarshal([]byte(resp.Body), &e)
	if resp.StatusCode != http.StatusNotFound || e.Code != "HOOK_NOT_FOUND" {
		t.Errorf("unknown route: %d %s", resp.StatusCode, resp.Body)
	}
	_ = json.Unmarshal(lambdatest.Event(t, job), &ev)
	ev.RequestContext.HTTP.Method = http.MethodGet
	ev.Body = ""
	b, _ = json.Marshal(ev)
	resp, _ = f.invoke(b)
	_ = json.Unmarshal([]byte(resp.Body), &e)
	if resp.StatusCode != http.StatusBadRequest || e.Code != "HOOK_METHOD" || resp.Headers["Allow"] != http.MethodPost {
		t.Errorf("GET: %d %s %v", resp.StatusCode, resp.Body, resp.Headers)
	}
}
