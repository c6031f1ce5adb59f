package hub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stykovka/stykovka/facade/novotelecomapi"
	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/facade/soap"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/novotelecom"
	"github.com/stykovka/stykovka/internal/novotelecom/httpclient"
	"github.com/stykovka/stykovka/internal/scheduler"
)

// NovotelecomConfig locates Novotelecom's «Мои счета» file exchange server.
type NovotelecomConfig struct {
	// BaseURL is the server's base URL (the simulator's in demo mode). Empty: the server is not
	// configured; every exchange session then fails with NOVOTELECOM_NO_SERVER, while settings,
	// registries and acceptance work as usual.
	BaseURL string
}

// EnvNovotelecomURL names NovotelecomConfig.BaseURL in the Lambda environment.
const EnvNovotelecomURL = "STYKOVKA_NOVOTELECOM_URL"

// NovotelecomExchangeJob runs every minute; each tenant's own schedule (its settings'
// ExchangeEvery) decides whether its exchange is due at the slot.
const NovotelecomExchangeJob = "novotelecom-exchange"

// novotelecomParts are the «Мои счета» services the hub holds.
type novotelecomParts struct {
	// Novotelecom is the «Мои счета» module (package novotelecom).
	Novotelecom *novotelecom.Service
}

func novotelecomConfigFromEnv(getenv func(string) string, c *NovotelecomConfig) {
	c.BaseURL = strings.TrimSpace(getenv(EnvNovotelecomURL))
}

func (h *Hub) initNovotelecom() error {
	d := h.Deps
	var server novotelecom.Server = noNovotelecomServer{}
	if h.Cfg.Novotelecom.BaseURL != "" {
		// The adapter keeps its own transport: its per-request timeout (60 s) and size limits
		// fit 64 MiB registries, which the hub's 30 s client would cut off.
		c, err := httpclient.New(h.Cfg.Novotelecom.BaseURL, httpclient.Options{})
		if err != nil {
			return fmt.Errorf("hub: %s: %w", EnvNovotelecomURL, err)
		}
		server = c
	}
	svc, err := novotelecom.New(novotelecom.Deps{
		Store: d.Store, Blobs: d.Blobs, Sealer: d.Sealer, Clock: d.Clock, Server: server, Log: d.Log,
		// Registry dates are the tenant's calendar days.
		Zone: func(_ context.Context, tenant string) (*time.Location, error) { return h.Tenants.Location(tenant), nil },
	})
	if err != nil {
		return fmt.Errorf("hub: novotelecom: %w", err)
	}
	h.Novotelecom = svc
	return nil
}

func (h *Hub) novotelecomSOAP() []*soap.Service {
	return []*soap.Service{novotelecomapi.New(h.Novotelecom)}
}

func (h *Hub) novotelecomSets() []*odata.EntitySet {
	return novotelecomapi.Sets(h.Novotelecom, h.Tenants.Location)
}

func (h *Hub) novotelecomJobs() []Job {
	return []Job{{Name: NovotelecomExchangeJob, Every: time.Minute, Run: h.NovotelecomExchange}}
}

// NovotelecomExchange runs one slot of the novotelecom-exchange job: the exchange of every
// tenant whose schedule is due at the slot (the slot's minute: the domain's schedules count
// whole minutes). It is idempotent per slot: a slot's session runs once, and a repeat of a
// failed one goes on from where it stopped. It returns an error only for what a retry of the
// slot may cure — the tenants could not be listed, or a tenant's server was unreachable — so
// that a tenant with a wrong password does not make every tick fail.
func (h *Hub) NovotelecomExchange(ctx context.Context, t scheduler.Tick) error {
	t.Scheduled = t.Scheduled.UTC().Truncate(time.Minute)
	run, err := h.Novotelecom.RunScheduled(ctx, t)
	if err != nil {
		return err
	}
	var retry []error
	for _, tr := range run.Tenants {
		if !tr.Due {
			continue
		}
		s := tr.Session
		h.Deps.Log.InfoContext(ctx, "novotelecom exchange", "job", t.Job, "slot", t.Scheduled, "tenant", tr.Tenant,
			"state", string(s.State), "sent", s.Sent, "received", s.Received, "errors", s.Errors, "code", tr.Code)
		if retryable(tr.Code) {
			retry = append(retry, fmt.Errorf("tenant %s: %s", tr.Tenant, tr.Code))
		}
	}
	return errors.Join(retry...)
}

// retryable codes are the failures a later run of the same slot may get past.
func retryable(code string) bool {
	switch code {
	case novotelecom.CodeServerDown, novotelecom.CodeServerProtocol, "NOVOTELECOM_TIMEOUT", "NOVOTELECOM_STORE":
		return true
	}
	return false
}

func (h *Hub) novotelecomWebhooks() map[string]http.Handler { return nil }

// noNovotelecomServer stands in for the server when the hub has no URL for it.
type noNovotelecomServer struct{}

func (noNovotelecomServer) Login(context.Context, string, string) (novotelecom.Conn, error) {
	return nil, apperr.New(apperr.Unavailable, "NOVOTELECOM_NO_SERVER",
		"Адрес сервера «Мои счета» не настроен ("+EnvNovotelecomURL+"): обмен невозможен")
}
