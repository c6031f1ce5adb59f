package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/functions/internal/lambdatest"
	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/sep"
	sepsim "github.com/stykovka/stykovka/internal/sim/sep"
)

const tenant = "leasing"

// pollerHub is a hub on local dependencies and a fake clock, pointed at the SEP simulator
// (a real HTTP server on the same clock), with a leasing company whose key SEP knows.
func pollerHub(t *testing.T, clk *clock.Fake) (*hub.Hub, *sepsim.Sim) {
	t.Helper()
	deps, err := app.LocalWithClock(t.TempDir(), slog.New(slog.NewTextHandler(t.Output(), nil)), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deps.Close() })
	sim := sepsim.New(sepsim.Options{Clock: clk})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	for _, p := range sepsim.DemoParticipants() {
		sim.AddParticipant(p)
	}
	h, err := hub.New(deps, hub.ConfigFromEnv(func(k string) string {
		return map[string]string{hub.EnvSepURL: srv.URL + sepsim.Path}[k]
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := h.Tenants.AddTenant(ctx, tenant, "Лизинг", "Europe/Moscow"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Sep.PutSettings(ctx, tenant, sep.Settings{Organisations: []sep.Organisation{
		{INN: sepsim.DemoLessorINN, OGRN: sepsim.DemoLessorOGRN, Name: "ООО «Демо Лизинг»"}}}); err != nil {
		t.Fatal(err)
	}
	key, err := h.Sep.OrganisationKey(ctx, tenant, sepsim.DemoLessorINN)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.SetPublicKey(sepsim.DemoLessorINN, key); err != nil {
		t.Fatal(err)
	}
	return h, sim
}

func resultCalls(sim *sepsim.Sim) int {
	n := 0
	for _, c := range sim.Calls() {
		if c.Op == "GetResult" {
			n++
		}
	}
	return n
}

// TestSampleEventPollsDueEntriesOnce replays events/sep-poller.json: before 60 s it asks
// SEP nothing, at 60 s it takes the result, and the same event delivered again applies
// nothing twice.
func TestSampleEventPollsDueEntriesOnce(t *testing.T) {
	clk := clock.NewFake(time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC))
	h, sim := pollerHub(t, clk)
	ctx := context.Background()
	e, err := h.Sep.RequestApplications(ctx, tenant, sep.PeriodRequest{OrganisationINN: sepsim.DemoLessorINN,
		From: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)})
	if err != nil || e.Status != sep.StatusQueued {
		t.Fatalf("queued: %+v %v", e, err)
	}
	handler := newHandler(h)

	clk.Advance(30 * time.Second)
	if _, err := lambdatest.Replay(t, handler, job); err != nil {
		t.Fatal(err)
	}
	if n := resultCalls(sim); n != 0 {
		t.Fatalf("GetResult 30 s after the queue number: %d calls", n)
	}

	clk.Advance(30 * time.Second)
	if _, err := lambdatest.Replay(t, handler, job); err != nil {
		t.Fatal(err)
	}
	got, err := h.Sep.Entry(ctx, tenant, e.ID)
	if err != nil || got.Status != sep.StatusAnswered || got.Outcome != sep.OutcomeCompleted {
		t.Fatalf("entry after 60 s: %+v %v", got, err)
	}
	calls := len(sim.Calls())
	if _, err := lambdatest.Replay(t, handler, job); err != nil {
		t.Fatal(err)
	}
	if len(sim.Calls()) != calls || resultCalls(sim) != 1 {
		t.Fatalf("the repeated event called SEP again: %d → %d calls", calls, len(sim.Calls()))
	}
	if early := sim.EarlyResultCalls(); len(early) != 0 {
		t.Fatalf("GetResult before 60 s: %+v", early)
	}
	hist, _ := h.Sep.History(ctx, tenant, sep.PageRequest{})
	if len(hist.Items) != 2 {
		t.Fatalf("history: %d records, want SendRequest and one GetResult", len(hist.Items))
	}
}

// TestSampleEventWithoutSEP: a poller without STYKOVKA_SEP_URL does nothing and fails not.
func TestSampleEventWithoutSEP(t *testing.T) {
	if _, err := lambdatest.Replay(t, newHandler(lambdatest.Hub(t, hub.Config{})), job); err != nil {
		t.Fatal(err)
	}
}

func TestEventOfAnotherJobIsRefused(t *testing.T) {
	payload := []byte(`{"job":"other","scheduledTime":"2025-07-01T09:00:00Z"}`)
	_, err := lambdatest.Invoke(t, newHandler(lambdatest.Hub(t, hub.Config{})), payload)
	if err == nil || !strings.Contains(err.Error(), "SCHEDULE_JOB_MISMATCH") {
		t.Fatalf("error %v, want SCHEDULE_JOB_MISMATCH", err)
	}
}
