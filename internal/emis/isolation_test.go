package emis_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/emis/emisclient"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
	"github.com/stykovka/stykovka/internal/legal"
)

// TestTenantsIsolated: two hotel companies with the same PMS person id. No operation or
// webhook of one reaches the other's data, on both store adapters.
func TestTenantsIsolated(t *testing.T) {
	for _, a := range adapters {
		t.Run(string(a), func(t *testing.T) {
			e := newEnv(t, a)
			ta := e.addTenant("hotel-a", legal.Latin)
			tb := e.addTenant("hotel-b", legal.Latin)
			const person = "160848"
			docsB := huber
			docsB.number, docsB.surnameLat = "B0000B111", "OTHERSON"
			sessions := map[string]string{}
			for _, c := range []struct {
				tf *tenantFix
				g  guestDocs
			}{{ta, huber}, {tb, docsB}} {
				e.saveGuest(c.tf, person, "1", c.g.surnameLat)
				u, err := e.svc.StartDocuments(e.ctx, c.tf.id, c.tf.legal, person, "1")
				if err != nil {
					t.Fatal(err)
				}
				e.operatorSaves(u, c.g)
				e.sim.Flush()
				sessions[c.tf.id] = e.sim.Callbacks()[len(e.sim.Callbacks())-1].SessionID
			}
			// Each PMS got its own tenant's document, once.
			for tf, want := range map[*tenantFix]string{ta: huber.number, tb: docsB.number} {
				got := tf.pms.received()
				if len(got) != 1 || got[0].msg.Documents.Identity.Number != want || got[0].msg.LegalEntity != tf.legal {
					t.Fatalf("%s PMS received %+v", tf.id, got)
				}
			}
			// Domain reads: B cannot name A's legal entity; A's own read is A's data.
			if _, err := e.svc.GetDocuments(e.ctx, tb.id, ta.legal, person); apperr.As(err).Code != "LEGAL_NOT_FOUND" {
				t.Errorf("B reads A's entity: %v", err)
			}
			if _, err := e.svc.StartDocuments(e.ctx, tb.id, ta.legal, person, "1"); apperr.As(err).Code != "LEGAL_NOT_FOUND" {
				t.Errorf("B starts with A's entity: %v", err)
			}
			res, err := e.svc.GetDocuments(e.ctx, ta.id, ta.legal, person)
			if err != nil || res.Documents.Identity.Number != huber.number {
				t.Fatalf("A's read: %+v %v", res.Documents.Identity, err)
			}
			page, err := e.svc.List(e.ctx, tb.id, emis.ListQuery{PersonalData: true})
			if err != nil || len(page.Items) != 1 || page.Items[0].Documents.Identity.Number != docsB.number {
				t.Fatalf("B's list: %+v %v", page, err)
			}

			// PMS webhooks: A's secret does not open B, and B's pull cannot name A's entity.
			status, _, _ := e.pmsCall(ta, tb.id, emis.PMSMessage{Event: emis.EventDocumentsGet, PersonID: person, LegalEntity: tb.legal})
			if status != http.StatusUnauthorized {
				t.Errorf("A's signature on B: %d", status)
			}
			status, body, _ := e.pmsCall(tb, tb.id, emis.PMSMessage{Event: emis.EventDocumentsGet, PersonID: person, LegalEntity: ta.legal})
			if status != http.StatusNotFound || strings.Contains(string(body), huber.number) {
				t.Errorf("B pulls A's entity: %d %s", status, body)
			}

			// EMIS callbacks: A's callback signed by A's secret, sent to B, is refused; signed
			// with B's secret it names a session B never opened.
			cb, _ := json.Marshal(emisclient.Callback{Event: emisclient.EventSaved, PersonID: person,
				VersionWire: emisclient.VersionWire{Version: 9, SavedAt: t0, SessionID: sessions[ta.id],
					Document: emisclient.Document{Identity: emisclient.Identity{Number: "X99999999"}}}})
			if status, _, _ := e.post("/hooks/emis?tenant="+tb.id, hooksig.EmisHeader, hooksig.Sign([]byte(ta.emisSecret), e.clk.Now(), cb), cb); status != http.StatusUnauthorized {
				t.Errorf("A's callback to B: %d", status)
			}
			if status, _, _ := e.post("/hooks/emis?tenant="+tb.id, hooksig.EmisHeader, hooksig.Sign([]byte(tb.emisSecret), e.clk.Now(), cb), cb); status != http.StatusNotFound {
				t.Errorf("A's session at B: %d", status)
			}
			for _, tf := range []*tenantFix{ta, tb} {
				page, err := e.svc.List(e.ctx, tf.id, emis.ListQuery{PersonalData: true})
				if err != nil || len(page.Items) != 1 || page.Items[0].Version != 1 {
					t.Errorf("%s changed: %+v %v", tf.id, page, err)
				}
				if n := len(tf.pms.received()); n != 1 {
					t.Errorf("%s PMS got %d deliveries", tf.id, n)
				}
			}
		})
	}
}
