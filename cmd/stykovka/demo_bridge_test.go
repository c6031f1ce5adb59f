package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/facade"
	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/bridge/agent"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/legal"
)

// TestDemoBridge: the demo seeds one device and a bridge configuration (a second start keeps
// both); the bridge run with that configuration relays a sample result dropped into its
// folder, and the document appears in the guest's data with its warnings.
func TestDemoBridge(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	deps, err := app.Local(data, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deps.Close() })
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	h, err := hub.New(deps, hub.Config{PublicURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	handler = facade.New(facade.Options{Hub: h})
	if _, err := h.Tenants.AddTenant(ctx, demoTenant, "Демо-абонент", "Europe/Moscow"); err != nil {
		t.Fatal(err)
	}
	s := func(v string) *string { return &v }
	on := true
	if _, err := h.Legal.Create(ctx, demoTenant, demoEmisLegalRef, legal.Changes{Description: s("ООО «Гостиница „Демо“»"),
		EmisEnabled: &on, NamesScript: s("Cyrillic"), EmisWebLogin: s("w"), EmisWebPassword: s("wp"),
		EmisIntegrationLogin: s("i"), EmisIntegrationPassword: s("ip")}); err != nil {
		t.Fatal(err)
	}

	d := &demoEnv{dataDir: data}
	if err := seedBridge(ctx, d, h); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(data, demoBridgeDir, demoBridgeConfig)
	first, err := agent.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := seedBridge(ctx, &demoEnv{dataDir: data}, h); err != nil {
		t.Fatalf("second start: %v", err)
	}
	again, err := agent.LoadConfig(path)
	if err != nil || again.DeviceID != first.DeviceID || again.Secret != first.Secret || again.HubURL != srv.URL {
		t.Fatalf("second start changed the bridge: %+v %v", again, err)
	}
	if ds, _ := h.Bridge.Devices(ctx, demoTenant); len(ds) != 1 {
		t.Errorf("devices after two starts: %+v", ds)
	}
	if banner := strings.Join(d.lines, "\n"); !strings.Contains(banner, "go run ./cmd/bridge -config "+path) {
		t.Errorf("banner:\n%s", banner)
	}

	// The bridge as the demo configures it (on a free local port).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	again.Listen = ln.Addr().String()
	ln.Close()
	again.PollInterval.Duration, again.Settle.Duration = 50*time.Millisecond, 10*time.Millisecond
	a, err := agent.New(again, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	// The PMS saved the guest (only a saved person's documents go to EMIS).
	if err := h.Emis.SaveGuest(ctx, demoTenant, emis.Guest{PersonID: "160848", BookingID: "473024", Surname: "Schneider"}); err != nil {
		t.Fatal(err)
	}
	sample, err := os.ReadFile(filepath.Join("..", "..", "internal", "regula", "testdata", "passport_chip.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(again.WatchDir, "scan-0001.json"), sample, 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		g, err := h.Bridge.GuestDocuments(ctx, demoTenant, demoEmisLegalRef, "160848")
		if err == nil {
			if g.Result.Documents.Identity.Number != "C3T9K1L45" || len(g.Result.Warnings) == 0 {
				t.Errorf("guest documents %+v", g.Result)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dropped read did not reach the guest: %v; bridge %+v", err, a.Status())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// …and in the guest's EMIS documents, with its warnings, as the PMS gets them.
	res, err := h.Emis.GetDocuments(ctx, demoTenant, demoEmisLegalRef, "160848")
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{}
	for _, w := range res.Warnings {
		codes[w.Code] = true
	}
	if res.Documents.Identity.Number != "C3T9K1L45" || !codes["NAME_TRANSLITERATED"] || !codes["MIGRATION_CARD_REQUIRED"] {
		t.Errorf("EMIS documents %+v", res)
	}
}
