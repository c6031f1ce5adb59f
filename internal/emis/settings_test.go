package emis_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/legal"
)

func TestSettingsSecretsWriteOnly(t *testing.T) {
	e := newEnv(t, bolt)
	tf := e.addTenant("hotel-a", legal.Latin)
	s, err := e.svc.Settings(e.ctx, tf.id)
	if err != nil {
		t.Fatal(err)
	}
	if !s.EmisSecretSet || !s.PMSInSecretSet || !s.PMSOutSecretSet || s.Retention != emis.DefaultRetention {
		t.Errorf("settings %+v", s)
	}
	if js, _ := json.Marshal(s); strings.Contains(string(js), tf.pmsIn) {
		t.Error("a read returned a secret")
	}
	// Changing the URL keeps the secrets; clearing one says so.
	s, err = e.svc.Configure(e.ctx, tf.id, emis.Config{PMSWebhookURL: ptr("https://pms.example/hook"), PMSInSecret: ptr("")})
	if err != nil || !s.EmisSecretSet || s.PMSInSecretSet || s.PMSWebhookURL != "https://pms.example/hook" {
		t.Errorf("after configure: %+v %v", s, err)
	}
	for _, c := range []emis.Config{
		{PMSWebhookURL: ptr("ftp://pms.example/")},
		{PMSWebhookURL: ptr("https://user:pw@pms.example/")},
		{PMSWebhookURL: ptr("/relative")},
		{EmisSecret: ptr("short")},
		{EmisSecret: ptr(strings.Repeat("x", 40) + " ")},
		{Retention: ptr(-time.Hour)},
		{Retention: ptr(100 * 24 * time.Hour)},
	} {
		if _, err := e.svc.Configure(e.ctx, tf.id, c); apperr.As(err).Code != "EMIS_SETTINGS_INVALID" {
			t.Errorf("%+v accepted: %v", c, err)
		}
	}
	if _, err := e.svc.Configure(e.ctx, "Bad Tenant", emis.Config{}); apperr.As(err).Kind != apperr.Forbidden {
		t.Errorf("bad tenant: %v", err)
	}
	// A fresh tenant has defaults and no secrets: its webhooks are refused.
	s, err = e.svc.Settings(e.ctx, "hotel-new")
	if err != nil || s.EmisSecretSet || s.Retention != emis.DefaultRetention {
		t.Errorf("fresh tenant %+v %v", s, err)
	}
	if _, err := e.svc.HandleEmisCallback(e.ctx, "hotel-new", "t=1,v1=00", []byte("{}")); apperr.As(err).Code != "HOOK_NOT_CONFIGURED" {
		t.Errorf("unconfigured tenant: %v", err)
	}
}

// TestRetention: personal data expires from the hub after the tenant's retention, counted
// from the last delivery (issue 10 builds its sweep on this expiry).
func TestRetention(t *testing.T) {
	for _, a := range adapters {
		t.Run(string(a), func(t *testing.T) {
			e := newEnv(t, a)
			tf := e.addTenant("hotel-a", legal.Latin)
			if _, err := e.svc.Configure(e.ctx, tf.id, emis.Config{Retention: ptr(24 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
			e.saveGuest(tf, "160848", "1", "HUBER")
			u, err := e.svc.StartDocuments(e.ctx, tf.id, tf.legal, "160848", "1")
			if err != nil {
				t.Fatal(err)
			}
			e.operatorSaves(u, huber)
			e.sim.Flush()
			e.clk.Advance(23 * time.Hour)
			if page, _ := e.svc.List(e.ctx, tf.id, emis.ListQuery{}); len(page.Items) != 1 {
				t.Fatalf("gone too early: %d", len(page.Items))
			}
			e.clk.Advance(2 * time.Hour)
			if page, _ := e.svc.List(e.ctx, tf.id, emis.ListQuery{}); len(page.Items) != 0 {
				t.Fatalf("kept after retention: %d", len(page.Items))
			}
			if _, err := e.svc.StartDocuments(e.ctx, tf.id, tf.legal, "160848", "1"); apperr.As(err).Code != "EMIS_PERSON_NOT_SAVED" {
				t.Errorf("guest record kept: %v", err)
			}
		})
	}
}

// TestListWithoutPersonalData: the OData register's rows without the right to personal data
// carry ids, versions and warnings only.
func TestListWithoutPersonalData(t *testing.T) {
	e := newEnv(t, bolt)
	tf := e.addTenant("hotel-a", legal.Latin)
	for _, p := range []string{"160848", "160849"} {
		e.saveGuest(tf, p, "1", "HUBER")
		u, err := e.svc.StartDocuments(e.ctx, tf.id, tf.legal, p, "1")
		if err != nil {
			t.Fatal(err)
		}
		e.operatorSaves(u, huber)
	}
	e.sim.Flush()
	page, err := e.svc.List(e.ctx, tf.id, emis.ListQuery{Limit: 1})
	if err != nil || len(page.Items) != 1 || page.Next == "" || page.Items[0].PersonID != "160848" {
		t.Fatalf("first page %+v %v", page, err)
	}
	row := page.Items[0]
	if js := mustJSON(t, row); strings.Contains(js, huber.number) || strings.Contains(js, huber.surnameLat) || strings.Contains(js, huber.birth) {
		t.Errorf("row without the right holds personal data: %s", js)
	}
	if !hasWarning(row.Warnings, emis.WarnVisaSelectedExpired, "") || row.Version != 1 || row.LegalEntity != tf.legal {
		t.Errorf("row %+v", row)
	}
	page, err = e.svc.List(e.ctx, tf.id, emis.ListQuery{Limit: 1, Cursor: page.Next, PersonalData: true})
	if err != nil || len(page.Items) != 1 || page.Items[0].PersonID != "160849" || page.Items[0].Documents.Identity.Number != huber.number {
		t.Fatalf("second page %+v %v", page, err)
	}
	page, err = e.svc.List(e.ctx, tf.id, emis.ListQuery{PersonID: "160849"})
	if err != nil || len(page.Items) != 1 || page.Items[0].PersonID != "160849" {
		t.Fatalf("by person %+v %v", page, err)
	}
}

func FuzzParsePMSMessage(f *testing.F) {
	for _, s := range []string{
		`{"event":"guest.saved","person_id":"160848","booking_id":"473024","surname":"Крупкин"}`,
		`{"event":"documents.get","person_id":"160848","legal_entity":"6eced03d-9765-48f2-a6f7-a3dcb47e3b79"}`,
		`{"event":"documents.get","person_id":"160848"}`,
		`{"event":"guest.saved","person_id":"16#08"}`,
		`{"event":"guest.saved","person_id":"1"} {}`,
		`{"event":"x"}`, `[]`, `null`, `{"surname":"\u0000"}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := emis.ParsePMSMessage(body)
		if err != nil {
			if apperr.As(err).Code == "INTERNAL" {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if m.PersonID == "" || (m.Event != emis.EventGuestSaved && m.Event != emis.EventDocumentsGet) ||
			(m.Event == emis.EventDocumentsGet && m.LegalEntity == "") || strings.ContainsAny(m.PersonID, "#/ ") {
			t.Fatalf("accepted %q as %+v", body, m)
		}
	})
}
