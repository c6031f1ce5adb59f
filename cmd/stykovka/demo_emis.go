package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
	"github.com/stykovka/stykovka/internal/emis/webhook"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/legal"
	emissim "github.com/stykovka/stykovka/internal/sim/emis"
)

// The demo hotel: one legal entity with EMIS, its integration account in the simulator, the
// tenant's webhook secrets (kept in the data folder, so they survive restarts and a person can
// sign PMS webhooks by hand) and a tiny "demo PMS" that receives the hub's deliveries.
const (
	demoEmisLegalRef   = "e0150000-0000-4000-8000-000000000001"
	demoEmisLegalCode  = "ДЕМО-EMIS"
	demoEmisLogin      = "demo-hotel-integration"
	demoEmisWebLogin   = "demo-hotel-web"
	demoEmisSecretFile = "demo-emis-secrets.json"
	demoPMSPath        = "/demo-pms"
	demoPMSKeep        = 20 // deliveries the demo PMS remembers
)

// demoEmisSims holds the simulator each demo start runs, for its seeding.
var demoEmisSims sync.Map // *demoEnv → *emissim.Server

// demoEmis starts the EMIS simulator and points the hub at it.
func demoEmis(ctx context.Context, d *demoEnv, cfg *hub.Config) error {
	sim, err := emissim.Start("127.0.0.1:0", emissim.Options{})
	if err != nil {
		return fmt.Errorf("симулятор EMIS: %w", err)
	}
	demoEmisSims.Store(d, sim)
	d.onStop(func() {
		demoEmisSims.Delete(d)
		_ = sim.Close()
	})
	cfg.Emis.BaseURL = sim.URL()
	return nil
}

// demoSecrets are the demo tenant's webhook secrets.
type demoSecrets struct {
	Emis   string `json:"emis_secret"`    // EMIS → hub (the simulator signs with it)
	PMSIn  string `json:"pms_in_secret"`  // PMS → hub (sign POST /hooks/pms?tenant=demo with it)
	PMSOut string `json:"pms_out_secret"` // hub → PMS (the demo PMS verifies with it)
	Note   string `json:"note,omitempty"` // for the person who opens the file
}

// loadDemoSecrets reads the secrets file of the data folder, creating it (mode 0600) with
// random secrets on the first start.
func loadDemoSecrets(dir string) (demoSecrets, error) {
	path := filepath.Join(dir, demoEmisSecretFile)
	var s demoSecrets
	b, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(b, &s); err == nil && len(s.Emis) >= emis.MinSecretLen &&
			len(s.PMSIn) >= emis.MinSecretLen && len(s.PMSOut) >= emis.MinSecretLen {
			return s, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return s, err
	}
	s = demoSecrets{Emis: emis.NewSecret(), PMSIn: emis.NewSecret(), PMSOut: emis.NewSecret(),
		Note: "Секреты подписи вебхуков EMIS/PMS демо-абонента (только для демо-режима)"}
	b, _ = json.MarshalIndent(s, "", "  ")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return s, err
	}
	return s, os.Rename(tmp, path)
}

// seedEmis creates the demo legal entity with EMIS (once), registers its integration account
// in the simulator, configures the demo tenant's secrets and points its PMS webhook at the
// demo PMS (unless someone pointed it elsewhere).
func seedEmis(ctx context.Context, d *demoEnv, h *hub.Hub) error {
	v, ok := demoEmisSims.Load(d)
	if !ok {
		return nil // not in demo mode
	}
	sim := v.(*emissim.Server)
	ent, err := h.Legal.Get(ctx, demoTenant, demoEmisLegalRef)
	if err != nil && apperr.As(err).Kind == apperr.NotFound {
		ptr := func(s string) *string { return &s }
		on := true
		ent, err = h.Legal.Create(ctx, demoTenant, demoEmisLegalRef, legal.Changes{
			Code: ptr(demoEmisLegalCode), Description: ptr("ООО «Гостиница „Демо“»"),
			EmisEnabled: &on, NamesScript: ptr(string(legal.Cyrillic)),
			EmisWebLogin: ptr(demoEmisWebLogin), EmisWebPassword: ptr(emis.NewSecret()),
			EmisIntegrationLogin: ptr(demoEmisLogin), EmisIntegrationPassword: ptr(emis.NewSecret()),
		})
	}
	if err != nil {
		return fmt.Errorf("организация EMIS: %w", err)
	}
	cred, err := h.Legal.Credentials(ctx, demoTenant, ent.Ref)
	if err != nil {
		return fmt.Errorf("учётные данные EMIS: %w", err)
	}
	sec, err := loadDemoSecrets(d.dataDir)
	if err != nil {
		return fmt.Errorf("секреты EMIS: %w", err)
	}
	sim.AddAccount(emissim.Account{Login: cred.IntegrationLogin, Password: cred.IntegrationPassword, HookSecret: sec.Emis})

	pms, err := startDemoPMS(h.Deps.Clock, h.Deps.Log, sec.PMSOut)
	if err != nil {
		return fmt.Errorf("демо-PMS: %w", err)
	}
	d.onStop(pms.close)
	conf := emis.Config{EmisSecret: &sec.Emis, PMSInSecret: &sec.PMSIn, PMSOutSecret: &sec.PMSOut}
	cur, err := h.Emis.Settings(ctx, demoTenant)
	if err != nil {
		return err
	}
	if own := cur.PMSWebhookURL; own == "" || isDemoPMS(own) {
		conf.PMSWebhookURL = &pms.url
	}
	set, err := h.Emis.Configure(ctx, demoTenant, conf)
	if err != nil {
		return fmt.Errorf("настройки EMIS: %w", err)
	}

	d.say(fmt.Sprintf("EMIS (симулятор): %s/ — организация %s (код %s, ссылка %s)", sim.URL(), ent.Description, ent.Code, ent.Ref))
	if set.PMSWebhookURL == pms.url {
		d.say(fmt.Sprintf("Демо-PMS: %s — получает документы гостей от хаба (GET — последние доставки)", pms.url))
	} else {
		d.say(fmt.Sprintf("Демо-PMS: %s (вебхук абонента demo указывает на %s)", pms.url, set.PMSWebhookURL))
	}
	d.say("Секреты вебхуков EMIS и PMS абонента demo: " + filepath.Join(d.dataDir, demoEmisSecretFile))
	return nil
}

func isDemoPMS(u string) bool {
	return strings.HasPrefix(u, "http://127.0.0.1:") && strings.HasSuffix(u, demoPMSPath)
}

// demoPMS stands in for a hotel's PMS: it verifies the signature of the hub's deliveries,
// logs ids, versions and warning codes (never personal data), and shows the last deliveries
// on GET, as a PMS would show the guest card. It listens on 127.0.0.1 only.
type demoPMS struct {
	url    string
	srv    *http.Server
	clk    clock.Clock
	log    *slog.Logger
	secret []byte

	mu   sync.Mutex
	seen map[string]bool
	got  []json.RawMessage
}

func startDemoPMS(clk clock.Clock, log *slog.Logger, secret string) (*demoPMS, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &demoPMS{url: "http://" + ln.Addr().String() + demoPMSPath, clk: clk, log: log.With("demo", "pms"),
		secret: []byte(secret), seen: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+demoPMSPath, p.receive)
	mux.HandleFunc("GET "+demoPMSPath, p.show)
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

func (p *demoPMS) close() { _ = p.srv.Close() }

func (p *demoPMS) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, emis.MaxCallbackBody))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if _, _, err := hooksig.Verify(r.Header.Get(hooksig.Header), body, [][]byte{p.secret}, p.clk.Now(), hooksig.Window); err != nil {
		p.log.Warn("демо-PMS: подпись хаба не принята", "err", err.Error())
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var m emis.Delivery
	if err := json.Unmarshal(body, &m); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	id := r.Header.Get(webhook.DeliveryHeader)
	p.mu.Lock()
	dup := p.seen[id]
	if !dup {
		p.seen[id] = true
		p.got = append(p.got, json.RawMessage(body))
		if len(p.got) > demoPMSKeep {
			p.got = p.got[len(p.got)-demoPMSKeep:]
		}
	}
	p.mu.Unlock()
	codes := make([]string, 0, len(m.Warnings))
	for _, wn := range m.Warnings {
		codes = append(codes, wn.Code)
	}
	p.log.Info("демо-PMS: получены документы гостя", "delivery", id, "duplicate", dup,
		"version", m.Version, "warnings", strings.Join(codes, ","))
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}`))
}

// show answers the last deliveries, newest first, as the PMS received them.
func (p *demoPMS) show(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	out := make([]json.RawMessage, 0, len(p.got))
	for i := len(p.got) - 1; i >= 0; i-- {
		out = append(out, p.got[i])
	}
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(out)
}
