// Package hub is the composition root: it builds every domain service once from the ports,
// for the facade, the Lambda functions and the local binary alike, and says which SOAP
// services, OData sets and scheduled jobs each integration contributes.
//
// Each integration keeps its wiring in a file of its own (emis.go, kontur.go, novotelecom.go,
// sep.go, bridge.go): a config struct, a parts struct embedded in Hub, and the init/soap/sets/jobs
// methods this file calls. Adding an integration touches only its file and the lists below.
// retention.go is the hub's own module: the retention of personal data (the retention-sweep
// job) and the warning about personal data on a profile not allowed for it.
package hub

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/facade/soap"
	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/legal"
	"github.com/stykovka/stykovka/internal/scheduler"
	"github.com/stykovka/stykovka/internal/tenants"
)

// Config is what the hub needs beyond its ports: where it is reachable from outside and where
// the outside systems are. The local binary fills it from flags (and from the simulators in
// demo mode), the Lambda functions from the environment (ConfigFromEnv).
type Config struct {
	// PublicURL is the hub's base URL as outside callers see it (webhooks, callbacks, WSDLs).
	PublicURL string
	// HTTPClient talks to the outside systems; nil means a client with sane timeouts.
	HTTPClient *http.Client

	Emis        EmisConfig
	Kontur      KonturConfig
	Novotelecom NovotelecomConfig
	Sep         SepConfig
	Bridge      BridgeConfig
}

// Hub holds the domain services.
type Hub struct {
	Deps    *app.Deps
	Cfg     Config
	Tenants *tenants.Registry
	Legal   *legal.Service

	emisParts
	konturParts
	novotelecomParts
	sepParts
	bridgeParts
}

// New builds the hub. It makes no network calls.
func New(deps *app.Deps, cfg Config) (*Hub, error) {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	h := &Hub{
		Deps:    deps,
		Cfg:     cfg,
		Tenants: tenants.New(deps.Store, deps.Clock),
		Legal:   legal.New(deps.Store, deps.Sealer, deps.Clock),
	}
	for _, init := range []func() error{h.initEmis, h.initKontur, h.initNovotelecom, h.initSep, h.initBridge, h.initRetention} {
		if err := init(); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// ConfigFromEnv reads the configuration of the Lambda functions.
func ConfigFromEnv(getenv func(string) string) Config {
	cfg := Config{PublicURL: getenv("STYKOVKA_PUBLIC_URL")}
	emisConfigFromEnv(getenv, &cfg.Emis)
	konturConfigFromEnv(getenv, &cfg.Kontur)
	novotelecomConfigFromEnv(getenv, &cfg.Novotelecom)
	sepConfigFromEnv(getenv, &cfg.Sep)
	bridgeConfigFromEnv(getenv, &cfg.Bridge)
	return cfg
}

// SOAPServices are the integrations' SOAP services (Hub itself is added by the facade).
func (h *Hub) SOAPServices() []*soap.Service {
	var out []*soap.Service
	for _, f := range []func() []*soap.Service{h.emisSOAP, h.konturSOAP, h.novotelecomSOAP, h.sepSOAP, h.bridgeSOAP} {
		out = append(out, f()...)
	}
	return out
}

// EntitySets are the OData sets of every integration, legal entities first.
func (h *Hub) EntitySets() []*odata.EntitySet {
	out := []*odata.EntitySet{legalEntitiesSet(h.Legal)}
	for _, f := range []func() []*odata.EntitySet{h.emisSets, h.konturSets, h.novotelecomSets, h.sepSets, h.bridgeSets} {
		out = append(out, f()...)
	}
	return out
}

// Webhooks are the HTTP endpoints outside systems call (EMIS callbacks, PMS, scanner
// bridge), by ServeMux pattern such as "POST /hooks/emis". The local binary serves them beside
// the facade; in AWS the HTTP API routes them to their functions, which serve the same handlers.
func (h *Hub) Webhooks() map[string]http.Handler {
	out := map[string]http.Handler{}
	for _, f := range []func() map[string]http.Handler{h.emisWebhooks, h.konturWebhooks, h.novotelecomWebhooks, h.sepWebhooks, h.bridgeWebhooks} {
		for k, v := range f() {
			out[k] = v
		}
	}
	return out
}

// Job is periodic work: in AWS an EventBridge schedule invokes its Lambda, locally the
// in-process scheduler runs it.
type Job struct {
	Name  string
	Every time.Duration
	Run   scheduler.Job
}

// Jobs are the periodic jobs of every integration.
func (h *Hub) Jobs() []Job {
	var out []Job
	for _, f := range []func() []Job{h.emisJobs, h.konturJobs, h.novotelecomJobs, h.sepJobs, h.bridgeJobs, h.retentionJobs} {
		out = append(out, f()...)
	}
	return out
}

// ForEachTenant runs fn for every tenant, as scheduled jobs that serve all tenants do; an
// error of one tenant does not stop the others and is returned joined.
func (h *Hub) ForEachTenant(ctx context.Context, fn func(ctx context.Context, tenant string) error) error {
	ts, err := h.Tenants.Tenants(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range ts {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(ctx, t.ID); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
