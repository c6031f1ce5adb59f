package bridge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/apperr"
	"github.com/stykovka/stykovka/internal/bridge"
	"github.com/stykovka/stykovka/internal/bridge/bridgetest"
	"github.com/stykovka/stykovka/internal/bridge/wire"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
	"github.com/stykovka/stykovka/internal/regula"
)

type fixture struct {
	t   *testing.T
	clk *clock.Fake
	hub *bridgetest.Hub
	srv *httptest.Server
	a   bridgetest.Hotel
}

func newFixture(t *testing.T, o bridgetest.Options) *fixture {
	f := &fixture{t: t, clk: clock.NewFake(now)}
	o.Clock = f.clk
	f.hub = bridgetest.New(t, o)
	f.srv = httptest.NewServer(bridge.Handler(f.hub.Service))
	t.Cleanup(f.srv.Close)
	f.a = f.hub.AddHotel("hotel-a", "Cyrillic")
	return f
}

// upload builds an upload of a sample (minimized as the bridge sends it) for a guest.
func (f *fixture) upload(ho bridgetest.Hotel, sample []byte, person string) []byte {
	f.t.Helper()
	m, err := regula.Minimize(bytes.NewReader(sample), regula.MinimizeOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	r, err := regula.Parse(m.Data)
	if err != nil {
		f.t.Fatal(err)
	}
	return bridgetest.Body(f.t, wire.Upload{TransactionID: r.TransactionID, LegalEntity: ho.Legal, PersonID: person,
		BookingID: "473024", ReadAt: f.clk.Now(), Result: m.Data})
}

func (f *fixture) post(ho bridgetest.Hotel, body []byte) (int, wire.Outcome, wire.Error) {
	f.t.Helper()
	status, out := ho.Post(f.t, f.srv.URL, f.clk.Now(), body)
	var o wire.Outcome
	var e wire.Error
	_ = json.Unmarshal(out, &o)
	_ = json.Unmarshal(out, &e)
	return status, o, e
}

func outcomeCodes(ws []wire.Warning) string {
	var c []string
	for _, w := range ws {
		c = append(c, w.Code)
	}
	return strings.Join(c, ",")
}

// TestUploadAttachesOnceAndIsSigned: a signed upload is attached; the same transaction again
// (re-signed, as a retrying bridge sends it) is a duplicate that changes nothing; the same
// request replayed, a forged or tampered one, a stale one, an unknown or revoked device are
// refused and change nothing.
func TestUploadAttachesOnceAndIsSigned(t *testing.T) {
	f := newFixture(t, bridgetest.Options{})
	body := f.upload(f.a, bridgetest.Sample(t, "passport_chip.json"), "160848")

	status, o, e := f.post(f.a, body)
	if status != http.StatusOK || o.Status != wire.StatusAttached || o.Document != bridge.KindIdentity ||
		o.DocumentName != "Germany - ePassport (2017)" || o.TransactionID != "9f6e2d4a-1c3b-4e8f-a5d7-2b0c9e1f3a01" {
		t.Fatalf("upload: %d %+v %+v", status, o, e)
	}
	// The guest's Cyrillic name was derived: the front desk is told, and the migration card
	// (Germany is not exempt) is missing.
	if got := outcomeCodes(o.Warnings); got != "NAME_TRANSLITERATED,MIGRATION_CARD_REQUIRED" {
		t.Errorf("warnings %s", got)
	}
	g, err := f.hub.Service.GuestDocuments(context.Background(), f.a.Tenant, f.a.Legal, "160848")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(g.Result.Name.Surname, "С") || g.Result.Documents.Identity.Number != "C3T9K1L45" || g.Result.Version != 1 ||
		g.Result.BookingID != "473024" || g.Identity == nil || g.Identity.Device != f.a.Device || g.Portrait != nil {
		t.Errorf("guest %+v %+v", g.Result, g.Identity)
	}

	f.clk.Advance(time.Second)
	status, o, _ = f.post(f.a, body)
	if status != http.StatusOK || o.Status != wire.StatusDuplicate || o.DocumentName != "Germany - ePassport (2017)" {
		t.Errorf("duplicate: %d %+v", status, o)
	}
	// Replaying the exact request (same signature).
	f.clk.Advance(time.Second)
	sig := f.a.Sign(f.clk.Now(), body)
	for i, want := range []int{http.StatusOK, http.StatusConflict} {
		st, _ := rawPost(t, f.srv.URL, f.a, sig, body)
		if st != want {
			t.Errorf("attempt %d with one signature: %d, want %d", i, st, want)
		}
	}
	forged := f.a
	forged.Secret = emis.NewSecret()
	if st, _, e := f.post(forged, body); st != http.StatusUnauthorized || e.Code != "HOOK_SIGNATURE_INVALID" {
		t.Errorf("forged: %d %+v", st, e)
	}
	tampered := bytes.Replace(body, []byte(`"160848"`), []byte(`"160849"`), 1)
	if st, _ := rawPost(t, f.srv.URL, f.a, f.a.Sign(f.clk.Now(), body), tampered); st != http.StatusUnauthorized {
		t.Errorf("tampered: %d", st)
	}
	if st, _ := rawPost(t, f.srv.URL, f.a, f.a.Sign(f.clk.Now().Add(-hooksig.Window-time.Minute), body), body); st != http.StatusUnauthorized {
		t.Errorf("stale: %d", st)
	}
	unknown := f.a
	unknown.Device = "dev-unknown"
	if st, _, e := f.post(unknown, body); st != http.StatusUnauthorized || e.Code != "HOOK_SIGNATURE_INVALID" {
		t.Errorf("unknown device: %d %+v", st, e)
	}
	if _, err := f.hub.Service.RevokeDevice(context.Background(), f.a.Tenant, f.a.Device); err != nil {
		t.Fatal(err)
	}
	other := f.upload(f.a, bridgetest.Sample(t, "visa.json"), "160848")
	if st, _, e := f.post(f.a, other); st != http.StatusForbidden || e.Code != "BRIDGE_DEVICE_REVOKED" {
		t.Errorf("revoked: %d %+v", st, e)
	}
	g2, _ := f.hub.Service.GuestDocuments(context.Background(), f.a.Tenant, f.a.Legal, "160848")
	if g2.Result.Version != 1 || len(g2.Result.Documents.Stay) != 0 {
		t.Errorf("refused uploads changed the guest: %+v", g2.Result)
	}
	if strings.Contains(f.hub.Logs.String(), "SCHNEIDER") || strings.Contains(f.hub.Logs.String(), "C3T9K1L45") {
		t.Error("personal data in the logs")
	}
}

func rawPost(t *testing.T, base string, ho bridgetest.Hotel, sig string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+wire.Path+"?tenant="+ho.Tenant, bytes.NewReader(body))
	req.Header.Set(wire.DeviceHeader, ho.Device)
	req.Header.Set(hooksig.Header, sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.Bytes()
}

// TestRefusedReadsAndWrongUploads: a read that did not finish is refused with the reason
// (422), and again when repeated; an upload for an unknown legal entity is refused without
// being remembered, so that the corrected upload is taken.
func TestRefusedReadsAndWrongUploads(t *testing.T) {
	f := newFixture(t, bridgetest.Options{})
	nf := f.upload(f.a, bridgetest.Sample(t, "processing_not_finished.json"), "160848")
	for i := 0; i < 2; i++ {
		st, o, _ := f.post(f.a, nf)
		if st != http.StatusUnprocessableEntity || o.Status != wire.StatusRefused || o.Code != "READ_NOT_FINISHED" || o.Message == "" {
			t.Errorf("not finished #%d: %d %+v", i, st, o)
		}
		f.clk.Advance(time.Second)
	}
	se := f.upload(f.a, bridgetest.Sample(t, "status_error.json"), "161200")
	if st, o, _ := f.post(f.a, se); st != http.StatusUnprocessableEntity || o.Code != "READ_STATUS_ERROR" {
		t.Errorf("status error: %d %+v", st, o)
	}
	if _, err := f.hub.Service.GuestDocuments(context.Background(), f.a.Tenant, f.a.Legal, "160848"); apperr.As(err).Code != "BRIDGE_NO_DOCUMENTS" {
		t.Errorf("a refused read stored documents: %v", err)
	}

	var u wire.Upload
	_ = json.Unmarshal(f.upload(f.a, bridgetest.Sample(t, "visa.json"), "160848"), &u)
	u.LegalEntity = "00000000-0000-4000-8000-00000000dead"
	if st, _, e := f.post(f.a, bridgetest.Body(t, u)); st != http.StatusNotFound || e.Code != "BRIDGE_LEGAL_UNKNOWN" {
		t.Errorf("unknown legal entity: %d %+v", st, e)
	}
	u.LegalEntity = f.a.Legal
	if st, o, _ := f.post(f.a, bridgetest.Body(t, u)); st != http.StatusOK || o.Status != wire.StatusAttached {
		t.Errorf("corrected upload: %d %+v", st, o)
	}
	for name, mut := range map[string]func(u *wire.Upload){
		"no person":      func(u *wire.Upload) { u.PersonID = "" },
		"bad booking":    func(u *wire.Upload) { u.BookingID = "a#b" },
		"no legal":       func(u *wire.Upload) { u.LegalEntity = "" },
		"tx mismatch":    func(u *wire.Upload) { u.TransactionID = "another" },
		"tx with space":  func(u *wire.Upload) { u.TransactionID = "a b" },
		"no result":      func(u *wire.Upload) { u.Result = nil },
		"result not obj": func(u *wire.Upload) { u.Result = json.RawMessage(`[1]`) },
		"bad result": func(u *wire.Upload) {
			u.Result = json.RawMessage(`{"List":[{"result_type":33,"Status":{"overallStatus":9}}]}`)
		},
	} {
		v := u
		mut(&v)
		f.clk.Advance(time.Second)
		if st, _, e := f.post(f.a, bridgetest.Body(t, v)); st != http.StatusBadRequest {
			t.Errorf("%s: %d %+v", name, st, e)
		}
	}
	big := bytes.Repeat([]byte("x"), wire.MaxUpload+1)
	if st, _, e := f.post(f.a, big); st != http.StatusRequestEntityTooLarge {
		t.Errorf("too large: %d %+v", st, e)
	}
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+wire.Path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Allow") != http.MethodPost {
		t.Errorf("GET: %d", resp.StatusCode)
	}
}

// TestGuestDocumentsFromSeveralReads: a passport and a visa make one guest's documents; the
// chip's values won and the disagreement is kept with both values; a visa issued for another
// passport is flagged.
func TestGuestDocumentsFromSeveralReads(t *testing.T) {
	f := newFixture(t, bridgetest.Options{Portraits: true})
	ctx := context.Background()
	for _, name := range []string{"passport_chip.json", "visa.json"} {
		if st, o, e := f.post(f.a, f.upload(f.a, bridgetest.Sample(t, name), "160848")); st != http.StatusOK || o.Status != wire.StatusAttached {
			t.Fatalf("%s: %d %+v %+v", name, st, o, e)
		}
		f.clk.Advance(time.Minute)
	}
	g, err := f.hub.Service.GuestDocuments(ctx, f.a.Tenant, f.a.Legal, "160848")
	if err != nil {
		t.Fatal(err)
	}
	d := g.Result.Documents
	if d.Identity.Number != "C3T9K1L45" || len(d.Stay) != 1 || d.Stay[0].Number != "251234567" || !d.Stay[0].Selected ||
		d.Visit.Purpose != "tourism" || g.Result.Version != 2 || len(g.Stay) != 1 || g.Stay[0].DocumentName != "Russian Federation - Visa (2007)" {
		t.Errorf("guest %+v %+v", d, g.Stay)
	}
	if strings.Contains(codesOf(g.Result.Warnings), bridge.WarnVisaPassport) {
		t.Errorf("the visa is for this passport: %s", codesOf(g.Result.Warnings))
	}

	// The disagreeing passport, for another guest, and a visa issued for another passport.
	if st, _, _ := f.post(f.a, f.upload(f.a, bridgetest.Sample(t, "passport_rfid_disagrees.json"), "160911")); st != http.StatusOK {
		t.Fatal(st)
	}
	var u wire.Upload
	_ = json.Unmarshal(f.upload(f.a, bridgetest.Sample(t, "visa.json"), "160911"), &u)
	u.TransactionID = "visa-for-gruber"
	u.Result = bytes.Replace(u.Result, []byte("c7d04e19-5a6b-47c2-9e13-86f0b2a4d523"), []byte("visa-for-gruber"), 1)
	if st, o, e := f.post(f.a, bridgetest.Body(t, u)); st != http.StatusOK || !strings.Contains(outcomeCodes(o.Warnings), bridge.WarnVisaPassport) {
		t.Fatalf("%d %+v %+v", st, o, e)
	}
	g, err = f.hub.Service.GuestDocuments(ctx, f.a.Tenant, f.a.Legal, "160911")
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Disagreements) != 2 || g.Disagreements[0].Value != "U2345678" || g.Disagreements[0].OtherValue != "U2845678" {
		t.Errorf("disagreements %+v", g.Disagreements)
	}
	got := codesOf(g.Result.Warnings)
	for _, want := range []string{bridge.WarnSourcesDisagree, bridge.WarnVisaPassport, emis.WarnNameTransliterated} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings %s lack %s", got, want)
		}
	}
	for _, w := range g.Result.Warnings {
		if w.Code == bridge.WarnVisaPassport && w.Field != "stay[0].passport_number" {
			t.Errorf("mismatch field %q", w.Field)
		}
	}
	// The first guest's portrait was kept (Portraits on) from a raw sample: none, since the
	// bridge minimized it away. Send one explicitly.
	m, _ := regula.Minimize(bytes.NewReader(bridgetest.Sample(t, "passport_chip.json")), regula.MinimizeOptions{Portrait: true})
	u = wire.Upload{TransactionID: "with-portrait", LegalEntity: f.a.Legal, PersonID: "170001", Result: bytes.Replace(m.Data,
		[]byte("9f6e2d4a-1c3b-4e8f-a5d7-2b0c9e1f3a01"), []byte("with-portrait"), 1)}
	if st, _, e := f.post(f.a, bridgetest.Body(t, u)); st != http.StatusOK {
		t.Fatalf("portrait: %d %+v", st, e)
	}
	g, err = f.hub.Service.GuestDocuments(ctx, f.a.Tenant, f.a.Legal, "170001")
	if err != nil || len(g.Portrait) == 0 || g.PortraitSource != regula.SourceRFID {
		t.Errorf("portrait %d %q %v", len(g.Portrait), g.PortraitSource, err)
	}
}

func codesOf(ws []emis.Warning) string { return codes(ws) }

// TestConcurrentDuplicates: ten bridges' worth of retries of one transaction at once attach
// it once.
func TestConcurrentDuplicates(t *testing.T) {
	f := newFixture(t, bridgetest.Options{})
	body := f.upload(f.a, bridgetest.Sample(t, "id_card.json"), "161002")
	var wg sync.WaitGroup
	var mu sync.Mutex
	count := map[string]int{}
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Distinct signatures: each is a retry, not a replay.
			sig := hooksig.Sign([]byte(f.a.Secret), f.clk.Now().Add(time.Duration(i)*time.Second), body)
			st, out := rawPost(t, f.srv.URL, f.a, sig, body)
			var o wire.Outcome
			_ = json.Unmarshal(out, &o)
			mu.Lock()
			count[o.Status]++
			mu.Unlock()
			if st != http.StatusOK {
				t.Errorf("%d %s", st, out)
			}
		}(i)
	}
	wg.Wait()
	if count[wire.StatusAttached] != 1 || count[wire.StatusDuplicate] != 9 {
		t.Errorf("outcomes %v", count)
	}
	g, err := f.hub.Service.GuestDocuments(context.Background(), f.a.Tenant, f.a.Legal, "161002")
	if err != nil || g.Result.Version != 1 {
		t.Errorf("version %d %v", g.Result.Version, err)
	}
}

// TestDevices: enrolment, listing with the last-seen time, revocation; names are checked.
func TestDevices(t *testing.T) {
	f := newFixture(t, bridgetest.Options{})
	ctx := context.Background()
	svc := f.hub.Service
	f.clk.Advance(time.Hour)
	en, err := svc.EnrollDevice(ctx, f.a.Tenant, "  Стойка 2 ")
	if err != nil || en.Device.Name != "Стойка 2" || len(en.Secret) < 40 || !strings.HasPrefix(en.Device.ID, "dev-") {
		t.Fatalf("%+v %v", en, err)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("я", 101), "a\nb"} {
		if _, err := svc.EnrollDevice(ctx, f.a.Tenant, bad); apperr.As(err).Code != "BRIDGE_DEVICE_NAME" {
			t.Errorf("name %q: %v", bad, err)
		}
	}
	if st, _, _ := f.post(f.a, f.upload(f.a, bridgetest.Sample(t, "id_card.json"), "161002")); st != http.StatusOK {
		t.Fatal(st)
	}
	ds, err := svc.Devices(ctx, f.a.Tenant)
	if err != nil || len(ds) != 2 || ds[0].ID != en.Device.ID || ds[1].ID != f.a.Device {
		t.Fatalf("devices %+v %v", ds, err)
	}
	if !ds[1].LastSeen.Equal(f.clk.Now().Truncate(time.Second)) || !ds[0].LastSeen.IsZero() {
		t.Errorf("last seen %v %v", ds[1].LastSeen, ds[0].LastSeen)
	}
	d, err := svc.RevokeDevice(ctx, f.a.Tenant, en.Device.ID)
	if err != nil || !d.Revoked || d.RevokedAt.IsZero() {
		t.Errorf("revoke %+v %v", d, err)
	}
	if d2, err := svc.RevokeDevice(ctx, f.a.Tenant, en.Device.ID); err != nil || !d2.RevokedAt.Equal(d.RevokedAt) {
		t.Errorf("revoke twice %+v %v", d2, err)
	}
	if _, err := svc.RevokeDevice(ctx, f.a.Tenant, "dev-nope"); apperr.As(err).Code != "BRIDGE_DEVICE_NOT_FOUND" {
		t.Errorf("unknown: %v", err)
	}
	// A device registered with its own id and secret (a bridge that outlived the hub's data).
	secret := strings.Repeat("k", 40)
	if _, err := svc.AddDevice(ctx, f.a.Tenant, "dev-desk-3", "Стойка 3", secret); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddDevice(ctx, f.a.Tenant, "dev-desk-3", "Стойка 3", secret); apperr.As(err).Code != "BRIDGE_DEVICE_EXISTS" {
		t.Errorf("added twice: %v", err)
	}
	for id, sec := range map[string]string{"desk-4": secret, "dev-": secret, "dev-a#b": secret, "dev-desk-5": "short", "dev-desk-6": strings.Repeat("k", 39) + " "} {
		if _, err := svc.AddDevice(ctx, f.a.Tenant, id, "Стойка", sec); err == nil {
			t.Errorf("AddDevice(%q, %q) accepted", id, sec)
		}
	}
	ho := f.a
	ho.Device, ho.Secret = "dev-desk-3", secret
	if st, o, e := f.post(ho, f.upload(ho, bridgetest.Sample(t, "visa.json"), "161300")); st != http.StatusOK || o.Status != wire.StatusAttached {
		t.Errorf("upload from an added device: %d %+v %+v", st, o, e)
	}
}

// TestPrivacyAndIsolation: after a full set of reads the raw store bytes and the logs hold no
// passport number, birth date or name; another tenant's device cannot upload here, and
// nothing of one tenant is visible to the other.
func TestPrivacyAndIsolation(t *testing.T) {
	f := newFixture(t, bridgetest.Options{Portraits: true})
	b := f.hub.AddHotel("hotel-b", "Latin")
	ctx := context.Background()
	for i, name := range []string{"passport_chip.json", "visa.json", "passport_rfid_disagrees.json", "id_card.json",
		"passport_chip_failed.json", "passport_rus_internal.json"} {
		if st, o, e := f.post(f.a, f.upload(f.a, bridgetest.Sample(t, name), "p"+string(rune('1'+i)))); st != http.StatusOK {
			t.Fatalf("%s: %d %+v %+v", name, st, o, e)
		}
	}
	// Tenant B's device signs for tenant A: refused.
	cross := b
	cross.Tenant = f.a.Tenant
	if st, _, _ := f.post(cross, f.upload(f.a, bridgetest.Sample(t, "visa.json"), "p9")); st != http.StatusUnauthorized {
		t.Errorf("cross-tenant device: %d", st)
	}
	// Tenant B asking for A's guest with A's legal entity finds nothing.
	if _, err := f.hub.Service.GuestDocuments(ctx, b.Tenant, f.a.Legal, "p1"); err == nil {
		t.Error("tenant B reads tenant A's guest")
	}
	if ds, _ := f.hub.Service.Devices(ctx, b.Tenant); len(ds) != 1 || ds[0].ID != b.Device {
		t.Errorf("tenant B devices %+v", ds)
	}
	f.hub.Store.Close()
	raw, err := os.ReadFile(f.hub.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	logs := f.hub.Logs.String()
	for _, secret := range []string{"SCHNEIDER", "ШНАЙДЕР", "C3T9K1L45", "1985-03-12", "12.03.1985", "GRUBER", "U2345678", "U2845678",
		"ZHUMABAYEVA", "ЖУМАБАЕВА", "041234567", "LEFEVRE", "19AB12345", "КУЗНЕЦОВА", "123456", "251234567", "KÖLN", f.a.Secret} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("store holds %q in the clear", secret)
		}
		if strings.Contains(logs, secret) {
			t.Errorf("logs hold %q", secret)
		}
	}
}
