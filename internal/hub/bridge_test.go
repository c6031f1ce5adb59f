package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/facade"
	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/bridge/bridgetest"
	"github.com/stykovka/stykovka/internal/bridge/wire"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/legal"
	"github.com/stykovka/stykovka/internal/regula"
	"github.com/stykovka/stykovka/wsdl/bridgews"
)

func TestBridgeConfigFromEnv(t *testing.T) {
	for v, want := range map[string]bool{"": false, "off": false, "on": true, " TRUE ": true} {
		cfg := hub.ConfigFromEnv(func(k string) string { return map[string]string{hub.EnvBridgePortraits: v}[k] })
		if cfg.Bridge.Portraits != want {
			t.Errorf("%q: %v", v, cfg.Bridge.Portraits)
		}
	}
}

// TestBridgeThroughTheFacade: the wiring end to end, as the local binary serves it: an
// administrator enrols a device through SOAP, the bridge uploads a read to the webhook, and
// the front desk reads the guest's scanned documents through SOAP.
func TestBridgeThroughTheFacade(t *testing.T) {
	ctx := context.Background()
	deps, err := app.Local(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deps.Close() })
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	h, err := hub.New(deps, hub.Config{PublicURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	handler = facade.New(facade.Options{Hub: h})
	if _, ok := h.Webhooks()["POST "+hub.BridgeReadsPath]; !ok {
		t.Fatal("no bridge webhook")
	}
	if _, err := h.Tenants.AddTenant(ctx, "hotel", "Гостиница", "Europe/Moscow"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		name  string
		admin bool
	}{{"admin", true}, {"desk", false}} {
		if err := h.Tenants.AddUser(ctx, "hotel", u.name, "password-1", u.admin); err != nil {
			t.Fatal(err)
		}
	}
	s := func(v string) *string { return &v }
	on := true
	ent, err := h.Legal.Create(ctx, "hotel", "", legal.Changes{Description: s("ООО «Гостиница»"), EmisEnabled: &on, NamesScript: s("Latin"),
		EmisWebLogin: s("w"), EmisWebPassword: s("wp"), EmisIntegrationLogin: s("i"), EmisIntegrationPassword: s("ip")})
	if err != nil {
		t.Fatal(err)
	}

	var en bridgews.EnrollDeviceResponse
	soapCall(t, srv.URL, "admin", "EnrollDevice", "<b:Name>Стойка 1</b:Name>", &en)
	if en.Return_ == nil || en.Return_.UploadURL != srv.URL+"/bridge/reads?tenant=hotel" {
		t.Fatalf("enrollment %+v", en.Return_)
	}

	// The PMS saved the guest: only a saved person's documents go to EMIS.
	if err := h.Emis.SaveGuest(ctx, "hotel", emis.Guest{PersonID: "160848", BookingID: "473024", Surname: "Schneider"}); err != nil {
		t.Fatal(err)
	}

	m, err := regula.Minimize(bytes.NewReader(bridgetest.Sample(t, "passport_chip.json")), regula.MinimizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	body := bridgetest.Body(t, wire.Upload{TransactionID: "9f6e2d4a-1c3b-4e8f-a5d7-2b0c9e1f3a01", LegalEntity: ent.Ref,
		PersonID: "160848", ReadAt: time.Now(), Result: m.Data})
	req, _ := http.NewRequest(http.MethodPost, en.Return_.UploadURL, bytes.NewReader(body))
	req.Header.Set(wire.DeviceHeader, en.Return_.Device.DeviceId)
	req.Header.Set(hooksig.Header, hooksig.Sign([]byte(en.Return_.Secret), time.Now(), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(out), `"status":"attached"`) {
		t.Fatalf("upload: %d %s", resp.StatusCode, out)
	}

	var docs bridgews.GetScannedDocumentsResponse
	soapCall(t, srv.URL, "desk", "GetScannedDocuments", "<b:LegalEntity>"+ent.Ref+"</b:LegalEntity><b:PersonId>160848</b:PersonId>", &docs)
	if d := docs.Return_; d == nil || d.Surname != "SCHNEIDER" || d.Identity == nil || d.Identity.Number != "C3T9K1L45" {
		t.Errorf("documents %+v", d)
	}

	// The read is in the guest's EMIS documents, with the checks' warnings, as the PMS gets them.
	res, err := h.Emis.GetDocuments(ctx, "hotel", ent.Ref, "160848")
	if err != nil {
		t.Fatal(err)
	}
	if res.Documents.Identity.Number != "C3T9K1L45" || res.Name.Surname != "SCHNEIDER" || res.Version != 1 || res.BookingID != "473024" ||
		!hasCode(res.Warnings, "MIGRATION_CARD_REQUIRED") {
		t.Errorf("EMIS documents %+v", res)
	}

	upload := func(sample, person string) (int, string) {
		t.Helper()
		m, err := regula.Minimize(bytes.NewReader(bridgetest.Sample(t, sample)), regula.MinimizeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var tx struct {
			TransactionInfo struct{ TransactionID string }
		}
		_ = json.Unmarshal(bridgetest.Sample(t, sample), &tx)
		body := bridgetest.Body(t, wire.Upload{TransactionID: tx.TransactionInfo.TransactionID, LegalEntity: ent.Ref,
			PersonID: person, ReadAt: time.Now(), Result: m.Data})
		req, _ := http.NewRequest(http.MethodPost, en.Return_.UploadURL, bytes.NewReader(body))
		req.Header.Set(wire.DeviceHeader, en.Return_.Device.DeviceId)
		req.Header.Set(hooksig.Header, hooksig.Sign([]byte(en.Return_.Secret), time.Now(), body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	// A read's own warnings (the chip could not be read) travel with the EMIS documents.
	if err := h.Emis.SaveGuest(ctx, "hotel", emis.Guest{PersonID: "160849"}); err != nil {
		t.Fatal(err)
	}
	if st, out := upload("passport_chip_failed.json", "160849"); st != http.StatusOK || !strings.Contains(out, "CHIP_NOT_READ") {
		t.Fatalf("chip failed: %d %s", st, out)
	}
	res, err = h.Emis.GetDocuments(ctx, "hotel", ent.Ref, "160849")
	if err != nil || res.Documents.Identity.Latin.Surname != "LEFEVRE" || !hasCode(res.Warnings, "CHIP_NOT_READ") {
		t.Errorf("EMIS documents %+v %v", res, err)
	}
	// A person the PMS never saved is refused, and nothing is kept for it.
	if st, out := upload("passport_rfid_disagrees.json", "999999"); st != http.StatusBadRequest || !strings.Contains(out, "EMIS_PERSON_NOT_SAVED") {
		t.Errorf("unsaved person: %d %s", st, out)
	}
	if _, err := h.Bridge.GuestDocuments(ctx, "hotel", ent.Ref, "999999"); err == nil {
		t.Error("the bridge kept a read EMIS refused")
	}
}

func hasCode(ws []emis.Warning, code string) bool {
	for _, w := range ws {
		if w.Code == code {
			return true
		}
	}
	return false
}

func soapCall(t *testing.T, base, user, op, params string, out any) {
	t.Helper()
	const ns = "http://stykovka.ru/bridge"
	env := `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:b="` +
		ns + `"><soap:Body><b:` + op + `>` + params + `</b:` + op + `></soap:Body></soap:Envelope>`
	req, _ := http.NewRequest(http.MethodPost, base+"/ws/Bridge", strings.NewReader(env))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"`+ns+`#Bridge:`+op+`"`)
	req.SetBasicAuth(user, "password-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e struct {
		Body struct {
			Inner []byte `xml:",innerxml"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal(raw, &e); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %v\n%s", op, resp.StatusCode, err, raw)
	}
	if err := xml.Unmarshal(e.Body.Inner, out); err != nil {
		t.Fatalf("%s: %v\n%s", op, err, raw)
	}
}
