package hub_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/scheduler"
	"github.com/stykovka/stykovka/internal/sep"
)

func sepLocalHub(t *testing.T, cfg hub.Config) *hub.Hub {
	t.Helper()
	return sepLocalHubAt(t, cfg, clock.Real{})
}

func sepLocalHubAt(t *testing.T, cfg hub.Config, clk clock.Clock) *hub.Hub {
	t.Helper()
	deps, err := app.LocalWithClock(t.TempDir(), slog.New(slog.DiscardHandler), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deps.Close() })
	h, err := hub.New(deps, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Tenants.AddTenant(context.Background(), "leasing", "Лизинг", "Europe/Moscow"); err != nil {
		t.Fatal(err)
	}
	return h
}

// sepLetter is a SEP letter as SES stores it: the EPTS number and a code.
var sepLetter = []byte("From: noreply@sep.example\r\nSubject: =?utf-8?B?0KHQrdCf?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
	"Номер ЭПТС: 164301000000101\r\nКод подтверждения: 482913\r\n")

func sepJobNames(h *hub.Hub) map[string]bool {
	out := map[string]bool{}
	for _, j := range h.Jobs() {
		out[j.Name] = true
	}
	return out
}

func TestSepConfigFromEnv(t *testing.T) {
	cfg := hub.ConfigFromEnv(func(k string) string {
		return map[string]string{hub.EnvSepURL: " https://sep.example/ws "}[k]
	})
	if cfg.Sep.URL != "https://sep.example/ws" || cfg.Sep.MailDir != "" {
		t.Fatalf("config: %+v", cfg.Sep)
	}
	deps, err := app.Local(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer deps.Close()
	if _, err := hub.New(deps, hub.Config{Sep: hub.SepConfig{URL: "ftp://sep.example"}}); err == nil || !strings.Contains(err.Error(), hub.EnvSepURL) {
		t.Fatalf("a bad SEP URL: %v", err)
	}
}

// TestSepWithoutURL: a hub without SEP's URL queues requests that wait (not given up), its
// poller does nothing, and it has no local mail job without a mail folder.
func TestSepWithoutURL(t *testing.T) {
	clk := clock.NewFake(time.Date(2025, 7, 7, 9, 0, 0, 0, time.UTC))
	h := sepLocalHubAt(t, hub.Config{}, clk)
	ctx := context.Background()
	jobs := sepJobNames(h)
	if !jobs[hub.SepPollerJob] || jobs[hub.SepMailJob] {
		t.Fatalf("jobs: %v", jobs)
	}
	if _, err := h.Sep.PutSettings(ctx, "leasing", sep.Settings{Organisations: []sep.Organisation{{INN: "7701000001", OGRN: "1027700000019", Name: "ООО «Лизинг»"}}}); err != nil {
		t.Fatal(err)
	}
	e, err := h.Sep.RequestApplications(ctx, "leasing", sep.PeriodRequest{OrganisationINN: "7701000001",
		From: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 7, 31, 0, 0, 0, 0, time.UTC)})
	if err != nil || !e.Waiting() || e.Status != sep.StatusRequestError || e.Errors[0].Code != "SEP_UNAVAILABLE" {
		t.Fatalf("queued without SEP: %+v %v", e, err)
	}
	for range 3 {
		clk.Advance(time.Hour) // long past the entry's backoff
		if err := h.SepPoll(ctx, scheduler.Tick{Job: hub.SepPollerJob, Scheduled: clk.Now().Truncate(time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := h.Sep.Entry(ctx, "leasing", e.ID); got.Attempts != 1 || !got.Waiting() {
		t.Fatalf("the unconfigured poller worked on the entry: %+v", got)
	}
}

func TestSepMailTenant(t *testing.T) {
	for key, want := range map[string]string{
		"mail/leasing/0a1b2c": "leasing", "mail/demo/2025/07/x.eml": "demo",
		"mail/leasing": "", "mail//x": "", "mail/leasing/": "", "t/leasing/sep/x": "", "o3vv1en5j4g5pb4uph3ncs0d4msmrh7c9kdsd301": "",
	} {
		got, err := hub.SepMailTenant(key)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("SepMailTenant(%q) = %q, %v; want %q", key, got, err, want)
		}
	}
}

// TestSepIngestBlob: a letter SES stored under mail/<tenant>/ is ingested into that tenant
// and removed; the raw letter stays under the tenant's blobs; an S3 event delivered again is
// a no-op; a letter for an unknown tenant is refused and kept.
func TestSepIngestBlob(t *testing.T) {
	h := sepLocalHub(t, hub.Config{Sep: hub.SepConfig{URL: "http://127.0.0.1:9/sep"}})
	ctx := context.Background()
	key := "mail/leasing/o3vv1en5j4g5pb4uph3ncs0d4msmrh7c9kdsd301"
	if err := h.Deps.Blobs.Put(ctx, key, sepLetter); err != nil {
		t.Fatal(err)
	}
	l, err := h.SepIngestBlob(ctx, key)
	if err != nil || l.EPTS != "164301000000101" || l.Code != "482913" || l.Status != sep.LetterNew {
		t.Fatalf("ingested: %+v %v", l, err)
	}
	if _, err := h.Deps.Blobs.Get(ctx, key); !errors.Is(err, blobs.ErrNotFound) {
		t.Fatalf("inbound letter not removed: %v", err)
	}
	if raw, err := h.Deps.Blobs.Get(ctx, l.BlobKey); err != nil || string(raw) != string(sepLetter) || !strings.HasPrefix(l.BlobKey, "t/leasing/sep/") {
		t.Fatalf("raw letter kept at %q: %v", l.BlobKey, err)
	}
	if again, err := h.SepIngestBlob(ctx, key); err != nil || again.ID != "" {
		t.Fatalf("second delivery: %+v %v", again, err)
	}
	if ls, _ := h.Sep.Letters(ctx, "leasing", sep.LetterQuery{}); len(ls.Items) != 1 {
		t.Fatalf("letters: %d", len(ls.Items))
	}
	stray := "mail/nobody/x"
	if err := h.Deps.Blobs.Put(ctx, stray, sepLetter); err != nil {
		t.Fatal(err)
	}
	if _, err := h.SepIngestBlob(ctx, stray); apperr.As(err).Code != "SEP_MAIL_TENANT" {
		t.Fatalf("unknown tenant: %v", err)
	}
	if _, err := h.Deps.Blobs.Get(ctx, stray); err != nil {
		t.Fatalf("a refused letter must be kept: %v", err)
	}
	if _, err := h.SepIngestBlob(ctx, "mail/x"); apperr.As(err).Code != "SEP_MAIL_KEY" {
		t.Fatalf("bad key: %v", err)
	}
}

// TestSepMailFolder: the local mail job takes every finished letter of each known tenant's
// folder, leaves files still being written, moves refused ones aside and leaves folders of
// unknown tenants alone.
func TestSepMailFolder(t *testing.T) {
	dir := t.TempDir()
	h := sepLocalHub(t, hub.Config{Sep: hub.SepConfig{URL: "http://127.0.0.1:9/sep", MailDir: dir}})
	ctx := context.Background()
	if !sepJobNames(h)[hub.SepMailJob] {
		t.Fatal("no sep-mail job with a mail folder")
	}
	write := func(rel string, b []byte) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("leasing/000001-a.eml", sepLetter)
	write("leasing/000002-b.eml.tmp", sepLetter)
	write("leasing/.000003-c.eml", sepLetter)
	write("leasing/000004-empty.eml", nil)
	write("nobody/000001-a.eml", sepLetter)
	run := func() {
		for _, j := range h.Jobs() {
			if j.Name == hub.SepMailJob {
				if err := j.Run(ctx, scheduler.Tick{Job: j.Name, Scheduled: time.Now().Truncate(time.Minute)}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	run()
	left := func(rel string) bool { _, err := os.Stat(filepath.Join(dir, rel)); return err == nil }
	for rel, want := range map[string]bool{
		"leasing/000001-a.eml": false, "leasing/000002-b.eml.tmp": true, "leasing/.000003-c.eml": true,
		"leasing/000004-empty.eml": false, "leasing/rejected/000004-empty.eml": true, "nobody/000001-a.eml": true,
	} {
		if left(rel) != want {
			t.Errorf("%s present: %v, want %v", rel, !want, want)
		}
	}
	// The writer renames its temporary file: the next run takes it (the same content: the
	// same letter, recognised, not doubled).
	if err := os.Rename(filepath.Join(dir, "leasing/000002-b.eml.tmp"), filepath.Join(dir, "leasing/000002-b.eml")); err != nil {
		t.Fatal(err)
	}
	run()
	if left("leasing/000002-b.eml") {
		t.Error("renamed letter not taken")
	}
	if ls, _ := h.Sep.Letters(ctx, "leasing", sep.LetterQuery{}); len(ls.Items) != 1 {
		t.Fatalf("letters: %d, want 1", len(ls.Items))
	}
}
