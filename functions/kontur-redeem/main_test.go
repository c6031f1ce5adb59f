package main

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stykovka/stykovka/functions/internal/lambdatest"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/kontur"
	"github.com/stykovka/stykovka/internal/money"
	kontursim "github.com/stykovka/stykovka/internal/sim/kontur"
)

// The sample events/kontur-redeem.json carries one message: write-off "wo-01J0000000000000000000000"
// of tenant "demo-hotel", as the facade would queue it.
const (
	sampleTenant  = "demo-hotel"
	sampleRequest = "wo-01J0000000000000000000000"
	sampleMessage = "059f36b4-87a3-44ab-83d2-661975830a7d"
	card          = "7000000000001234" // 5000 points in kontursim.DemoCards
	simKey        = "redeem-test-key"
)

// fixture is the function over a hub on the local dependencies (bbolt in a temporary folder)
// with the Kontur simulator, a real HTTP server, as Kontur.
type fixture struct {
	t   *testing.T
	ctx context.Context
	hub *hub.Hub
	sim *kontursim.Sim
	pt  string // the tenant's payment type: points, 50 %
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background()}
	f.sim = kontursim.New(kontursim.Options{APIKey: simKey, Cards: kontursim.DemoCards()})
	url, err := f.sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.sim.Close() })
	f.hub = lambdatest.Hub(t, hub.Config{Kontur: hub.KonturConfig{BaseURL: url, APIKey: simKey, Timeout: 2 * time.Second}})
	if _, err := f.hub.Tenants.AddTenant(f.ctx, sampleTenant, "Гостиница «Образец»", "Europe/Moscow"); err != nil {
		t.Fatal(err)
	}
	pt, err := f.hub.Kontur.CreatePaymentType(f.ctx, sampleTenant, kontur.PaymentTypeInput{
		Name: "Бонусные баллы Контур (бонусы)", Kind: kontur.PaymentKind, Currency: "BONUS", MaxPercent: money.FromInt(50), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	f.pt = pt.Ref
	return f
}

// pending makes a write-off that Kontur applies while every answer about it is lost: the
// front desk's call ends with KONTUR_PENDING and the write-off stays "debiting".
func (f *fixture) pending(requestID string) {
	f.t.Helper()
	if err := f.sim.SetFaults(kontursim.Faults{DropAfter: 1, Endpoints: []string{"debit", "get"}, Seed: 7}); err != nil {
		f.t.Fatal(err)
	}
	w, err := f.hub.Kontur.WriteOff(f.ctx, sampleTenant, kontur.WriteOffRequest{RequestID: requestID, FolioID: "F-" + requestID,
		CardNumber: card, PaymentType: f.pt, Amount: money.FromInt(300), Saldo: money.MustParse("-1000.00")})
	if e := (*apperr.Error)(nil); !errors.As(err, &e) || e.Code != "KONTUR_PENDING" {
		f.t.Fatalf("write-off with lost answers: %v", err)
	}
	if w.State != kontur.StateDebiting {
		f.t.Fatalf("state %s, want debiting", w.State)
	}
	if err := f.sim.SetFaults(kontursim.Faults{}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) invoke(payload []byte) events.SQSEventResponse {
	f.t.Helper()
	out, err := lambdatest.Invoke(f.t, newHandler(f.hub), payload)
	if err != nil {
		f.t.Fatal(err)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		f.t.Fatalf("response %s: %v", out, err)
	}
	return resp
}

func failed(resp events.SQSEventResponse) []string {
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	return ids
}

// TestSampleEventCompletesWriteOff replays events/kontur-redeem.json unchanged: the write-off
// it names, left "debiting" with the debit applied at Kontur, is recorded — by asking Kontur,
// not by debiting again. The same message delivered again changes nothing.
func TestSampleEventCompletesWriteOff(t *testing.T) {
	f := newFixture(t)
	f.pending(sampleRequest)
	if n := len(f.sim.Ledger()); n != 1 {
		t.Fatalf("ledger before: %d entries, want the one debit", n)
	}

	resp := f.invoke(lambdatest.Event(t, job))
	if ids := failed(resp); len(ids) != 0 {
		t.Fatalf("failures %v", ids)
	}
	w, err := f.hub.Kontur.GetWriteOff(f.ctx, sampleTenant, sampleRequest)
	if err != nil {
		t.Fatal(err)
	}
	if w.State != kontur.StateRecorded || w.Payment == nil || w.Payment.Title != kontur.PaymentTitle || !w.Payment.Amount.Equal(money.FromInt(300)) {
		t.Fatalf("after the message: %+v", w)
	}
	if b := f.sim.Balances(card)["BONUS"]; !b.Equal(money.FromInt(4700)) {
		t.Errorf("card: %s points, want 4700", b)
	}

	// At-least-once delivery: the same message again.
	if ids := failed(f.invoke(lambdatest.Event(t, job))); len(ids) != 0 {
		t.Errorf("redelivery failed: %v", ids)
	}
	if n := len(f.sim.Ledger()); n != 1 {
		t.Errorf("ledger after redelivery: %d entries, want 1", n)
	}
}

// TestBatchReportsFailuresPerMessage: in one batch, a good message settles its write-off while
// a malformed one, one naming no stored write-off, and one whose write-off Kontur still does not
// confirm are reported in BatchItemFailures (back to the queue, then its dead-letter queue).
func TestBatchReportsFailuresPerMessage(t *testing.T) {
	f := newFixture(t)
	f.pending("wo-good")
	f.pending("wo-stuck")
	var ev events.SQSEvent
	if err := json.Unmarshal(lambdatest.Event(t, job), &ev); err != nil {
		t.Fatal(err)
	}
	tmpl := ev.Records[0]
	msg := func(id, body string) events.SQSMessage {
		m := tmpl
		m.MessageId, m.Body, m.Md5OfBody = id, body, ""
		return m
	}
	ev.Records = []events.SQSMessage{
		msg("m-good", `{"tenant":"demo-hotel","writeOff":"wo-good"}`),
		msg("m-bad-json", `{"tenant":"demo-hotel","writeOff":`),
		msg("m-extra", `{"tenant":"demo-hotel","writeOff":"wo-good","amount":"1"}`),
		msg("m-unknown", `{"tenant":"demo-hotel","writeOff":"wo-never-made"}`),
		msg("m-other-tenant", `{"tenant":"hotel-b","writeOff":"wo-good"}`),
		msg("m-stuck", `{"tenant":"demo-hotel","writeOff":"wo-stuck"}`),
	}
	// Kontur is down for "wo-stuck": every request fails before it is applied. The good message
	// is first in the batch, so the faults go on only after it.
	payload, _ := json.Marshal(events.SQSEvent{Records: ev.Records[:1]})
	if ids := failed(f.invoke(payload)); len(ids) != 0 {
		t.Fatalf("good message: %v", ids)
	}
	if err := f.sim.SetFaults(kontursim.Faults{FailBefore: 1}); err != nil {
		t.Fatal(err)
	}
	payload, _ = json.Marshal(ev)
	got := failed(f.invoke(payload))
	want := []string{"m-bad-json", "m-extra", "m-other-tenant", "m-stuck", "m-unknown"}
	if !slices.Equal(got, want) {
		t.Errorf("failures %v, want %v", got, want)
	}
	if w, _ := f.hub.Kontur.GetWriteOff(f.ctx, sampleTenant, "wo-good"); w.State != kontur.StateRecorded {
		t.Errorf("wo-good: %s", w.State)
	}
	if w, _ := f.hub.Kontur.GetWriteOff(f.ctx, sampleTenant, "wo-stuck"); w.State != kontur.StateDebiting {
		t.Errorf("wo-stuck: %s, want still debiting", w.State)
	}
	// Kontur is back: the redelivered message finishes it.
	if err := f.sim.SetFaults(kontursim.Faults{}); err != nil {
		t.Fatal(err)
	}
	payload, _ = json.Marshal(events.SQSEvent{Records: ev.Records[5:]})
	if ids := failed(f.invoke(payload)); len(ids) != 0 {
		t.Errorf("redelivered stuck message: %v", ids)
	}
	if w, _ := f.hub.Kontur.GetWriteOff(f.ctx, sampleTenant, "wo-stuck"); w.State != kontur.StateRecorded {
		t.Errorf("wo-stuck after Kontur is back: %s", w.State)
	}
	if b := f.sim.Balances(card)["BONUS"]; !b.Equal(money.FromInt(4400)) {
		t.Errorf("card: %s points, want 4400 (two debits of 300)", b)
	}
}

func TestParseMessage(t *testing.T) {
	if m, err := ParseMessage(`{"tenant":"t1","writeOff":"rq-1"}`); err != nil || m != (Message{Tenant: "t1", WriteOff: "rq-1"}) {
		t.Errorf("valid: %+v %v", m, err)
	}
	for _, body := range []string{``, `null`, `{}`, `{"tenant":"t1"}`, `{"tenant":"t1","writeOff":"x"} {}`,
		`{"tenant":"t1","writeOff":"x","card":"7000000000001234"}`, `{"tenant":"t1","writeOff":"` + string(make([]byte, 2000)) + `"}`} {
		if _, err := ParseMessage(body); err == nil {
			t.Errorf("accepted %q", body)
		}
	}
}
