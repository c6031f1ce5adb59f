package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/functions/internal/lambdatest"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/novotelecom"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
	ntsim "github.com/stykovka/stykovka/internal/sim/novotelecom"
)

// slot is the sample event's scheduledTime: 09:15 UTC, due for a tenant exchanging every 15
// minutes, not for one exchanging every hour.
var slot = time.Date(2025, 7, 1, 9, 15, 0, 0, time.UTC)

type fixture struct {
	h   *hub.Hub
	sim *ntsim.Server
}

// newFixture is a hub on local dependencies configured from the Lambda environment, with the
// «Мои счета» simulator as Novotelecom's server, and two housing companies: "tszh-15"
// exchanging every 15 minutes (with the seed's registries waiting on the server and debts in
// Outgoing), "tszh-60" every hour.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	sim := ntsim.New(clock.Real{})
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	env := map[string]string{hub.EnvNovotelecomURL: sim.URL()}
	f := &fixture{h: lambdatest.Hub(t, hub.ConfigFromEnv(func(k string) string { return env[k] })), sim: sim}
	ctx := context.Background()
	for _, tc := range []struct {
		tenant string
		every  int
	}{{"tszh-15", 15}, {"tszh-60", 60}} {
		if _, err := f.h.Tenants.AddTenant(ctx, tc.tenant, "ТСЖ "+tc.tenant, "Asia/Novosibirsk"); err != nil {
			t.Fatal(err)
		}
		sim.AddAccount("login-"+tc.tenant, "pw-"+tc.tenant)
		sim.SeedDemo("login-" + tc.tenant)
		if _, err := f.h.Novotelecom.SaveSettings(ctx, tc.tenant, novotelecom.SettingsRequest{
			Coding: novotelecom.CodingAccount, Login: "login-" + tc.tenant, Password: "pw-" + tc.tenant, ExchangeEvery: tc.every,
		}); err != nil {
			t.Fatal(err)
		}
	}
	var lines []novotelecom.DebtLine
	for _, acc := range ntsim.DemoAccounts() {
		lines = append(lines, novotelecom.DebtLine{Account: acc, Amount: money.MustParse("100.00")})
	}
	if _, err := f.h.Novotelecom.SubmitDebts(ctx, "tszh-15", novotelecom.DebtsRequest{RequestID: "debts-1",
		Period: registry.Period{Year: 2025, Month: time.June}, Lines: lines}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) sessions(t *testing.T, tenant string) []novotelecom.Session {
	t.Helper()
	p, err := f.h.Novotelecom.Sessions(context.Background(), tenant, novotelecom.ListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return p.Items
}

// TestSampleEventRunsTheDueExchanges replays events/novotelecom-exchange.json through
// lambda.NewHandler: the tenant due at 09:15 exchanges with the simulator (its debts go, the
// seed's registries come, the broken one is rejected), the other does not; the same tick
// delivered again runs nothing twice.
func TestSampleEventRunsTheDueExchanges(t *testing.T) {
	f := newFixture(t)
	out, err := lambdatest.Replay(t, newHandler(f.h), job)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "null" {
		t.Errorf("result %s, want none", out)
	}
	got := f.sessions(t, "tszh-15")
	if len(got) != 1 {
		t.Fatalf("tszh-15 sessions: %+v", got)
	}
	s := got[0]
	if s.ID != novotelecom.SessionID(slot) || s.Manual || s.State != novotelecom.SessionDone || s.Attempts != 1 ||
		s.Sent != 1 || s.Received != 4 || s.Awaiting != 2 || s.Rejected != 1 || s.Answers != 1 ||
		s.Message != "Передано файлов: 1, принято: 4, с ошибками: 1, реестров к приёму: 2" {
		t.Fatalf("session: %+v", s)
	}
	ups := f.sim.Uploads("login-tszh-15")
	if len(ups) != 1 || !strings.HasPrefix(ups[0].Name, "Debts_") || ups[0].Puts != 1 {
		t.Fatalf("uploads: %+v", ups)
	}
	if left := f.sim.Pending("login-tszh-15"); len(left) != 0 {
		t.Errorf("%d files left on the server", len(left))
	}
	if s := f.sessions(t, "tszh-60"); len(s) != 0 {
		t.Fatalf("tszh-60 exchanged at 09:15: %+v", s)
	}
	if left := f.sim.Pending("login-tszh-60"); len(left) != 3 {
		t.Errorf("tszh-60's files on the server: %d, want the 3 demo files untouched", len(left))
	}

	// Scheduler delivers at least once: the same slot again changes nothing.
	before := f.sim.Stats()
	if _, err := lambdatest.Replay(t, newHandler(f.h), job); err != nil {
		t.Fatal(err)
	}
	if again := f.sessions(t, "tszh-15"); len(again) != 1 || again[0].Attempts != 1 || again[0].Version != s.Version {
		t.Fatalf("after the repeated tick: %+v", again)
	}
	if after := f.sim.Stats(); after.Logins != before.Logins || after.Downloads != before.Downloads || after.Puts != before.Puts {
		t.Errorf("the repeated tick talked to the server: %+v → %+v", before, after)
	}
}

// TestUnreachableServerFailsTheTickForARetry: a session stopped by the server is recorded as
// failed, and the invocation fails so that Scheduler's retry resumes the same slot.
func TestUnreachableServerFailsTheTickForARetry(t *testing.T) {
	f := newFixture(t)
	f.sim.SetFaults(ntsim.Faults{Unavailable: 1000})
	_, err := lambdatest.Replay(t, newHandler(f.h), job)
	if err == nil || !strings.Contains(err.Error(), novotelecom.CodeServerDown) {
		t.Fatalf("error %v, want %s", err, novotelecom.CodeServerDown)
	}
	s := f.sessions(t, "tszh-15")
	if len(s) != 1 || s[0].State != novotelecom.SessionFailed || s[0].ErrorCode != novotelecom.CodeServerDown {
		t.Fatalf("sessions: %+v", s)
	}
	f.sim.SetFaults(ntsim.Faults{})
	if _, err := lambdatest.Replay(t, newHandler(f.h), job); err != nil {
		t.Fatal(err)
	}
	s = f.sessions(t, "tszh-15")
	if len(s) != 1 || s[0].State != novotelecom.SessionDone || s[0].Attempts != 2 || s[0].Received != 4 {
		t.Fatalf("the retried slot: %+v", s)
	}
}

func TestEventOfAnotherJobIsRefused(t *testing.T) {
	payload := []byte(`{"job":"other","scheduledTime":"2025-07-01T09:00:00Z"}`)
	_, err := lambdatest.Invoke(t, newHandler(lambdatest.Hub(t, hub.Config{})), payload)
	if err == nil || !strings.Contains(err.Error(), "SCHEDULE_JOB_MISMATCH") {
		t.Fatalf("error %v, want SCHEDULE_JOB_MISMATCH", err)
	}
}
