package main

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/facade/soap/xsd"
	"github.com/stykovka/stykovka/internal/sep"
	sepsim "github.com/stykovka/stykovka/internal/sim/sep"
	"github.com/stykovka/stykovka/wsdl/sepws"
)

// sepDemo is a running `serve --demo --clock-speed 60`: one real second is a minute of the hub
// and of the SEP simulator, so SEP's 60-second waits take about a second.
type sepDemo struct {
	base, sim string
	banner    string
	stop      func()
}

const sepDemoSpeed = "60"

func startSepDemo(t *testing.T, data string) *sepDemo {
	t.Helper()
	srv := startDemo(t, data, "--clock-speed", sepDemoSpeed)
	d := &sepDemo{banner: srv.banner, stop: srv.stop}
	d.base = srv.find(t, `(http://127\.0\.0\.1:\d+)/healthz`)
	d.sim = srv.find(t, `СЭП \(симулятор\): (http://127\.0\.0\.1:\d+/sep)\?wsdl`)
	return d
}

// call sends a generated request struct to the Sep service as the demo's Cyrillic 1C user
// and decodes the answer into v; a fault's detail code is returned instead.
func (d *sepDemo) call(t *testing.T, req, v any) string {
	t.Helper()
	body, err := xml.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	op := reflect.TypeOf(req).Elem().Name()
	env := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` + string(body) + `</soap:Body></soap:Envelope>`
	hr, _ := http.NewRequest(http.MethodPost, d.base+"/ws/Sep", strings.NewReader(env))
	hr.Header.Set("Content-Type", "text/xml; charset=utf-8")
	hr.Header.Set("SOAPAction", `"http://stykovka.ru/sep#Sep:`+op+`"`)
	hr.SetBasicAuth(demoUser1C, demoPassword)
	resp, err := http.DefaultClient.Do(hr)
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
	rv := reflect.ValueOf(v).Elem()
	rv.Set(reflect.Zero(rv.Type()))
	if err := xml.Unmarshal(parsed.Body.Inner, v); err != nil {
		t.Fatalf("%s: %v\n%s", op, err, raw)
	}
	return ""
}

// odata reads a JSON feed of the demo tenant.
func (d *sepDemo) odata(t *testing.T, path string) []map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, d.base+"/odata/standard.odata/"+path, nil)
	req.SetBasicAuth(demoUser1C, demoPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var feed struct {
		Value []map[string]any `json:"value"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &feed) != nil {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return feed.Value
}

// status is the demo truck's SEP status now, by SliceLast over OData.
func (d *sepDemo) status(t *testing.T, asset string) string {
	t.Helper()
	rows := d.odata(t, "InformationRegister_SepAssetStatuses/SliceLast(Condition='"+
		url.PathEscape("Asset_Key eq guid''"+asset+"''")+"')?$format=json")
	if len(rows) == 0 {
		return ""
	}
	return rows[0]["Status"].(string)
}

// eventually polls cond (real time) until it holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDemoSepFlows runs both flows of the seed against `serve --demo --clock-speed 60` from a
// SOAP client, the way README tells a person to: the dealer's letters arrive by themselves
// (the simulator mails, the demo mail server delivers, the hub's mail job reads); «Запрос
// данных заявления» → «Подтвердить» → «В собственности»; the demo lease appendix → «Отправить
// заявление на лизинг» → the lessee's code from SEP's letter → «В лизинге». A restart over the
// same data folder keeps everything and duplicates nothing.
func TestDemoSepFlows(t *testing.T) {
	start := time.Now()
	data := filepath.Join(t.TempDir(), "var")
	d := startSepDemo(t, data)
	truck := sepsim.DemoVehicles()[0]
	asset := demoSepAsset(0)

	// The dealer's two letters reach the hub without anyone's help.
	var letters sepws.GetLettersResponse
	eventually(t, "the dealer's letters", func() bool {
		d.call(t, &sepws.GetLetters{ToProcess: ptrTo(true)}, &letters)
		return len(letters.Return_.Item) == 2
	})
	var letter *sepws.Letter
	for _, l := range letters.Return_.Item {
		if l.EPTS == truck.EPTS {
			letter = l
		}
	}
	if letter == nil || letter.Code == "" || letter.Notified != demoSepIvanov || letter.Assets.Item[0] != asset {
		t.Fatalf("letter: %+v", letters.Return_.Item)
	}
	var counts sepws.GetCountsResponse
	d.call(t, &sepws.GetCounts{}, &counts)
	if counts.Return_.Letters != 2 {
		t.Fatalf("widget: %+v", counts.Return_)
	}

	// Ownership change.
	var req sepws.RequestLetterDataResponse
	if f := d.call(t, &sepws.RequestLetterData{Organisation: sepsim.DemoLessorINN,
		Letters: &sepws.StringList{Item: []string{letter.Id}}, RequestId: ptrTo("demo-rld-1")}, &req); f != "" {
		t.Fatal(f)
	}
	if req.Return_.Item[0].StatusColor != "blue" {
		t.Fatalf("request: %+v", req.Return_.Item[0])
	}
	var rows sepws.GetOwnershipChangesResponse
	eventually(t, "the application's data", func() bool {
		d.call(t, &sepws.GetOwnershipChanges{EPTS: ptrTo(truck.EPTS)}, &rows)
		return len(rows.Return_.Item) == 1
	})
	number := rows.Return_.Item[0].Number
	if rows.Return_.Item[0].Code != letter.Code {
		t.Fatalf("ownership row: %+v", rows.Return_.Item[0])
	}
	if f := d.call(t, &sepws.ConfirmOwnership{Number: number, Status: "Confirmed", RequestId: ptrTo("demo-confirm-1")}, &sepws.ConfirmOwnershipResponse{}); f != "" {
		t.Fatal(f)
	}
	eventually(t, "«В собственности»", func() bool { return d.status(t, asset) == sep.AssetOwned })

	// Lease of the demo appendix, the code to the technical mailbox.
	today := time.Now().UTC().AddDate(0, 0, -1)
	var cands sepws.GetLeaseCandidatesResponse
	d.call(t, &sepws.GetLeaseCandidates{Organisation: sepsim.DemoLessorINN, From: xsd.Wall(today.AddDate(0, 0, -1)),
		To: xsd.Wall(today.AddDate(0, 0, 30))}, &cands)
	if len(cands.Return_.Item) != 1 || !cands.Return_.Item[0].Ready || cands.Return_.Item[0].Contract != demoSepContract {
		t.Fatalf("candidates: %+v", cands.Return_)
	}
	send := &sepws.SendLease{Contract: demoSepContract, UseTechMailbox: true, RequestId: ptrTo("demo-lease-1")}
	var lease sepws.SendLeaseResponse
	if f := d.call(t, send, &lease); f != "" {
		t.Fatal(f)
	}
	eventually(t, "the lease application's number", func() bool {
		d.call(t, send, &lease)
		return lease.Return_.Number != ""
	})
	var code string
	eventually(t, "the lessee's code letter", func() bool {
		d.call(t, &sepws.GetLetters{}, &letters)
		for _, l := range letters.Return_.Item {
			if l.Application == lease.Return_.Number && l.Code != "" {
				code = l.Code
			}
		}
		return code != ""
	})
	if f := d.call(t, &sepws.ConfirmLease{Lease: lease.Return_.Id, LesseeStatus: "Confirmed", Code: ptrTo(code),
		RequestId: ptrTo("demo-lease-1-confirm")}, &sepws.ConfirmLeaseResponse{}); f != "" {
		t.Fatal(f)
	}
	eventually(t, "«В лизинге»", func() bool { return d.status(t, asset) == sep.AssetLeased })
	// The asset status and the lease application's record are applied by separate steps of
	// the poller: wait for the register too.
	eventually(t, "the lease application «Исполнен» in its register", func() bool {
		rows := d.odata(t, "InformationRegister_SepLeaseApplications?$format=json")
		return len(rows) == 1 && rows[0]["Status"] == sep.AppExecuted
	})
	if rows := d.odata(t, "InformationRegister_SepExchangeErrors?$format=json"); len(rows) != 0 {
		t.Fatalf("errors register: %v", rows)
	}
	t.Logf("both flows against serve --demo --clock-speed %s: %v", sepDemoSpeed, time.Since(start))

	// A restart over the same folder keeps everything and adds nothing twice.
	d.stop()
	d = startSepDemo(t, data)
	if !strings.Contains(d.banner, "нет новых") {
		t.Errorf("banner after a restart:\n%s", d.banner)
	}
	if rows := d.odata(t, "Catalog_SepFixedAssets?$format=json"); len(rows) != 3 {
		t.Fatalf("assets after a restart: %d", len(rows))
	}
	if rows := d.odata(t, "Catalog_SepResponsiblePersons?$format=json"); len(rows) != 2 {
		t.Fatalf("persons after a restart: %d", len(rows))
	}
	if st := d.status(t, asset); st != sep.AssetLeased {
		t.Fatalf("status after a restart: %q", st)
	}
	d.call(t, &sepws.GetCounts{}, &counts)
	if counts.Return_.Waiting != 0 {
		t.Fatalf("widget after a restart: %+v", counts.Return_)
	}
}

func ptrTo[T any](v T) *T { return &v }
