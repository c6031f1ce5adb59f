package sepapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"github.com/stykovka/stykovka/facade/soap/soaptest"
	"github.com/stykovka/stykovka/internal/app/apptest"
	"github.com/stykovka/stykovka/internal/blobs"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/facade"
	"github.com/stykovka/stykovka/facade/soap/xsd"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/scheduler"
	sepsim "github.com/stykovka/stykovka/internal/sim/sep"
	"github.com/stykovka/stykovka/wsdl/sepws"
)

// t0 is the fake "now": Monday 7 July 2025, 12:00 in Moscow.
var t0 = time.Date(2025, 7, 7, 9, 0, 0, 0, time.UTC)

// stack is the whole local hub over real HTTP: bbolt store, folder blobs and local sealer in a
// temporary folder, hub.New pointed at the SEP simulator (a real HTTP server) and at a local
// mail folder, facade.New on an httptest server (SOAP and OData as the local binary serves
// them). Only the clock is fake; the hub and the simulator share it.
type stack struct {
	t       *testing.T
	ctx     context.Context
	clk     *clock.Fake
	hub     *hub.Hub
	sim     *sepsim.Sim
	simURL  string
	srv     *httptest.Server
	mailDir string
	blobs   blobs.Blobs
	logs    *apptest.LogBuffer

	routed int // letters of the simulator's outbox already routed by mailRoute
}

func newStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{t: t, ctx: context.Background(), clk: clock.NewFake(t0)}
	deps, logs, dir := apptest.Local(t, s.clk)
	s.logs = logs
	var err error
	s.blobs = deps.Blobs

	s.sim = sepsim.New(sepsim.Options{Clock: s.clk})
	simSrv := httptest.NewServer(s.sim.Handler())
	t.Cleanup(simSrv.Close)
	s.simURL = simSrv.URL + sepsim.Path
	for _, p := range sepsim.DemoParticipants() {
		s.sim.AddParticipant(p)
	}
	for _, v := range sepsim.DemoVehicles() {
		s.sim.AddVehicle(v)
	}

	s.mailDir = filepath.Join(dir, "mail")
	s.hub, err = hub.New(deps, hub.Config{Sep: hub.SepConfig{URL: s.simURL, MailDir: s.mailDir},
		HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewServer(facade.New(facade.Options{Hub: s.hub}))
	t.Cleanup(s.srv.Close)
	return s
}

// leasing is a tenant: a leasing company with an administrator and an operator.
type leasing struct {
	id, admin, user, pass string
}

// Demo organisation and people of a leasing tenant, with 1C references.
const (
	personIvanov = "0b7a1f52-3c1d-4e8a-9f00-000000000001"
	personSEP    = "0b7a1f52-3c1d-4e8a-9f00-000000000002"
	ivanovEmail  = "ivanov@leasing.example"
	sepEmail     = "sep-lead@leasing.example"
)

// asset is the 1C reference of demo vehicle i's fixed asset.
func asset(i int) string { return fmt.Sprintf("a55e7000-0000-4000-8000-%012d", i+1) }

func (s *stack) addLeasing(id string) *leasing {
	s.t.Helper()
	l := &leasing{id: id, admin: "Администратор-" + id, user: "Оператор-" + id, pass: "пароль-" + id}
	if _, err := s.hub.Tenants.AddTenant(s.ctx, id, "Лизинг "+id, "Europe/Moscow"); err != nil {
		s.t.Fatal(err)
	}
	if err := s.hub.Tenants.AddUser(s.ctx, id, l.admin, l.pass, true); err != nil {
		s.t.Fatal(err)
	}
	if err := s.hub.Tenants.AddUser(s.ctx, id, l.user, l.pass, false); err != nil {
		s.t.Fatal(err)
	}
	return l
}

// configure writes the leasing company's settings, people and assets the way 1C would: the
// settings, one person and one asset through SOAP, the other person and assets through
// OData; then registers the organisation's key with SEP.
func (s *stack) configure(l *leasing) {
	s.t.Helper()
	var set sepws.SaveSettingsResponse
	s.call(l.admin, l.pass, &sepws.SaveSettings{
		Organisations:  &sepws.OrganisationList{Item: []*sepws.Organisation{{INN: sepsim.DemoLessorINN, OGRN: sepsim.DemoLessorOGRN, Name: "ООО «Демо Лизинг»"}}},
		SepResponsible: ptr(strings.ToUpper(personSEP)), TechMailbox: ptr(sepsim.DemoTechMailbox),
	}).Decode(s.t, &set)
	if set.Return_.SepResponsible != personSEP || len(set.Return_.Organisations.Item) != 1 {
		s.t.Fatalf("settings: %+v", set.Return_)
	}
	var key sepws.GetOrganisationKeyResponse
	s.call(l.user, l.pass, &sepws.GetOrganisationKey{Organisation: sepsim.DemoLessorINN}).Decode(s.t, &key)
	if err := s.sim.SetPublicKey(sepsim.DemoLessorINN, []byte(key.Return_)); err != nil {
		s.t.Fatal(err)
	}
	var p sepws.SavePersonResponse
	s.call(l.user, l.pass, &sepws.SavePerson{Ref: personIvanov, Name: "Иванов Иван Иванович", Email: ptr(ivanovEmail)}).Decode(s.t, &p)
	if status, body := s.odata(l, "POST", "Catalog_SepResponsiblePersons?$format=json", map[string]any{
		"Ref_Key": personSEP, "Description": "Петрова Анна Сергеевна", "Email": sepEmail,
	}); status != http.StatusCreated {
		s.t.Fatalf("person over OData: %d %s", status, body)
	}
	for i, v := range sepsim.DemoVehicles() {
		if i == 0 {
			var a sepws.SaveAssetResponse
			s.call(l.user, l.pass, &sepws.SaveAsset{Ref: asset(i), Code: ptr("ОС-0001"), Name: v.Make + " " + v.Model,
				VIN: ptr(v.VIN), EPTS: ptr(v.EPTS), Organisation: ptr(sepsim.DemoLessorINN), Responsible: ptr(personIvanov)}).Decode(s.t, &a)
			if a.Return_.Ref != asset(i) || a.Return_.Responsible != personIvanov {
				s.t.Fatalf("asset: %+v", a.Return_)
			}
			continue
		}
		if status, body := s.odata(l, "POST", "Catalog_SepFixedAssets?$format=json", map[string]any{
			"Ref_Key": asset(i), "Code": fmt.Sprintf("ОС-%04d", i+1), "Description": v.Make + " " + v.Model,
			"VIN": v.VIN, "EPTS": v.EPTS, "Organisation": sepsim.DemoLessorINN,
		}); status != http.StatusCreated {
			s.t.Fatalf("asset over OData: %d %s", status, body)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// ---- time and jobs ----

// advance moves the shared clock on.
func (s *stack) advance(d time.Duration) { s.clk.Advance(d) }

// job runs one slot of a hub job at the clock's minute, as the scheduler or EventBridge
// would, and returns the slot.
func (s *stack) job(name string) scheduler.Tick {
	s.t.Helper()
	tick := scheduler.Tick{Job: name, Scheduled: s.clk.Now().UTC().Truncate(time.Minute)}
	s.jobAt(tick)
	return tick
}

func (s *stack) jobAt(tick scheduler.Tick) {
	s.t.Helper()
	for _, j := range s.hub.Jobs() {
		if j.Name == tick.Job {
			if err := j.Run(s.ctx, tick); err != nil {
				s.t.Fatalf("job %s: %v", tick.Job, err)
			}
			return
		}
	}
	s.t.Fatalf("the hub has no job %q", tick.Job)
}

// mailRoute plays the mail server (SES's receipt rule in AWS): each new letter of SEP's
// outbox addressed to one of the tenant's mailboxes lands in that tenant's mail folder, as
// mail/<tenant>/<file>, written atomically. It returns the letters routed.
func (s *stack) mailRoute(tenant string, mailboxes ...string) int {
	s.t.Helper()
	out := s.sim.Outbox()
	n := 0
	for _, l := range out[s.routed:] {
		for _, mb := range mailboxes {
			if l.To != mb {
				continue
			}
			dir := filepath.Join(s.mailDir, tenant)
			if err := os.MkdirAll(dir, 0o700); err != nil {
				s.t.Fatal(err)
			}
			tmp := filepath.Join(dir, "."+l.ID+".eml")
			if err := os.WriteFile(tmp, l.Raw, 0o600); err != nil {
				s.t.Fatal(err)
			}
			if err := os.Rename(tmp, filepath.Join(dir, l.ID+".eml")); err != nil {
				s.t.Fatal(err)
			}
			n++
		}
	}
	s.routed = len(out)
	return n
}

// resultCalls counts the simulator's GetResult calls.
func (s *stack) resultCalls() int {
	n := 0
	for _, c := range s.sim.Calls() {
		if c.Op == "GetResult" {
			n++
		}
	}
	return n
}

// assertNeverEarly checks SEP's rule on every call the simulator saw.
func (s *stack) assertNeverEarly() {
	s.t.Helper()
	if early := s.sim.EarlyResultCalls(); len(early) > 0 {
		s.t.Fatalf("GetResult before 60 s: %+v", early)
	}
	for _, c := range s.sim.Calls() {
		if c.Op == "GetResult" && c.SinceQueued < time.Minute {
			s.t.Fatalf("GetResult %s came %v after its queue number", c.QueueID, c.SinceQueued)
		}
	}
}

// ---- SOAP over HTTP, as 1C's WS-reference sends it ----

const nsSep = "http://stykovka.ru/sep"

// soapResult is one answer; the tests' helpers below add to soaptest's.
type soapResult struct{ soaptest.Result }

type soapFault = soaptest.Fault

// call sends a generated request struct (its XMLName names the operation) through the SOAP
// 1.1 port.
func (s *stack) call(user, pass string, req any) soapResult {
	s.t.Helper()
	body, err := xml.Marshal(req)
	if err != nil {
		s.t.Fatal(err)
	}
	var start struct{ XMLName xml.Name }
	if err := xml.Unmarshal(body, &start); err != nil {
		s.t.Fatal(err)
	}
	return soapResult{soaptest.Call(s.t, s.srv.URL+"/ws/Sep", nsSep+"#Sep:"+start.XMLName.Local, user, pass, string(body))}
}

// fault checks that the call failed with the code.
func (r soapResult) fault(t *testing.T, code string) {
	t.Helper()
	if r.Fault == nil || r.Fault.Detail.Code != code {
		t.Fatalf("want fault %s, got %s", code, r.Raw)
	}
}

// date is a 1C date (wall clock, no offset).
func date(y int, m time.Month, d int) xsd.DateTime {
	return xsd.Wall(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// ---- OData over HTTP ----

func (s *stack) odata(l *leasing, method, path string, body any) (int, []byte) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.srv.URL+"/odata/standard.odata/"+strings.ReplaceAll(path, " ", "%20"), rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(l.user, l.pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// rows reads an OData JSON feed.
func (s *stack) rows(l *leasing, path string) []map[string]any {
	s.t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	status, body := s.odata(l, "GET", path+sep+"$format=json", nil)
	if status != http.StatusOK {
		s.t.Fatalf("GET %s: %d %s", path, status, body)
	}
	var feed struct {
		Value []map[string]any `json:"value"`
	}
	if err := json.Unmarshal(body, &feed); err != nil {
		s.t.Fatalf("GET %s: %v %s", path, err, body)
	}
	return feed.Value
}

// sliceLast reads the asset-status register's SliceLast for one asset at a moment (tenant's
// wall clock), as 1C's query language would: InformationRegister_X/SliceLast(Period=…,
// Condition='Asset_Key eq guid”…”').
func (s *stack) sliceLast(l *leasing, assetRef string, at time.Time) string {
	s.t.Helper()
	path := "InformationRegister_SepAssetStatuses/SliceLast(Period=datetime'" + at.Format("2006-01-02T15:04:05") +
		"',Condition='" + url.PathEscape("Asset_Key eq guid''"+assetRef+"''") + "')"
	rows := s.rows(l, path)
	switch len(rows) {
	case 0:
		return ""
	case 1:
		return fmt.Sprint(rows[0]["Status"])
	}
	s.t.Fatalf("SliceLast of one asset: %d rows", len(rows))
	return ""
}

// msk is a moment as the Moscow wall clock 1C sends.
func msk(t time.Time) time.Time {
	w := t.In(time.FixedZone("MSK", 3*3600))
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, time.UTC)
}
