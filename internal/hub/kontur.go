package hub

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stykovka/stykovka/facade/konturapi"
	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/facade/soap"
	"github.com/stykovka/stykovka/internal/kontur"
	"github.com/stykovka/stykovka/internal/kontur/konturhttp"
	"github.com/stykovka/stykovka/internal/scheduler"
)

// KonturConfig locates Kontur's loyalty processing ("ППС Контур"). One endpoint serves every
// tenant for now: per-tenant Kontur accounts (settings in the store, like EMIS credentials) are
// not built yet; kontur.ClientFunc is where they will plug in.
type KonturConfig struct {
	// BaseURL is Kontur's API base URL (the simulator's URL in demo mode). Empty: Kontur is not
	// configured; balances and write-offs fail with KONTUR_NOT_CONFIGURED, while the payment
	// types and the stored write-offs are still served.
	BaseURL string
	// APIKey is sent in X-Api-Key; a secret, never logged.
	APIKey string
	// Timeout bounds each request to Kontur; 0 means DefaultKonturTimeout.
	Timeout time.Duration
}

// Environment variables of KonturConfig in the Lambda functions.
const (
	EnvKonturURL    = "STYKOVKA_KONTUR_URL"
	EnvKonturAPIKey = "STYKOVKA_KONTUR_API_KEY"
)

// DefaultKonturTimeout bounds one request to Kontur: a write-off makes up to four (balance,
// then up to three debit attempts), which must fit in the 30 s of a SOAP call; what does not
// finish in time stays in progress and is settled by kontur-redeem.
const DefaultKonturTimeout = 5 * time.Second

// KonturRedeemJob is the job that finishes every tenant's write-offs left in progress: the
// kontur-redeem function in AWS, the in-process scheduler locally.
const KonturRedeemJob = "kontur-redeem"

// konturParts are the Kontur services the hub holds.
type konturParts struct {
	// Kontur is the bonus-points domain (package kontur).
	Kontur *kontur.Service
}

func konturConfigFromEnv(getenv func(string) string, c *KonturConfig) {
	c.BaseURL = strings.TrimSpace(getenv(EnvKonturURL))
	c.APIKey = strings.TrimSpace(getenv(EnvKonturAPIKey))
}

func (h *Hub) initKontur() error {
	clients := kontur.ClientFunc(func(context.Context, string) (kontur.Client, error) {
		return nil, fmt.Errorf("hub: %s is not set", EnvKonturURL)
	})
	if c := h.Cfg.Kontur; c.BaseURL != "" {
		if c.Timeout <= 0 {
			c.Timeout = DefaultKonturTimeout
		}
		// The client keeps its own transport (many connections to the one host, bounded
		// per-request time) rather than Cfg.HTTPClient's.
		cl, err := konturhttp.New(konturhttp.Config{BaseURL: c.BaseURL, APIKey: c.APIKey, Timeout: c.Timeout})
		if err != nil {
			return fmt.Errorf("hub: %s: %w", EnvKonturURL, err)
		}
		clients = kontur.Single(cl)
	}
	h.Kontur = kontur.New(h.Deps.Store, h.Deps.Clock, clients, kontur.Options{Log: h.Deps.Log})
	return nil
}

func (h *Hub) konturSOAP() []*soap.Service {
	return []*soap.Service{konturapi.New(h.Kontur)}
}

func (h *Hub) konturSets() []*odata.EntitySet {
	return []*odata.EntitySet{konturapi.PaymentTypes(h.Kontur), konturapi.WriteOffs(h.Kontur, h.Tenants.Location)}
}

func (h *Hub) konturJobs() []Job {
	return []Job{{Name: KonturRedeemJob, Every: time.Minute, Run: h.KonturRedeem}}
}

// KonturRedeem runs one slot of the kontur-redeem job: every tenant's write-offs left in
// progress (a process killed between the debit and its record, Kontur's answer lost) are
// settled by what Kontur says about their operation, never debited anew. It is idempotent and
// safe next to live calls and other processes running it.
func (h *Hub) KonturRedeem(ctx context.Context, t scheduler.Tick) error {
	return h.ForEachTenant(ctx, func(ctx context.Context, tenant string) error {
		rep, err := h.Kontur.Recover(ctx, tenant)
		if rep != (kontur.RecoverReport{}) {
			h.Deps.Log.InfoContext(ctx, "kontur recovery", "job", t.Job, "slot", t.Scheduled, "tenant", tenant,
				"seen", rep.Seen, "recorded", rep.Recorded, "failed", rep.Failed, "cancelled", rep.Cancelled, "pending", rep.Pending)
		}
		if err != nil {
			return fmt.Errorf("tenant %s: %w", tenant, err)
		}
		return nil
	})
}

func (h *Hub) konturWebhooks() map[string]http.Handler { return nil }
