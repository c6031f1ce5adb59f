package emis_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/emis/emisclient"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
	"github.com/stykovka/stykovka/internal/legal"
	emissim "github.com/stykovka/stykovka/internal/sim/emis"
	"github.com/stykovka/stykovka/internal/store"
)

// itemVersion is the store version of an item (0 when absent): it moves on every write.
func (e *env) itemVersion(tenant, pk, sk string) int64 {
	e.t.Helper()
	ts, _ := store.ForTenant(e.st, tenant)
	it, err := ts.Get(e.ctx, pk, sk)
	if err != nil {
		return 0
	}
	return it.Version
}

// TestPMSWebhookForgedStaleReplayed: each is refused and changes nothing.
func TestPMSWebhookForgedStaleReplayed(t *testing.T) {
	e := newEnv(t, bolt)
	tf := e.addTenant("hotel-a", legal.Latin)
	msg, _ := json.Marshal(emis.PMSMessage{Event: emis.EventGuestSaved, PersonID: "160848", BookingID: "1", Surname: "HUBER"})
	guest := func() int64 { return e.itemVersion(tf.id, "EMIS#P#160848", "GUEST") }

	for _, c := range []struct {
		name, sig string
		want      int
		code      string
	}{
		{"unsigned", "", http.StatusUnauthorized, "HOOK_SIGNATURE_INVALID"},
		{"forged", hooksig.Sign([]byte(emis.NewSecret()), e.clk.Now(), msg), http.StatusUnauthorized, "HOOK_SIGNATURE_INVALID"},
		{"signed with the outbound secret", hooksig.Sign([]byte(tf.pmsOut), e.clk.Now(), msg), http.StatusUnauthorized, "HOOK_SIGNATURE_INVALID"},
		{"stale", hooksig.Sign([]byte(tf.pmsIn), e.clk.Now().Add(-10*time.Minute), msg), http.StatusUnauthorized, "HOOK_STALE"},
		{"garbage header", "t=abc,v1=zz", http.StatusUnauthorized, "HOOK_SIGNATURE_INVALID"},
	} {
		status, body, _ := e.post("/hooks/pms?tenant="+tf.id, hooksig.Header, c.sig, msg)
		if status != c.want || !strings.Contains(string(body), c.code) {
			t.Errorf("%s: %d %s", c.name, status, body)
		}
	}
	if v := guest(); v != 0 {
		t.Fatalf("a refused call wrote the guest (version %d)", v)
	}
	if status, _, _ := e.post("/hooks/pms?tenant=no-such", hooksig.Header, hooksig.Sign([]byte(tf.pmsIn), e.clk.Now(), msg), msg); status != http.StatusUnauthorized {
		t.Errorf("unknown tenant: %d", status)
	}

	// A good call, then a change, then the first call replayed: refused, the change stays.
	first := hooksig.Sign([]byte(tf.pmsIn), e.clk.Now(), msg)
	if status, body, _ := e.post("/hooks/pms?tenant="+tf.id, hooksig.Header, first, msg); status != http.StatusOK {
		t.Fatalf("good call: %d %s", status, body)
	}
	e.clk.Advance(time.Second)
	e.saveGuest(tf, "160848", "2", "HUBER")
	after := guest()
	status, body, _ := e.post("/hooks/pms?tenant="+tf.id, hooksig.Header, first, msg)
	if status != http.StatusConflict || !strings.Contains(string(body), "HOOK_REPLAYED") {
		t.Errorf("replay: %d %s", status, body)
	}
	if guest() != after {
		t.Error("the replay changed the guest")
	}
	// The booking of the second call is the one in force.
	if _, err := e.svc.StartDocuments(e.ctx, tf.id, tf.legal, "160848", "1"); apperr.As(err).Code != "EMIS_BOOKING_MISMATCH" {
		t.Errorf("booking after replay: %v", err)
	}
	// Once the window has passed, the replay is stale rather than remembered forever.
	e.clk.Advance(hooksig.Window + time.Minute)
	if status, body, _ := e.post("/hooks/pms?tenant="+tf.id, hooksig.Header, first, msg); status != http.StatusUnauthorized || !strings.Contains(string(body), "HOOK_STALE") {
		t.Errorf("old replay: %d %s", status, body)
	}
	// Over-size bodies are refused before anything is read into the domain.
	big := []byte(`{"event":"guest.saved","person_id":"1","surname":"` + strings.Repeat("a", emis.MaxPMSBody) + `"}`)
	if status, _, _ := e.post("/hooks/pms?tenant="+tf.id, hooksig.Header, hooksig.Sign([]byte(tf.pmsIn), e.clk.Now(), big), big); status != http.StatusRequestEntityTooLarge {
		t.Errorf("big body: %d", status)
	}
	// Valid signature, invalid message: refused with the field named.
	bad, _ := json.Marshal(emis.PMSMessage{Event: emis.EventGuestSaved, PersonID: "16#08"})
	if status, body, _ := e.post("/hooks/pms?tenant="+tf.id, hooksig.Header, hooksig.Sign([]byte(tf.pmsIn), e.clk.Now(), bad), bad); status != http.StatusBadRequest || !strings.Contains(string(body), "person_id") {
		t.Errorf("bad person id: %d %s", status, body)
	}
}

// TestEmisCallbackForgedStaleReplayedAndRepeated: forged, stale and replayed callbacks are
// refused and store nothing; the same version applied again (EMIS repeating its callback,
// re-signed) changes nothing and is not delivered twice.
func TestEmisCallbackForgedStaleReplayedAndRepeated(t *testing.T) {
	for _, a := range adapters {
		t.Run(string(a), func(t *testing.T) {
			e := newEnv(t, a)
			tf := e.addTenant("hotel-a", legal.Latin)
			e.saveGuest(tf, "160848", "1", "HUBER")
			u, err := e.svc.StartDocuments(e.ctx, tf.id, tf.legal, "160848", "1")
			if err != nil {
				t.Fatal(err)
			}
			// A callback body as EMIS would send it for this session, but never saved in EMIS.
			body, _ := json.Marshal(emisclient.Callback{Event: emisclient.EventSaved, PersonID: "160848",
				VersionWire: emisclient.VersionWire{Version: 1, SavedAt: t0, SessionID: sessionID(u, e),
					Document: emisclient.WireDocument(emis.Documents{Identity: emis.Identity{Number: "F00000001",
						Latin: emis.Name{Surname: "FORGED"}}})}})
			for _, c := range []struct {
				name, sig string
				want      int
			}{
				{"unsigned", "", http.StatusUnauthorized},
				{"forged", hooksig.Sign([]byte(emis.NewSecret()), e.clk.Now(), body), http.StatusUnauthorized},
				{"stale", hooksig.Sign([]byte(tf.emisSecret), e.clk.Now().Add(-hooksig.Window-time.Second), body), http.StatusUnauthorized},
			} {
				if status, out, _ := e.post("/hooks/emis?tenant="+tf.id, hooksig.EmisHeader, c.sig, body); status != c.want {
					t.Errorf("%s: %d %s", c.name, status, out)
				}
			}
			page, _ := e.svc.List(e.ctx, tf.id, emis.ListQuery{})
			if len(page.Items) != 0 || len(tf.pms.received()) != 0 {
				t.Fatalf("a refused callback stored or delivered: %+v", page.Items)
			}

			// EMIS repeats every callback twice more (re-signed) and replays one byte for byte.
			e.sim.SetFaults(emissim.Faults{CallbackRepeat: 2, CallbackReplay: true})
			e.operatorSaves(u, huber)
			e.sim.Flush()
			var statuses []int
			for _, c := range e.sim.Callbacks() {
				statuses = append(statuses, c.Status)
			}
			if want := []int{200, 200, 200, 409}; mustJSON(t, statuses) != mustJSON(t, want) {
				t.Errorf("callback answers %v, want %v", statuses, want)
			}
			if n := len(tf.pms.received()); n != 1 {
				t.Fatalf("PMS got %d deliveries of one version", n)
			}
			docs := e.itemVersion(tf.id, "EMIS#P#160848", "DOCS#"+tf.legal)
			// And once more through the domain: unchanged, not delivered.
			var cb emisclient.Callback
			vs, _ := json.Marshal(e.mustChanges(tf, "160848")[0])
			_ = json.Unmarshal(vs, &cb.VersionWire)
			cb.Event, cb.PersonID = emisclient.EventSaved, "160848"
			again, _ := json.Marshal(cb)
			e.clk.Advance(time.Second)
			res, err := e.svc.HandleEmisCallback(e.ctx, tf.id, hooksig.Sign([]byte(tf.emisSecret), e.clk.Now(), again), again)
			if err != nil || res.Changed || res.Version != 1 {
				t.Fatalf("same version again: %+v %v", res, err)
			}
			if e.itemVersion(tf.id, "EMIS#P#160848", "DOCS#"+tf.legal) != docs || len(tf.pms.received()) != 1 {
				t.Error("the same version changed the record or was delivered again")
			}
			got, _ := e.svc.GetDocuments(e.ctx, tf.id, tf.legal, "160848")
			if got.Documents.Identity.Number != huber.number {
				t.Errorf("stored %q", got.Documents.Identity.Number)
			}
		})
	}
}

// sessionID is the EMIS session behind a page URL, as the simulator knows it.
func sessionID(pageURL string, e *env) string {
	e.t.Helper()
	id, ok := e.sim.SessionIDOf(pageURL)
	if !ok {
		e.t.Fatalf("no session for %s", pageURL)
	}
	return id
}

func (e *env) mustChanges(tf *tenantFix, person string) []emisclient.VersionWire {
	e.t.Helper()
	c, _ := emisclient.New(e.sim.URL(), nil)
	vs, err := c.Changes(e.ctx, emis.Account{Login: tf.login, Password: tf.password}, person, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []emisclient.VersionWire
	for _, v := range vs {
		out = append(out, emisclient.VersionWire{Version: v.Number, SavedAt: v.SavedAt, SessionID: v.SessionID,
			BookingID: v.BookingID, Document: emisclient.WireDocument(v.Documents)})
	}
	return out
}
