package hub

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/facade/soap"
	"github.com/stykovka/stykovka/internal/bridge"
	"github.com/stykovka/stykovka/internal/bridge/bridgeapi"
	"github.com/stykovka/stykovka/internal/bridge/wire"
	"github.com/stykovka/stykovka/internal/emis"
)

// BridgeConfig is the hub's side of the on-prem scanner bridges (cmd/bridge): they call the
// hub, the hub calls nothing.
type BridgeConfig struct {
	// Portraits keeps the holder's photo when a bridge sends one (the bridge's "images"
	// setting); off, the hub drops photos on arrival and tells the front desk so.
	Portraits bool
}

// EnvBridgePortraits names BridgeConfig.Portraits in the Lambda environment ("on" or "true").
const EnvBridgePortraits = "STYKOVKA_BRIDGE_PORTRAITS"

// BridgeReadsPath is the scanner bridges' upload webhook (the tenant travels as the query
// parameter "tenant", the device in the Stykovka-Device header).
const BridgeReadsPath = wire.Path

// bridgeParts are the scanner bridge's services the hub holds.
type bridgeParts struct {
	// Bridge is the hub's side of the scanner bridge (package bridge): devices, signed
	// uploads of document reads, the guests' scanned documents.
	Bridge *bridge.Service
}

func bridgeConfigFromEnv(getenv func(string) string, c *BridgeConfig) {
	switch strings.ToLower(strings.TrimSpace(getenv(EnvBridgePortraits))) {
	case "on", "true", "1", "yes":
		c.Portraits = true
	}
}

func (h *Hub) initBridge() error {
	d := h.Deps
	svc, err := bridge.New(bridge.Options{
		Store: d.Store, Sealer: d.Sealer, Clock: d.Clock, Log: d.Log,
		Legal: emis.FromLegal(h.Legal),
		// Scanned documents are personal data kept as long as the tenant's EMIS data.
		Retention: func(ctx context.Context, tenant string) (time.Duration, error) {
			if h.Emis == nil {
				return emis.DefaultRetention, nil
			}
			s, err := h.Emis.Settings(ctx, tenant)
			return s.Retention, err
		},
		Location:  h.Tenants.Location,
		Portraits: h.Cfg.Bridge.Portraits,
		Attacher:  emisAttacher{h},
	})
	if err != nil {
		return fmt.Errorf("hub: bridge: %w", err)
	}
	h.Bridge = svc
	return nil
}

// emisAttacher takes the bridge's reads into the guests' EMIS documents (emis.AttachRead):
// from there Emis.GetDocuments, the OData register and the delivery to the PMS show them. The
// bridge's own store (bridge.OwnStore) still records each read attached to EMIS, for what
// only the bridge knows — which read each part came from, the sources' disagreements, the
// portrait, the visa's passport — which SOAP Bridge.GetScannedDocuments serves.
type emisAttacher struct{ h *Hub }

func (a emisAttacher) AttachRead(ctx context.Context, tenant string, at bridge.Attachment) (emis.Result, error) {
	if a.h.Emis == nil {
		return a.h.Bridge.Own().AttachRead(ctx, tenant, at)
	}
	res, err := a.h.Emis.AttachRead(ctx, tenant, emis.ScannedRead{
		LegalEntity: at.LegalEntity, PersonID: at.PersonID, BookingID: at.BookingID,
		ReadID: at.TransactionID, Source: "bridge:" + at.Device, ReadAt: at.ReadAt,
		Kind: at.Read.Kind, Documents: at.Read.Documents, Warnings: at.Read.Warnings,
	})
	if err != nil {
		return emis.Result{}, err
	}
	own, err := a.h.Bridge.Own().AttachRead(ctx, tenant, at)
	if err != nil {
		return emis.Result{}, err
	}
	// The one check only the bridge can make: the visa names another passport.
	for _, w := range own.Warnings {
		if w.Code == bridge.WarnVisaPassport {
			res.Warnings = append(res.Warnings, w)
		}
	}
	return res, nil
}

func (h *Hub) bridgeSOAP() []*soap.Service {
	return []*soap.Service{bridgeapi.New(h.Bridge, bridgeapi.Options{PublicURL: h.Cfg.PublicURL})}
}

func (h *Hub) bridgeSets() []*odata.EntitySet { return nil }

// The bridge needs no periodic work: signatures, transactions and documents expire by the
// store's TTL.
func (h *Hub) bridgeJobs() []Job { return nil }

func (h *Hub) bridgeWebhooks() map[string]http.Handler {
	return map[string]http.Handler{"POST " + BridgeReadsPath: bridge.Handler(h.Bridge)}
}
