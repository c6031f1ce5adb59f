package hub_test

import (
	"bytes"
	"context"
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
