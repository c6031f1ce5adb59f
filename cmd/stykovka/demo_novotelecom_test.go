package main

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	ntsim "github.com/stykovka/stykovka/internal/sim/novotelecom"
	"github.com/stykovka/stykovka/wsdl/novotelecomws"
)

// ntDemo is a running `serve --demo` as `make run` starts it.
type ntDemo struct {
	base, sim, banner string
	stderr            *syncBuffer
	stop              func()
}

func startNTDemo(t *testing.T, data string) *ntDemo {
	t.Helper()
	srv := startDemo(t, data)
	d := &ntDemo{banner: srv.banner, stop: srv.stop, stderr: srv.log}
	d.base = srv.find(t, `(http://127\.0\.0\.1:\d+)/healthz`)
	d.sim = srv.find(t, `«Мои счета» \(симулятор Новотелекома\): (http://127\.0\.0\.1:\d+)`)
	return d
}

// call posts a Novotelecom operation as the demo's 1C user and decodes the response element
// into v; it returns the fault's code, or "".
func (d *ntDemo) call(t *testing.T, op, params string, v any) string {
	t.Helper()
	env := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:n="http://stykovka.ru/novotelecom"><soap:Body><n:` +
		op + `>` + params + `</n:` + op + `></soap:Body></soap:Envelope>`
	req, _ := http.NewRequest(http.MethodPost, d.base+"/ws/Novotelecom", strings.NewReader(env))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"http://stykovka.ru/novotelecom#Novotelecom:`+op+`"`)
	req.SetBasicAuth(demoUser1C, demoPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var parsed struct {
		Body struct {
			Inner []byte `xml:",innerxml"`
			Fault *struct {
				Code string `xml:"detail>Error>Code"`
			} `xml:"Fault"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal(raw, &parsed); err != nil {
		t.Fatalf("%s: %v\n%s", op, err, raw)
	}
	if parsed.Body.Fault != nil {
		return parsed.Body.Fault.Code
	}
	if err := xml.Unmarshal(parsed.Body.Inner, v); err != nil {
		t.Fatalf("%s: %v\n%s", op, err, raw)
	}
	return ""
}

// exchange runs an exchange now; one the demo's schedule started at the same moment is
// waited for. An exchange on demand is the session of its second (a second press within the
// same second answers the same session), so each call starts in a second of its own.
func (d *ntDemo) exchange(t *testing.T) *novotelecomws.ExchangeSession {
	t.Helper()
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	for range 50 {
		var r novotelecomws.RunExchangeResponse
		switch code := d.call(t, "RunExchange", "", &r); code {
		case "":
			return r.Return_
		case "NOVOTELECOM_BUSY":
			time.Sleep(100 * time.Millisecond)
		default:
			t.Fatalf("RunExchange: %s", code)
		}
	}
	t.Fatal("the exchange stayed busy")
	return nil
}

func (d *ntDemo) pending(t *testing.T) []*novotelecomws.Registry {
	t.Helper()
	var r novotelecomws.GetPendingRegistriesResponse
	if code := d.call(t, "GetPendingRegistries", "<n:Limit>100</n:Limit>", &r); code != "" {
		t.Fatalf("GetPendingRegistries: %s", code)
	}
	return r.Return_.Item
}

func (d *ntDemo) odataRows(t *testing.T, path string) []map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, d.base+"/odata/standard.odata/"+path, nil)
	req.SetBasicAuth(demoUser1C, demoPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Value []map[string]any `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
	}
	return page.Value
}

// TestDemoNovotelecomCycle plays the seed's cycle against `serve --demo` from a SOAP client:
// the demo tenant is configured and its debts built at start; exchanges receive the seed's
// registries, reject the broken Payments_20180621_007.txt and bring the corrected one; it is
// accepted, and its confirmation goes out. A second start keeps everything and imports
// nothing twice.
func TestDemoNovotelecomCycle(t *testing.T) {
	data := t.TempDir()
	d := startNTDemo(t, data)
	if !regexp.MustCompile(`«Мои счета» абонента demo: кодирование по кодам «Города», обмен каждые 15 мин .*; реестр задолженности Debts_\d{8}_001\.txt`).MatchString(d.banner) {
		t.Fatalf("banner:\n%s", d.banner)
	}
	var gs novotelecomws.GetSettingsResponse
	if code := d.call(t, "GetSettings", "", &gs); code != "" || !gs.Return_.LoginSet || gs.Return_.ExchangeEvery != 15 {
		t.Fatalf("settings: %s %+v", code, gs.Return_)
	}

	// Exchanges until the corrected registry is pending: the first rejects the broken one
	// and queues the rejection, the next sends it and receives the correction.
	var fixed *novotelecomws.Registry
	for i := 0; fixed == nil; i++ {
		if i == 4 {
			t.Fatalf("no corrected registry after %d exchanges", i)
		}
		d.exchange(t)
		for _, r := range d.pending(t) {
			if r.File == "Payments_20180621_007.txt" {
				fixed = r
			}
		}
	}
	if fixed.Count != 2 || fixed.Sum.String() != "1055.00" {
		t.Fatalf("the corrected registry: %+v", fixed)
	}
	var errs novotelecomws.GetErrorsResponse
	if code := d.call(t, "GetErrors", "", &errs); code != "" || len(errs.Return_.Item) != 1 ||
		errs.Return_.Item[0].Message != "строка: 1, неизв.лиц.счёт: 8032067" || errs.Return_.Item[0].File != "Payments_20180621_007.txt" {
		t.Fatalf("errors: %s %+v", code, errs.Return_)
	}
	var acc novotelecomws.AcceptRegistryResponse
	if code := d.call(t, "AcceptRegistry", "<n:Id>"+fixed.Id+"</n:Id>", &acc); code != "" || acc.Return_.Count != 2 {
		t.Fatalf("accept: %s %+v", code, acc.Return_)
	}
	d.exchange(t)
	sent := d.odataRows(t, "InformationRegister_NovotelecomRegistries?$format=json&$filter="+url.QueryEscape("ID eq '"+acc.Return_.Confirmation+"'"))
	if len(sent) != 1 || sent[0]["Folder"] != "sent" {
		t.Fatalf("the confirmation: %+v", sent)
	}
	accepted := d.odataRows(t, "InformationRegister_NovotelecomRegistries?$format=json&$filter="+url.QueryEscape("Folder eq 'accepted'"))
	if len(accepted) != 1 || accepted[0]["DocumentId"] != acc.Return_.Id {
		t.Fatalf("accepted: %+v", accepted)
	}
	before := d.pending(t)
	d.stop()

	// A second start: the settings and the debts stay, the simulator offers the seed's files
	// again, and the hub imports none of them twice.
	d2 := startNTDemo(t, data)
	if !strings.Contains(d2.banner, "реестр задолженности Debts_") {
		t.Fatalf("banner of the second start:\n%s", d2.banner)
	}
	s := d2.exchange(t)
	if s.Received != 0 || s.Sent != 0 {
		t.Fatalf("the exchange after a restart: %+v", s)
	}
	if after := d2.pending(t); len(after) != len(before) {
		t.Fatalf("pending %d → %d", len(before), len(after))
	}
	var left int
	demoNTSims.Range(func(_, v any) bool {
		left += len(v.(*ntsim.Server).Pending(demoNTLogin))
		return true
	})
	if left != 0 {
		t.Fatalf("%d files left on the simulator", left)
	}
}
