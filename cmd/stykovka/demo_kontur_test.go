package main

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stykovka/stykovka/internal/kontur"
	"github.com/stykovka/stykovka/wsdl/konturws"
)

// konturDemo is a running `serve --demo` as `make run` starts it.
type konturDemo struct {
	base, sim string
	banner    string
	stop      func()
}

func startKonturDemo(t *testing.T, data string) *konturDemo {
	t.Helper()
	srv := startDemo(t, data)
	d := &konturDemo{banner: srv.banner, stop: srv.stop}
	d.base = srv.find(t, `(http://127\.0\.0\.1:\d+)/healthz`)
	d.sim = srv.find(t, `Контур \(симулятор ППС\): (http://127\.0\.0\.1:\d+)/`)
	return d
}

// call calls a Kontur operation as the demo's Cyrillic 1C user and decodes the answer into v;
// a fault's detail code is returned instead.
func (d *konturDemo) call(t *testing.T, op, params string, v any) string {
	t.Helper()
	env := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:k="http://stykovka.ru/kontur"><soap:Body><k:` +
		op + `>` + params + `</k:` + op + `></soap:Body></soap:Envelope>`
	req, _ := http.NewRequest(http.MethodPost, d.base+"/ws/Kontur", strings.NewReader(env))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"http://stykovka.ru/kontur#Kontur:`+op+`"`)
	req.SetBasicAuth(demoUser1C, demoPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env2 struct {
		Body struct {
			Inner []byte `xml:",innerxml"`
			Fault *struct {
				Code string `xml:"detail>Error>Code"`
			} `xml:"Fault"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal(raw, &env2); err != nil {
		t.Fatalf("%s: %v\n%s", op, err, raw)
	}
	if env2.Body.Fault != nil {
		return env2.Body.Fault.Code
	}
	if err := xml.Unmarshal(env2.Body.Inner, v); err != nil {
		t.Fatalf("%s: %v\n%s", op, err, raw)
	}
	return ""
}

func kel(name, value string) string { return "<k:" + name + ">" + value + "</k:" + name + ">" }

// TestDemoKonturFlow runs the seed's front-desk flow against `serve --demo` exactly as the
// README tells a person to: the demo card from the banner, the demo payment type, balance →
// available → write-off → the payment for the folio → cancel; then a restart over the same data
// folder keeps the write-off and does not duplicate the payment types.
func TestDemoKonturFlow(t *testing.T) {
	data := filepath.Join(t.TempDir(), "var")
	d := startKonturDemo(t, data)
	for _, want := range []string{"/ws/Kontur?wsdl", "7000000000001234 — 5000 Бонусные баллы, 1500.00 Бонусные рубли"} {
		if !strings.Contains(d.banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, d.banner)
		}
	}
	points := kontur.DemoPaymentTypes()[0].Ref
	const card = "7000000000001234"

	var types konturws.GetPaymentTypesResponse
	if code := d.call(t, "GetPaymentTypes", "", &types); code != "" || len(types.Return_.Item) != 2 {
		t.Fatalf("GetPaymentTypes: %s %+v", code, types.Return_)
	}
	var bal konturws.GetCardBalanceResponse
	if code := d.call(t, "GetCardBalance", kel("CardNumber", card), &bal); code != "" || len(bal.Return_.Balances.Item) != 2 {
		t.Fatalf("GetCardBalance: %s %+v", code, bal.Return_)
	}
	var av konturws.GetAvailableResponse
	if code := d.call(t, "GetAvailable", kel("FolioId", "Счёт-7")+kel("Saldo", "-4200.00")+kel("PaymentType", points)+kel("CardNumber", card), &av); code != "" || av.Return_.Amount.String() != "2100" {
		t.Fatalf("GetAvailable: %s %+v", code, av.Return_)
	}
	var wo konturws.WriteOffResponse
	if code := d.call(t, "WriteOff", kel("RequestId", "demo-1")+kel("FolioId", "Счёт-7")+kel("CardNumber", card)+
		kel("PaymentType", points)+kel("Amount", "2000")+kel("Saldo", "-4200.00"), &wo); code != "" || wo.Return_.Payment == nil {
		t.Fatalf("WriteOff: %s %+v", code, wo.Return_)
	}
	if p := wo.Return_.Payment; p.Title != kontur.PaymentTitle || p.Amount.String() != "2000" {
		t.Errorf("payment %+v", p)
	}
	if code := d.call(t, "WriteOff", kel("RequestId", "demo-2")+kel("FolioId", "Счёт-7")+kel("CardNumber", card)+
		kel("PaymentType", points)+kel("Amount", "200")+kel("Saldo", "-2200.00"), &wo); code != "KONTUR_AMOUNT_EXCEEDS_AVAILABLE" {
		t.Errorf("write-off above what is left: %q", code)
	}
	var c konturws.CancelResponse
	if code := d.call(t, "Cancel", kel("RequestId", "demo-1"), &c); code != "" || c.Return_.State != "cancelled" {
		t.Fatalf("Cancel: %s %+v", code, c.Return_)
	}
	var after konturws.GetCardBalanceResponse
	d.call(t, "GetCardBalance", kel("CardNumber", card), &after)
	for _, b := range after.Return_.Balances.Item {
		if b.Currency == "BONUS" && b.Amount.String() != "5000" {
			t.Errorf("points after the cancel: %s", b.Amount)
		}
	}
	d.stop()

	// Second start: same data, new simulator; nothing duplicated, the journal kept.
	d = startKonturDemo(t, data)
	var again konturws.GetPaymentTypesResponse
	if code := d.call(t, "GetPaymentTypes", "", &again); code != "" || len(again.Return_.Item) != 2 {
		t.Errorf("after restart: %s, %d payment types", code, len(again.Return_.Item))
	}
	req, _ := http.NewRequest(http.MethodGet, d.base+"/odata/standard.odata/Document_BonusWriteOffs?$format=json&$orderby=Date%20desc", nil)
	req.SetBasicAuth(demoUser, demoPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Value []struct{ Number, State string } `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list.Value) != 2 {
		t.Fatalf("journal after restart: %v %+v", err, list)
	}
	states := list.Value[0].Number + " " + list.Value[0].State + "; " + list.Value[1].Number + " " + list.Value[1].State
	if !strings.Contains(states, "demo-1 Отменено (сторно)") || !strings.Contains(states, "demo-2 Отказ") {
		t.Errorf("journal: %s", states)
	}
}
