package hub_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/novotelecom"
	"github.com/stykovka/stykovka/internal/scheduler"
)

func ntLocalHub(t *testing.T, cfg hub.Config) *hub.Hub {
	t.Helper()
	deps, err := app.Local(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deps.Close() })
	h, err := hub.New(deps, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestNovotelecomConfigFromEnv(t *testing.T) {
	env := map[string]string{hub.EnvNovotelecomURL: " http://127.0.0.1:8090 "}
	cfg := hub.ConfigFromEnv(func(k string) string { return env[k] })
	if cfg.Novotelecom.BaseURL != "http://127.0.0.1:8090" {
		t.Fatalf("BaseURL %q", cfg.Novotelecom.BaseURL)
	}
	deps, err := app.Local(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer deps.Close()
	if _, err := hub.New(deps, hub.Config{Novotelecom: hub.NovotelecomConfig{BaseURL: "ftp://x"}}); err == nil ||
		!strings.Contains(err.Error(), hub.EnvNovotelecomURL) {
		t.Fatalf("a bad URL: %v", err)
	}
}

// TestNovotelecomPublished: the service, the three registers and the every-minute job are
// the hub's.
func TestNovotelecomPublished(t *testing.T) {
	h := ntLocalHub(t, hub.Config{})
	found := false
	for _, s := range h.SOAPServices() {
		found = found || s.Name == "Novotelecom"
	}
	if !found {
		t.Error("no SOAP service Novotelecom")
	}
	sets := map[string]bool{}
	for _, s := range h.EntitySets() {
		sets[s.Name] = true
	}
	for _, n := range []string{"InformationRegister_NovotelecomRegistries", "InformationRegister_NovotelecomRegistryLines", "InformationRegister_NovotelecomSessions"} {
		if !sets[n] {
			t.Errorf("no OData set %s", n)
		}
	}
	var job *hub.Job
	for _, j := range h.Jobs() {
		if j.Name == hub.NovotelecomExchangeJob {
			job = &j
		}
	}
	if job == nil || job.Every != time.Minute {
		t.Fatalf("job: %+v", job)
	}
}

// TestNovotelecomWithoutServer: without STYKOVKA_NOVOTELECOM_URL the hub still starts; a due
// exchange is recorded as failed with NOVOTELECOM_NO_SERVER, and the job does not ask for a
// retry that could not help. A slot in the middle of a minute counts as its minute.
func TestNovotelecomWithoutServer(t *testing.T) {
	h := ntLocalHub(t, hub.Config{})
	ctx := context.Background()
	if _, err := h.Tenants.AddTenant(ctx, "tszh", "ТСЖ", "Europe/Moscow"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Novotelecom.SaveSettings(ctx, "tszh", novotelecom.SettingsRequest{
		Coding: novotelecom.CodingAccount, Login: "l", Password: "p", ExchangeEvery: 30}); err != nil {
		t.Fatal(err)
	}
	slot := time.Date(2025, 7, 1, 9, 30, 0, 0, time.UTC)
	if err := h.NovotelecomExchange(ctx, scheduler.Tick{Job: hub.NovotelecomExchangeJob, Scheduled: slot.Add(17 * time.Second)}); err != nil {
		t.Fatalf("job: %v", err)
	}
	p, err := h.Novotelecom.Sessions(ctx, "tszh", novotelecom.ListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || p.Items[0].ID != novotelecom.SessionID(slot) || p.Items[0].State != novotelecom.SessionFailed ||
		p.Items[0].ErrorCode != "NOVOTELECOM_NO_SERVER" {
		t.Fatalf("sessions: %+v", p.Items)
	}
	// 09:31 is not due for a 30-minute schedule.
	if err := h.NovotelecomExchange(ctx, scheduler.Tick{Job: hub.NovotelecomExchangeJob, Scheduled: slot.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if p, _ := h.Novotelecom.Sessions(ctx, "tszh", novotelecom.ListRequest{}); len(p.Items) != 1 {
		t.Fatalf("sessions after 09:31: %d", len(p.Items))
	}
}
