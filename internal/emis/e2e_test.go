package emis_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
	"github.com/stykovka/stykovka/internal/emis/webhook"
	"github.com/stykovka/stykovka/internal/legal"
)

// TestEndToEnd is the "done when" over real HTTP, on both store adapters: the PMS
// saves a guest, the hub opens the EMIS page, the operator saves a passport with an expired
// visa among others, the PMS receives the signed webhook with the data and the warning, and
// GetDocuments (and the PMS's pull) return the same.
func TestEndToEnd(t *testing.T) {
	for _, a := range adapters {
		t.Run(string(a), func(t *testing.T) {
			e := newEnv(t, a)
			tf := e.addTenant("hotel-a", legal.Cyrillic)
			const person, booking = "160848", "473024"

			e.saveGuest(tf, person, booking, "HUBER")
			pageURL, err := e.svc.StartDocuments(e.ctx, tf.id, tf.legal, person, booking)
			if err != nil {
				t.Fatal(err)
			}
			form, page := e.browserForm(pageURL)
			if !strings.Contains(page, "Системный ID: <b>160848</b>") || !strings.Contains(page, ">Сохранить</button>") {
				t.Fatalf("page does not show the person or the Save button:\n%s", page)
			}
			if form.Get("last_name_lat") != "HUBER" {
				t.Errorf("surname not prefilled from the PMS: %q", form.Get("last_name_lat"))
			}
			e.operatorSaves(pageURL, huber)
			e.sim.Flush() // the callback went out and was answered

			got := tf.pms.received()
			if len(got) != 1 {
				t.Fatalf("PMS received %d deliveries, want 1", len(got))
			}
			d := got[0]
			if d.header.Get(webhook.EventHeader) != emis.EventDocuments || d.header.Get(webhook.DeliveryHeader) != d.msg.DeliveryID || d.msg.DeliveryID == "" {
				t.Errorf("headers %v, delivery id %q", d.header, d.msg.DeliveryID)
			}
			m := d.msg
			if m.PersonID != person || m.BookingID != booking || m.LegalEntity != tf.legal || m.Version != 1 {
				t.Errorf("delivery ids: %+v", m.Result)
			}
			id := m.Documents.Identity
			if id.Number != huber.number || id.BirthDate != huber.birth || id.Nationality != "DEU" || id.Latin.Surname != "HUBER" {
				t.Errorf("identity %+v", id)
			}
			if len(m.Documents.Stay) != 2 || !m.Documents.Stay[0].Selected || m.Documents.Stay[0].ValidTo != "2025-06-01" {
				t.Errorf("stay documents %+v", m.Documents.Stay)
			}
			if m.Documents.MigrationCard == nil || m.Documents.MigrationCard.Number != huber.mcNumber {
				t.Errorf("migration card %+v", m.Documents.MigrationCard)
			}
			if !hasWarning(m.Warnings, emis.WarnVisaSelectedExpired, "stay[0].valid_to") {
				t.Errorf("no expired-visa warning: %v", codes(m.Warnings))
			}
			if m.Script != emis.Cyrillic || m.Name.Surname != "ХУБЕР" || !hasWarning(m.Warnings, emis.WarnNameTransliterated, "name") {
				t.Errorf("name in Cyrillic: %q %+v %v", m.Script, m.Name, codes(m.Warnings))
			}
			for _, w := range m.Warnings {
				if w.Code != emis.WarnVisaSelectedExpired && w.Code != emis.WarnNameTransliterated {
					t.Errorf("unexpected warning %s (%s): %s", w.Code, w.Field, w.Message)
				}
			}

			res, err := e.svc.GetDocuments(e.ctx, tf.id, tf.legal, person)
			if err != nil {
				t.Fatal(err)
			}
			if mustJSON(t, res) != mustJSON(t, m.Result) {
				t.Errorf("GetDocuments differs from the delivery:\n%s\n%s", mustJSON(t, res), mustJSON(t, m.Result))
			}

			// The PMS's pull over its signed webhook answers the same, signed.
			status, body, h := e.pmsCall(tf, tf.id, emis.PMSMessage{Event: emis.EventDocumentsGet, PersonID: person, LegalEntity: tf.legal})
			if status != http.StatusOK {
				t.Fatalf("documents.get: %d %s", status, body)
			}
			if _, _, err := hooksig.Verify(h.Get(hooksig.Header), body, [][]byte{[]byte(tf.pmsOut)}, e.clk.Now(), hooksig.Window); err != nil {
				t.Fatalf("pull answer signature: %v", err)
			}
			if !strings.Contains(string(body), mustJSON(t, res.Documents)) || !strings.Contains(string(body), emis.WarnVisaSelectedExpired) {
				t.Errorf("pull answer differs: %s", body)
			}
			if cbs := e.sim.Callbacks(); len(cbs) != 1 || cbs[0].Status != http.StatusOK {
				t.Errorf("simulator callbacks: %+v", cbs)
			}
			if n := len(tf.pms.received()); n != 1 {
				t.Errorf("PMS received %d deliveries after reads, want 1", n)
			}
		})
	}
}

// TestStartDocumentsRefusesUnsavedPerson: the multi-guest mistake of the seed — a person the
// PMS has not saved — is refused with the Russian explanation, and nothing reaches EMIS.
func TestStartDocumentsRefusesUnsavedPerson(t *testing.T) {
	e := newEnv(t, bolt)
	tf := e.addTenant("hotel-a", legal.Latin)
	for _, person := range []string{"", "999001"} {
		_, err := e.svc.StartDocuments(e.ctx, tf.id, tf.legal, person, "473024")
		if ae := apperr.As(err); ae.Code != "EMIS_PERSON_NOT_SAVED" || !strings.Contains(ae.Message, "Сохраните гостя") {
			t.Errorf("person %q: %v", person, err)
		}
	}
	e.saveGuest(tf, "160848", "473024", "Крупкин")
	if _, err := e.svc.StartDocuments(e.ctx, tf.id, tf.legal, "160848", "500000"); apperr.As(err).Code != "EMIS_BOOKING_MISMATCH" {
		t.Errorf("other booking: %v", err)
	}
	if n := e.sim.Sessions(); n != 0 {
		t.Fatalf("%d sessions reached EMIS", n)
	}
	// An entity without EMIS is refused as well.
	off, err := e.legal.Create(e.ctx, tf.id, "", legal.Changes{Description: ptr("ООО «Без EMIS»")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.StartDocuments(e.ctx, tf.id, off.Ref, "160848", "473024"); apperr.As(err).Code != "EMIS_DISABLED" {
		t.Errorf("disabled entity: %v", err)
	}
	// The saved guest goes through, the surname greets the operator.
	u, err := e.svc.StartDocuments(e.ctx, tf.id, tf.legal, "160848", "")
	if err != nil {
		t.Fatal(err)
	}
	if form, _ := e.browserForm(u); form.Get("last_name") != "Крупкин" {
		t.Errorf("surname not prefilled: %v", form)
	}
	les, err := e.svc.LegalEntities(e.ctx, tf.id)
	if err != nil || len(les) != 1 || les[0].Ref != tf.legal || les[0].Script != emis.Latin {
		t.Errorf("LegalEntities = %+v, %v", les, err)
	}
}
