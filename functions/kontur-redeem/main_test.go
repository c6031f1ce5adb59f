package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/functions/internal/lambdatest"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/kontur"
	"github.com/stykovka/stykovka/internal/money"
	kontursim "github.com/stykovka/stykovka/internal/sim/kontur"
)

// The test's write-off; the sample event is a tick, which settles every tenant's.
const (
	sampleTenant  = "demo-hotel"
	sampleRequest = "wo-01J0000000000000000000000"
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

func (f *fixture) invoke(payload []byte) error {
	f.t.Helper()
	_, err := lambdatest.Invoke(f.t, newHandler(f.hub), payload)
	return err
}

// TestSampleEventCompletesWriteOff replays events/kontur-redeem.json unchanged: the write-off
// left "debiting" with the debit applied at Kontur is recorded — by asking Kontur, not by
// debiting again. The same tick delivered again changes nothing.
func TestSampleEventCompletesWriteOff(t *testing.T) {
	f := newFixture(t)
	f.pending(sampleRequest)
	if n := len(f.sim.Ledger()); n != 1 {
		t.Fatalf("ledger before: %d entries, want the one debit", n)
	}

	if err := f.invoke(lambdatest.Event(t, job)); err != nil {
		t.Fatal(err)
	}
	w, err := f.hub.Kontur.GetWriteOff(f.ctx, sampleTenant, sampleRequest)
	if err != nil {
		t.Fatal(err)
	}
	if w.State != kontur.StateRecorded || w.Payment == nil || w.Payment.Title != kontur.PaymentTitle || !w.Payment.Amount.Equal(money.FromInt(300)) {
		t.Fatalf("after the tick: %+v", w)
	}
	if b := f.sim.Balances(card)["BONUS"]; !b.Equal(money.FromInt(4700)) {
		t.Errorf("card: %s points, want 4700", b)
	}

	// At-least-once delivery: the same tick again.
	if err := f.invoke(lambdatest.Event(t, job)); err != nil {
		t.Errorf("redelivery: %v", err)
	}
	if n := len(f.sim.Ledger()); n != 1 {
		t.Errorf("ledger after redelivery: %d entries, want 1", n)
	}
}

// TestTickOfAnotherJobIsRefused: a schedule wired to the wrong function is an error, not work.
func TestTickOfAnotherJobIsRefused(t *testing.T) {
	f := newFixture(t)
	err := f.invoke([]byte(`{"job":"sep-poller","scheduledTime":"2026-11-23T18:00:00Z"}`))
	if e := (*apperr.Error)(nil); !errors.As(err, &e) && (err == nil || !strings.Contains(err.Error(), "SCHEDULE_JOB_MISMATCH")) {
		t.Fatalf("error %v, want SCHEDULE_JOB_MISMATCH", err)
	}
}
