package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/bridge/agent"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/hub"
)

// The demo front desk's scanner bridge: an enrolled device of the demo tenant and a ready
// configuration file in the data folder, so that `go run ./cmd/bridge -config <file>` relays
// the result files dropped into its folder to this hub (the guest is the one the sample's
// passBackObject names, the legal entity the demo's EMIS one).
const (
	demoBridgeDir    = "bridge"
	demoBridgeConfig = "bridge.json"
	demoBridgeListen = "127.0.0.1:8765"
)

// demoBridgeFile is the configuration file as the demo writes it (the tuning keys keep their
// defaults).
type demoBridgeFile struct {
	HubURL      string `json:"hubUrl"`
	Tenant      string `json:"tenant"`
	DeviceID    string `json:"deviceId"`
	Secret      string `json:"secret"`
	DataDir     string `json:"dataDir"`
	WatchDir    string `json:"watchDir"`
	Listen      string `json:"listen"`
	LegalEntity string `json:"legalEntity"`
	Images      bool   `json:"images"`
}

// demoBridge has nothing to start: the bridge is an on-prem program the user runs beside the
// hub (its banner line says how).
func demoBridge(ctx context.Context, d *demoEnv, cfg *hub.Config) error { return nil }

// seedBridge enrols the demo device once and keeps the bridge's configuration file pointing
// at this hub (the hub's address may change between starts; the device and its secret stay).
func seedBridge(ctx context.Context, d *demoEnv, h *hub.Hub) error {
	if h.Bridge == nil || h.Cfg.PublicURL == "" {
		return nil
	}
	// The demo guest the bridge's reads attach to, saved as the PMS would save it first.
	if h.Emis != nil {
		if err := h.Emis.SaveGuest(ctx, demoTenant, emis.Guest{PersonID: "160848", BookingID: "473024"}); err != nil {
			return fmt.Errorf("демо-гость для моста: %w", err)
		}
	}
	dir := filepath.Join(d.dataDir, demoBridgeDir)
	path := filepath.Join(dir, demoBridgeConfig)
	var cfg agent.Config
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &cfg); err != nil {
			return fmt.Errorf("настройки демо-моста %s: %w", path, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	if cfg.DeviceID != "" && cfg.Secret != "" {
		// The device survives in the store; after a wiped store it is registered again with
		// the secret the file holds.
		_, err := h.Bridge.AddDevice(ctx, demoTenant, cfg.DeviceID, "Демо-стойка", cfg.Secret)
		if err != nil && apperr.As(err).Code != "BRIDGE_DEVICE_EXISTS" {
			return fmt.Errorf("демо-устройство моста: %w", err)
		}
	} else {
		en, err := h.Bridge.EnrollDevice(ctx, demoTenant, "Демо-стойка")
		if err != nil {
			return fmt.Errorf("демо-устройство моста: %w", err)
		}
		cfg.DeviceID, cfg.Secret = en.Device.ID, en.Secret
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	cfg.HubURL, cfg.Tenant, cfg.LegalEntity = h.Cfg.PublicURL, demoTenant, demoEmisLegalRef
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(abs, "data")
	}
	if cfg.WatchDir == "" {
		cfg.WatchDir = filepath.Join(abs, "in")
	}
	if cfg.Listen == "" {
		cfg.Listen = demoBridgeListen
	}
	if err := os.MkdirAll(cfg.WatchDir, 0o700); err != nil {
		return err
	}
	out, _ := json.MarshalIndent(demoBridgeFile{HubURL: cfg.HubURL, Tenant: cfg.Tenant, DeviceID: cfg.DeviceID, Secret: cfg.Secret,
		DataDir: cfg.DataDir, WatchDir: cfg.WatchDir, Listen: cfg.Listen, LegalEntity: cfg.LegalEntity, Images: cfg.Images}, "", "  ")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(out, '\n'), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d.say(fmt.Sprintf("Мост сканера документов: go run ./cmd/bridge -config %s (настройки и секрет устройства %s)", path, cfg.DeviceID))
	d.say(fmt.Sprintf("  положите результат Regula в %s, например internal/regula/testdata/passport_chip.json (гость 160848);", cfg.WatchDir))
	d.say(fmt.Sprintf("  документы гостя — SOAP Emis.GetDocuments(%s, 160848) (и Bridge.GetScannedDocuments: источники и расхождения), состояние моста — http://%s/", demoEmisLegalRef, cfg.Listen))
	if _, scaled := h.Deps.Clock.(*clock.Scaled); scaled {
		// The bridge signs with the PC's real time; the hub checks it against its own, ±5 min.
		d.say("  внимание: часы хаба ускорены (--clock-speed), подписи моста скоро окажутся «устаревшими» (HOOK_STALE): для моста запускайте хаб без ускорения")
	}
	return nil
}
