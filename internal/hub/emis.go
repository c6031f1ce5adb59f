package hub

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stykovka/stykovka/facade/emisapi"
	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/facade/soap"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/emis/emisclient"
	"github.com/stykovka/stykovka/internal/emis/webhook"
	"github.com/stykovka/stykovka/internal/scheduler"
)

// EmisConfig locates EMIS Service.
type EmisConfig struct {
	// BaseURL is the EMIS integration API's base URL (the simulator's URL in demo mode). Empty:
	// EMIS is not configured, and opening sessions or pulling changes fails with EMIS_UNAVAILABLE
	// (stored documents are still served, with that warning).
	BaseURL string
}

// EnvEmisURL names EmisConfig.BaseURL in the Lambda environment.
const EnvEmisURL = "STYKOVKA_EMIS_URL"

// Paths of the EMIS flow's webhooks (the tenant travels as the query parameter "tenant").
const (
	EmisHookPath = "/hooks/emis" // EMIS → hub: documents saved
	PMSHookPath  = "/hooks/pms"  // PMS → hub: guest saved, documents pulled
)

// EmisDeliverJob is the job that retries due deliveries to the PMS for every tenant.
const EmisDeliverJob = "emis-deliver"

// emisParts are the EMIS services the hub holds.
type emisParts struct {
	// Emis is the hotel guest-documents domain (package emis).
	Emis *emis.Service
}

func emisConfigFromEnv(getenv func(string) string, c *EmisConfig) {
	c.BaseURL = strings.TrimSpace(getenv(EnvEmisURL))
}

func (h *Hub) initEmis() error {
	d := h.Deps
	public := strings.TrimRight(h.Cfg.PublicURL, "/")
	var client emis.Client
	if h.Cfg.Emis.BaseURL != "" {
		c, err := emisclient.New(h.Cfg.Emis.BaseURL, h.Cfg.HTTPClient)
		if err != nil {
			return fmt.Errorf("hub: %s: %w", EnvEmisURL, err)
		}
		client = c
	}
	callback := public + EmisHookPath
	if public == "" || client == nil {
		// Without the hub's public URL EMIS could not call back, and without EMIS's URL there
		// is no one to ask: such a hub serves what it stores and refuses to open sessions.
		client = unconfiguredEmis{client: client}
		if public == "" {
			callback = "http://public-url.invalid" + EmisHookPath
		}
	}
	svc, err := emis.New(emis.Options{
		Store: d.Store, Sealer: d.Sealer, Clock: d.Clock, Log: d.Log,
		Legal: emis.FromLegal(h.Legal), EMIS: client, Sender: webhook.NewSender(h.Cfg.HTTPClient),
		CallbackURL: callback, Retention: h.Tenants,
	})
	if err != nil {
		return fmt.Errorf("hub: emis: %w", err)
	}
	h.Emis = svc
	return nil
}

func (h *Hub) emisSOAP() []*soap.Service {
	return []*soap.Service{emisapi.New(h.Emis, emisapi.Options{PublicURL: h.Cfg.PublicURL})}
}

func (h *Hub) emisSets() []*odata.EntitySet {
	return []*odata.EntitySet{emisapi.GuestDocuments(h.Emis, h.Tenants.Location)}
}

func (h *Hub) emisJobs() []Job {
	return []Job{{Name: EmisDeliverJob, Every: time.Minute, Run: h.EmisDeliver}}
}

// EmisDeliver runs one slot of the emis-deliver job: every tenant's due deliveries to the
// PMS. It is idempotent per slot (and safe to run concurrently): DeliverDue claims each
// delivery before its attempt.
func (h *Hub) EmisDeliver(ctx context.Context, t scheduler.Tick) error {
	return h.ForEachTenant(ctx, func(ctx context.Context, tenant string) error {
		rep, err := h.Emis.DeliverDue(ctx, tenant)
		if rep != (emis.DeliveryReport{}) {
			h.Deps.Log.InfoContext(ctx, "emis deliveries", "job", t.Job, "slot", t.Scheduled, "tenant", tenant,
				"delivered", rep.Delivered, "retried", rep.Retried, "dead", rep.Dead)
		}
		if err != nil {
			return fmt.Errorf("tenant %s: %w", tenant, err)
		}
		return nil
	})
}

func (h *Hub) emisWebhooks() map[string]http.Handler {
	return map[string]http.Handler{
		"POST " + EmisHookPath: webhook.Emis(h.Emis),
		"POST " + PMSHookPath:  webhook.PMS(h.Emis),
	}
}

// unconfiguredEmis stands in for EMIS when the hub lacks EMIS's URL or its own public URL. It
// still parses callbacks (they need no EMIS) and, given a client, pulls changes.
type unconfiguredEmis struct {
	client emis.Client // nil: no EMIS URL; else the hub lacks its public URL
}

func (u unconfiguredEmis) OpenSession(ctx context.Context, a emis.Account, r emis.SessionRequest) (emis.Session, error) {
	if u.client == nil {
		return emis.Session{}, fmt.Errorf("%w: %s is not set", emis.ErrUpstreamDown, EnvEmisURL)
	}
	return emis.Session{}, fmt.Errorf("%w: the hub's public URL (STYKOVKA_PUBLIC_URL) is not set, EMIS could not call back", emis.ErrUpstreamDown)
}

func (u unconfiguredEmis) Changes(ctx context.Context, a emis.Account, personID string, since int64) ([]emis.Version, error) {
	if u.client == nil {
		return nil, fmt.Errorf("%w: %s is not set", emis.ErrUpstreamDown, EnvEmisURL)
	}
	return u.client.Changes(ctx, a, personID, since)
}

func (u unconfiguredEmis) ParseCallback(body []byte) (emis.Callback, error) {
	return emisclient.ParseCallback(body)
}
