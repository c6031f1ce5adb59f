package hub

import (
	"context"
	"fmt"
	"time"

	"github.com/stykovka/stykovka/internal/retention"
	"github.com/stykovka/stykovka/internal/scheduler"
)

// Retention of personal data (shared/DESIGN.md, "Data residency and personal data"): every
// module keeps a tenant's personal data only for the tenant's retention after delivery
// (tenants.Registry.Retention, default 3 days; the Hub SOAP service's GetRetention and
// SetRetention, `stykovka admin tenant retention`).
//
//   - Store items carry ExpiresAt: hidden on read at once, removed physically by this job on
//     bbolt (its Sweep) and by DynamoDB's TTL (attribute ttl, template.yaml) in AWS.
//   - Blobs have no expiry: a module gives a personal-data blob a lease (package retention),
//     and this job deletes the blobs whose lease has ended, for every tenant.

// RetentionSweepJob deletes expired personal data: hourly (EventBridge → hub-jobs in AWS,
// the in-process scheduler locally).
const RetentionSweepJob = "retention-sweep"

// Sweeper is a store that removes its expired items itself (boltstore). DynamoDB and its
// compatible services do it with their TTL instead.
type Sweeper interface {
	Sweep(ctx context.Context) (int, error)
}

// initRetention warns when integrations that carry personal data run on a deployment profile
// not marked as allowed to keep it (app.Deployment): in AWS, the WARN is in every function's
// init log.
func (h *Hub) initRetention() error {
	dep := h.Deps.Deployment
	if dep.Profile == "" || dep.PersonalData || h.Deps.Log == nil {
		return nil
	}
	if pd := h.PersonalDataIntegrations(); len(pd) > 0 {
		h.Deps.Log.Warn("personal data integrations on a profile not allowed for personal data",
			"code", "PERSONAL_DATA_PROFILE", "profile", dep.Profile, "integrations", pd,
			"hint", "README: «Где хранить персональные данные»; STYKOVKA_PERSONAL_DATA_ALLOWED=true only under legal advice")
	}
	return nil
}

// PersonalDataIntegrations names the configured integrations that bring personal data of
// people into the hub: EMIS (guest documents, when EMIS's URL is set), the scanner bridge
// (document scans, when it serves its uploads) and Novotelecom (owners' accounts, names and
// addresses, when the server's URL is set).
func (h *Hub) PersonalDataIntegrations() []string {
	var out []string
	if h.Cfg.Emis.BaseURL != "" {
		out = append(out, "emis")
	}
	if len(h.bridgeWebhooks()) > 0 {
		out = append(out, "bridge")
	}
	if h.Cfg.Novotelecom.BaseURL != "" {
		out = append(out, "novotelecom")
	}
	return out
}

func (h *Hub) retentionJobs() []Job {
	return []Job{{Name: RetentionSweepJob, Every: time.Hour, Run: h.RetentionSweep}}
}

// RetentionSweep runs one slot of the retention-sweep job: the store's own sweep where it has
// one, then every tenant's expired personal-data blobs. It is idempotent and safe to run
// concurrently: what is gone stays gone, and a second run finds nothing.
func (h *Hub) RetentionSweep(ctx context.Context, t scheduler.Tick) error {
	d := h.Deps
	if sw, ok := d.Store.(Sweeper); ok {
		n, err := sw.Sweep(ctx)
		if err != nil {
			return fmt.Errorf("store sweep: %w", err)
		}
		if n > 0 {
			d.Log.InfoContext(ctx, "retention: expired items deleted", "job", t.Job, "slot", t.Scheduled, "items", n)
		}
	}
	return h.ForEachTenant(ctx, func(ctx context.Context, tenant string) error {
		n, err := retention.SweepBlobs(ctx, d.Store, d.Blobs, tenant, d.Clock.Now())
		if n > 0 {
			d.Log.InfoContext(ctx, "retention: expired blobs deleted", "job", t.Job, "slot", t.Scheduled, "tenant", tenant, "blobs", n)
		}
		if err != nil {
			return fmt.Errorf("tenant %s: %w", tenant, err)
		}
		return nil
	})
}
