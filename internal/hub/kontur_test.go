package hub_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/kontur"
	"github.com/stykovka/stykovka/internal/scheduler"
)

func konturDeps(t *testing.T) *app.Deps {
	t.Helper()
	deps, err := app.Local(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deps.Close() })
	return deps
}

func TestKonturConfigFromEnv(t *testing.T) {
	env := map[string]string{hub.EnvKonturURL: " https://kontur.example/ ", hub.EnvKonturAPIKey: "k-1"}
	cfg := hub.ConfigFromEnv(func(k string) string { return env[k] })
	if cfg.Kontur.BaseURL != "https://kontur.example/" || cfg.Kontur.APIKey != "k-1" {
		t.Errorf("Kontur config %+v", cfg.Kontur)
	}
	if _, err := hub.New(konturDeps(t), hub.Config{Kontur: hub.KonturConfig{BaseURL: "ftp://nope"}}); err == nil {
		t.Error("a hub with a malformed Kontur URL was built")
	}
}

// TestKonturUnconfigured: without Kontur's URL the hub still starts, serves the catalog and
// recovers (nothing to do), and refuses what needs Kontur with KONTUR_NOT_CONFIGURED.
func TestKonturUnconfigured(t *testing.T) {
	ctx := context.Background()
	h, err := hub.New(konturDeps(t), hub.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Tenants.AddTenant(ctx, "t1", "Гостиница", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Kontur.CreatePaymentType(ctx, "t1", kontur.DemoPaymentTypes()[0]); err != nil {
		t.Fatal(err)
	}
	_, err = h.Kontur.GetCardBalance(ctx, "t1", kontur.BalanceRequest{CardNumber: "7000000000001234"})
	if e := (*apperr.Error)(nil); !errors.As(err, &e) || e.Code != "KONTUR_NOT_CONFIGURED" {
		t.Errorf("balance without Kontur: %v", err)
	}
	var recover *hub.Job
	for _, j := range h.Jobs() {
		if j.Name == hub.KonturRedeemJob {
			recover = &j
		}
	}
	if recover == nil || recover.Every.Minutes() != 1 {
		t.Fatalf("kontur-redeem job: %+v", recover)
	}
	if err := recover.Run(ctx, scheduler.Tick{Job: recover.Name, Scheduled: time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)}); err != nil {
		t.Errorf("kontur-redeem with nothing in progress: %v", err)
	}
	found := false
	for _, s := range h.SOAPServices() {
		found = found || s.Name == "Kontur"
	}
	if !found {
		t.Error("no Kontur SOAP service")
	}
	names := map[string]bool{}
	for _, s := range h.EntitySets() {
		names[s.Name] = true
	}
	if !names["Catalog_PaymentTypes"] || !names["Document_BonusWriteOffs"] {
		t.Errorf("OData sets %v", names)
	}
}
