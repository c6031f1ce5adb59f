package hub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stykovka/stykovka/facade/odata"
	"github.com/stykovka/stykovka/facade/sepapi"
	"github.com/stykovka/stykovka/facade/soap"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/scheduler"
	"github.com/stykovka/stykovka/internal/sep"
	"github.com/stykovka/stykovka/internal/sep/sepsoap"
	"github.com/stykovka/stykovka/internal/tenants"
)

// SepConfig locates АС «СЭП» and the inbound mail of SEP's letters.
type SepConfig struct {
	// URL is SEP's SOAP endpoint (the simulator's URL in demo mode). Empty: SEP is not
	// configured — requests are queued and wait (they are not given up), the poller does not
	// run, and everything stored is still served.
	URL string
	// MailDir is the local inbound mail folder (the local binary only; in AWS letters arrive
	// as S3 objects under MailPrefix): a folder per tenant, MailDir/<tenant>/<letter>.eml, the
	// same rule as the S3 keys mail/<tenant>/<letter>. The sep-mail job ingests every letter
	// there each minute and removes it; the raw letter is kept under the tenant's blobs.
	// Write letters atomically (a temporary name starting with "." or ending in ".tmp", then a
	// rename). Empty: no local mail job.
	MailDir string
}

// EnvSepURL names SepConfig.URL in the Lambda environment.
const EnvSepURL = "STYKOVKA_SEP_URL"

// Jobs of the SEP integration.
const (
	// SepPollerJob asks SEP for the results that are due, for every tenant, in one index
	// query (EventBridge every minute → the sep-poller function; locally the scheduler).
	SepPollerJob = "sep-poller"
	// SepMailJob ingests the letters of SepConfig.MailDir (local only; in AWS the sep-mail
	// function runs on each S3 object SES writes under MailPrefix).
	SepMailJob = "sep-mail"
)

// MailPrefix is where inbound SEP letters land as blobs, one folder per tenant:
// mail/<tenant>/<message>. In AWS a SES receipt rule per tenant address stores the raw
// message there (its object key prefix "mail/<tenant>/").
const MailPrefix = "mail/"

// maxMailPerRun bounds the letters one run of the local mail job takes per tenant.
const maxMailPerRun = 500

// sepParts are the SEP services the hub holds.
type sepParts struct {
	// Sep is the electronic vehicle passports domain (package sep).
	Sep *sep.Service
	// sepConfigured is false when SepConfig.URL is empty.
	sepConfigured bool
}

func sepConfigFromEnv(getenv func(string) string, c *SepConfig) {
	c.URL = strings.TrimSpace(getenv(EnvSepURL))
}

func (h *Hub) initSep() error {
	d := h.Deps
	var gw sep.Gateway
	if u := h.Cfg.Sep.URL; u != "" {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("hub: %s: not an http(s) URL", EnvSepURL)
		}
		gw = sepsoap.New(u, h.Cfg.HTTPClient)
		h.sepConfigured = true
	} else {
		gw = unconfiguredSep{Client: sepsoap.New("", h.Cfg.HTTPClient)}
	}
	svc, err := sep.New(sep.Deps{
		Store: d.Store, Blobs: d.Blobs, Sealer: d.Sealer, Clock: d.Clock, Gateway: gw, Log: d.Log,
		Signer:   &sep.KeySigner{Store: d.Store, Sealer: d.Sealer},
		Notifier: &sep.OutboxNotifier{Blobs: d.Blobs, Store: d.Store, Clock: d.Clock, From: sepMailFrom(h.Cfg.PublicURL)},
	}, sep.Options{})
	if err != nil {
		return fmt.Errorf("hub: sep: %w", err)
	}
	h.Sep = svc
	return nil
}

// sepMailFrom is the sender of the notifications: an address at the hub's public host.
func sepMailFrom(public string) string {
	host := "localhost"
	if u, err := url.Parse(public); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return "Stykovka SEP <sep-noreply@" + host + ">"
}

func (h *Hub) sepSOAP() []*soap.Service { return []*soap.Service{sepapi.New(h.Sep)} }

func (h *Hub) sepSets() []*odata.EntitySet { return sepapi.Sets(h.Sep, h.Tenants.Location) }

func (h *Hub) sepJobs() []Job {
	jobs := []Job{{Name: SepPollerJob, Every: time.Minute, Run: h.SepPoll}}
	if h.Cfg.Sep.MailDir != "" {
		jobs = append(jobs, Job{Name: SepMailJob, Every: time.Minute, Run: h.SepMailFolder})
	}
	return jobs
}

func (h *Hub) sepWebhooks() map[string]http.Handler { return nil }

// SepPoll runs one slot of the sep-poller job: the due entries of every tenant, found by one
// query of the due index (an idle tick reads nothing). It is safe to run twice for a slot, or
// concurrently: each entry is claimed before its call, and each result applied once.
func (h *Hub) SepPoll(ctx context.Context, t scheduler.Tick) error {
	if !h.sepConfigured {
		h.Deps.Log.WarnContext(ctx, "sep poller: SEP is not configured", "job", t.Job, "env", EnvSepURL)
		return nil
	}
	rep, err := h.Sep.Tick(ctx, t.Scheduled)
	if rep.Due > 0 || err != nil {
		h.Deps.Log.InfoContext(ctx, "sep poller", "job", t.Job, "slot", t.Scheduled, "due", rep.Due,
			"worked", rep.Worked, "skipped", rep.Skipped, "failures", rep.Failures, "err", err)
	}
	return err
}

// ErrMailKey refuses a blob key outside mail/<tenant>/….
var ErrMailKey = apperr.New(apperr.Invalid, "SEP_MAIL_KEY", "Письмо СЭП вне папки mail/<абонент>/: абонент не определён")

// SepMailTenant maps an inbound letter's key mail/<tenant>/<name> to its tenant. It checks
// the form only; SepIngestBlob also checks that the tenant exists.
func SepMailTenant(key string) (string, error) {
	rest, ok := strings.CutPrefix(key, MailPrefix)
	if !ok {
		return "", ErrMailKey
	}
	tenant, name, ok := strings.Cut(rest, "/")
	if !ok || tenant == "" || name == "" || strings.HasSuffix(name, "/") {
		return "", ErrMailKey
	}
	return tenant, nil
}

// SepIngestBlob ingests the letter SES stored at key (mail/<tenant>/<name>) into its tenant,
// then removes the inbound blob: the domain keeps the raw letter under the tenant's own blobs.
// It is idempotent: a letter delivered again is recognised by its content, and a key already
// ingested and removed (an S3 event delivered twice) is a no-op.
func (h *Hub) SepIngestBlob(ctx context.Context, key string) (sep.Letter, error) {
	tenant, err := SepMailTenant(key)
	if err != nil {
		return sep.Letter{}, err
	}
	if _, err := h.Tenants.Tenant(ctx, tenant); err != nil {
		if errors.Is(err, tenants.ErrNoTenant) {
			return sep.Letter{}, apperr.Wrap(err, apperr.NotFound, "SEP_MAIL_TENANT", "Письмо СЭП для неизвестного абонента")
		}
		return sep.Letter{}, err
	}
	raw, err := h.Deps.Blobs.Get(ctx, key)
	if errors.Is(err, blobs.ErrNotFound) {
		h.Deps.Log.InfoContext(ctx, "sep mail: already ingested", "tenant", tenant)
		return sep.Letter{}, nil
	}
	if err != nil {
		return sep.Letter{}, apperr.Wrap(err, apperr.Unavailable, "SEP_BLOBS", "Хранилище писем недоступно")
	}
	l, err := h.ingestLetter(ctx, tenant, raw)
	if err != nil {
		return l, err
	}
	if err := h.Deps.Blobs.Delete(ctx, key); err != nil {
		// Ingested; a repeat finds the same letter by its content.
		h.Deps.Log.WarnContext(ctx, "sep mail: inbound letter not removed", "tenant", tenant, "letter", l.ID, "err", err)
	}
	return l, nil
}

func (h *Hub) ingestLetter(ctx context.Context, tenant string, raw []byte) (sep.Letter, error) {
	l, err := h.Sep.IngestMail(ctx, tenant, sep.MailInput{Raw: raw})
	if err != nil {
		return l, err
	}
	h.Deps.Log.InfoContext(ctx, "sep mail: letter ingested", "tenant", tenant, "letter", l.ID, "status", l.Status)
	return l, nil
}

// SepMailFolder runs one slot of the local sep-mail job: every letter of every known
// tenant's folder under SepConfig.MailDir is ingested and removed. A letter that cannot be
// stored stays for the next run; one that is refused as such (empty, too large) moves to
// the tenant folder's "rejected" subfolder; folders of unknown tenants are left alone.
func (h *Hub) SepMailFolder(ctx context.Context, t scheduler.Tick) error {
	dir := h.Cfg.Sep.MailDir
	if dir == "" {
		return nil
	}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sep mail: %w", err)
	}
	var errs []error
	for _, te := range ents {
		if !te.IsDir() || strings.HasPrefix(te.Name(), ".") {
			continue
		}
		tenant := te.Name()
		if _, err := h.Tenants.Tenant(ctx, tenant); err != nil {
			if !errors.Is(err, tenants.ErrNoTenant) {
				errs = append(errs, err)
			} else {
				h.Deps.Log.WarnContext(ctx, "sep mail: folder of an unknown tenant", "job", t.Job, "folder", tenant)
			}
			continue
		}
		if err := h.sepMailTenantFolder(ctx, tenant, filepath.Join(dir, tenant)); err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", tenant, err))
		}
	}
	return errors.Join(errs...)
}

func (h *Hub) sepMailTenantFolder(ctx context.Context, tenant, dir string) error {
	files, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	n := 0
	var errs []error
	for _, f := range files {
		name := f.Name()
		if !f.Type().IsRegular() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".tmp") {
			continue
		}
		if n++; n > maxMailPerRun {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		path := filepath.Join(dir, name)
		raw, err := readBounded(path, blobs.MaxSize)
		if err == nil {
			_, err = h.ingestLetter(ctx, tenant, raw)
		}
		switch ae := apperr.As(err); {
		case err == nil:
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		case errors.Is(err, errMailFileTooLarge) || ae.Kind == apperr.Invalid || ae.Kind == apperr.TooLarge:
			h.Deps.Log.WarnContext(ctx, "sep mail: letter refused, moved to rejected", "tenant", tenant, "code", ae.Code)
			if err := moveAside(dir, name); err != nil {
				errs = append(errs, err)
			}
		default:
			errs = append(errs, err) // kept for the next run
		}
	}
	return errors.Join(errs...)
}

var errMailFileTooLarge = errors.New("sep mail: letter larger than the blob limit")

func readBounded(path string, limit int) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > int64(limit) {
		return nil, errMailFileTooLarge
	}
	return os.ReadFile(path)
}

func moveAside(dir, name string) error {
	rej := filepath.Join(dir, "rejected")
	if err := os.MkdirAll(rej, 0o700); err != nil {
		return err
	}
	return os.Rename(filepath.Join(dir, name), filepath.Join(rej, name))
}

// unconfiguredSep stands in for SEP when SepConfig.URL is empty: requests are encoded and
// signed as usual, and every call fails as "SEP unavailable", so entries back off and wait
// for a configured poller instead of being given up by this one (SepPoll does not tick).
type unconfiguredSep struct{ *sepsoap.Client }

func (unconfiguredSep) SendRequest(context.Context, sep.Request) (string, error) {
	return "", fmt.Errorf("sep: %s is not set", EnvSepURL)
}

func (unconfiguredSep) GetResult(context.Context, string) (sep.Result, error) {
	return sep.Result{}, fmt.Errorf("sep: %s is not set", EnvSepURL)
}
