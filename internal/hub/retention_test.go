package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"github.com/stykovka/stykovka/internal/app/apptest"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stykovka/stykovka/facade"
	"github.com/stykovka/stykovka/internal/app"
	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/blobs/folderblobs"
	"github.com/stykovka/stykovka/internal/blobs/s3blobs"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/retention"
	"github.com/stykovka/stykovka/internal/scheduler"
	"github.com/stykovka/stykovka/internal/sealer/kmssealer"
	"github.com/stykovka/stykovka/internal/sealer/localsealer"
	"github.com/stykovka/stykovka/internal/sep"
	emissim "github.com/stykovka/stykovka/internal/sim/emis"
	"github.com/stykovka/stykovka/internal/store"
	"github.com/stykovka/stykovka/internal/store/boltstore"
	"github.com/stykovka/stykovka/internal/store/dynamostore"
	"github.com/stykovka/stykovka/internal/testinfra/dynalite"
	"github.com/stykovka/stykovka/internal/testinfra/kmsserver"
	"github.com/stykovka/stykovka/internal/testinfra/s3server"
	"github.com/stykovka/stykovka/wsdl/emisws"
	"github.com/stykovka/stykovka/wsdl/hubws"
)

func TestMain(m *testing.M) {
	code := m.Run()
	dynalite.StopShared()
	os.Exit(code)
}

// retT0 is the fake "now" of the retention test: 2 March 2026, 12:00 in Moscow.
var retT0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// The guest's personal data as the operator types it, and a SEP letter naming a person. Every
// marker is looked for, upper-cased, in every answer, blob, log and raw store file.
var (
	retGuest = map[string]string{
		"doc_type": "21", "series": "4516", "number": "908172", "issued": "2019-03-01",
		"authority": "ГУ МВД России по г. Москве", "citizenship": "RUS", "gender": "FEMALE",
		"birth_date": "1993-06-17", "birth_place": "г. Тула",
		"last_name": "Щербакова", "first_name": "Юлиана", "middle_name": "Андреевна",
		"purpose": "PRIVATE", "stay_from": "2026-03-02", "stay_to": "2026-03-04",
	}
	retMarkers = []string{"908172", "ЩЕРБАКОВА", "ЮЛИАНА", "АНДРЕЕВНА", "ТУЛА", "1993-06-17", "ПЕТРОВСКИЙ", "ПАНКРАТ"}
	retLetter  = "From: noreply@sep.example\r\nTo: sep@hotel-a.example\r\nSubject: SEP\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		"Уважаемый Петровский Панкрат Петрович!\r\nНомер ЭПТС: 164301000012345\r\nКод подтверждения: 482913\r\n"
)

const (
	retPerson, retBooking = "160848", "473024"
	retAdmin, retDesk     = "Администратор", "Портье"
	retPass               = "пароль-hotel-a"
	nsEmisRet, nsHubRet   = "http://stykovka.ru/emis", "http://stykovka.ru/hub"
)

// retStack is the whole hub over real HTTP on one pair of adapters.
type retStack struct {
	t     *testing.T
	ctx   context.Context
	clk   *clock.Fake
	deps  *app.Deps
	hub   *hub.Hub
	srv   *httptest.Server
	sim   *emissim.Server
	logs  *retLogs
	legal string
	pms   *retPMS

	dbPath string           // bbolt: the store file
	dynamo *dynamodb.Client // dynalite: the raw client
	table  string           // dynalite: the table
	rawKey map[string]types.AttributeValue
}

type retLogs = apptest.LogBuffer

// retTicking moves the shared clock on by a second at every reading of the simulator.
type retTicking struct{ f *clock.Fake }

func (c retTicking) Now() time.Time {
	c.f.Advance(time.Second)
	return c.f.Now()
}

// retPMS is a PMS that accepts every delivery and keeps the bodies.
type retPMS struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []string
}

func (p *retPMS) got() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.bodies...)
}

var retTables atomic.Int64

func newRetStack(t *testing.T, adapter string) *retStack {
	t.Helper()
	s := &retStack{t: t, ctx: context.Background(), clk: clock.NewFake(retT0), logs: &retLogs{}}
	log := slog.New(slog.NewJSONHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	dir := t.TempDir()
	deps := &app.Deps{Clock: s.clk, Log: log, Adapters: "local",
		Deployment: app.Deployment{Profile: app.ProfileOnPrem, PersonalData: true}}
	switch adapter {
	case "bbolt":
		s.dbPath = filepath.Join(dir, "stykovka.db")
		st, err := boltstore.Open(s.dbPath, s.clk)
		if err != nil {
			t.Fatal(err)
		}
		bl, err := folderblobs.New(filepath.Join(dir, "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		se, err := localsealer.Open(filepath.Join(dir, "keys", "seal.key"))
		if err != nil {
			t.Fatal(err)
		}
		deps.Store, deps.Blobs, deps.Sealer = st, bl, se
	case "dynalite":
		// The AWS adapters: DynamoDB (dynalite), S3 (gofakes3), KMS (kmsserver).
		s.dynamo = dynalite.Client(t, dynalite.Shared(t))
		s.table = fmt.Sprintf("retention%d", retTables.Add(1))
		if err := dynamostore.CreateTable(s.ctx, s.dynamo, s.table); err != nil {
			t.Fatal(err)
		}
		s3c := s3server.Client(t, s3server.Start(t))
		s3server.CreateBucket(t, s3c, "stykovka")
		kmsURL, kmsSrv := kmsserver.Start(t)
		deps.Store = dynamostore.New(s.dynamo, s.table, s.clk)
		deps.Blobs = s3blobs.New(s3c, "stykovka")
		deps.Sealer = kmssealer.New(kmsserver.Client(t, kmsURL), kmsSrv.CreateKey())
		deps.Adapters = "aws"
	}
	s.deps = deps
	t.Cleanup(func() { deps.Close() })

	var handler http.Handler
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(s.srv.Close)
	var err error
	s.sim, err = emissim.Start("127.0.0.1:0", emissim.Options{Clock: retTicking{s.clk}, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.sim.Close() })
	s.hub, err = hub.New(deps, hub.Config{PublicURL: s.srv.URL, Emis: hub.EmisConfig{BaseURL: s.sim.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	handler = facade.New(facade.Options{Hub: s.hub})

	s.pms = &retPMS{}
	s.pms.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		s.pms.mu.Lock()
		s.pms.bodies = append(s.pms.bodies, string(b))
		s.pms.mu.Unlock()
	}))
	t.Cleanup(s.pms.srv.Close)
	return s
}

// hotel sets up tenant hotel-a as its administrator would: users, a legal entity with EMIS
// credentials (OData), the EMIS settings (SOAP Emis), the EMIS account in the simulator.
func (s *retStack) hotel() {
	t := s.t
	reg := s.hub.Tenants
	if _, err := reg.AddTenant(s.ctx, "hotel-a", "Гостиница А", "Europe/Moscow"); err != nil {
		t.Fatal(err)
	}
	if err := reg.AddUser(s.ctx, "hotel-a", retAdmin, retPass, true); err != nil {
		t.Fatal(err)
	}
	if err := reg.AddUser(s.ctx, "hotel-a", retDesk, retPass, false); err != nil {
		t.Fatal(err)
	}
	status, body := s.odata(http.MethodPost, retAdmin, "Catalog_LegalEntities?$format=json", map[string]any{
		"Description": "ООО «Гостиница А»", "EmisEnabled": true, "NamesScript": "Cyrillic",
		"EmisWebLogin": "web-a", "EmisWebPassword": "web-pw-a",
		"EmisIntegrationLogin": "int-a", "EmisIntegrationPassword": "int-pw-a",
	})
	var le struct{ Ref_Key string }
	if status != http.StatusCreated || json.Unmarshal(body, &le) != nil || le.Ref_Key == "" {
		t.Fatalf("create legal entity: %d %s", status, body)
	}
	s.legal = le.Ref_Key
	emisSecret := emis.NewSecret()
	s.sim.AddAccount(emissim.Account{Login: "int-a", Password: "int-pw-a", HookSecret: emisSecret})
	var conf emisws.ConfigureResponse
	s.soap("Emis", retAdmin, "Configure", retEl("PMSWebhookURL", s.pms.srv.URL)+retEl("RetentionHours", "48")+
		retEl("EmisSecret", emisSecret)+retEl("PMSInSecret", emis.NewSecret())+retEl("PMSOutSecret", emis.NewSecret())).decode(t, &conf)
	if conf.Return_.RetentionHours != 48 {
		t.Fatalf("Configure: %+v", conf.Return_)
	}
}

// retention runs the job's slot at the clock's now.
func (s *retStack) sweep() {
	s.t.Helper()
	var job *hub.Job
	for _, j := range s.hub.Jobs() {
		if j.Name == hub.RetentionSweepJob {
			job = &j
		}
	}
	if job == nil || job.Every != time.Hour {
		s.t.Fatalf("no hourly %s job: %+v", hub.RetentionSweepJob, job)
	}
	if err := job.Run(s.ctx, scheduler.Tick{Job: job.Name, Scheduled: s.clk.Now().UTC().Truncate(time.Hour)}); err != nil {
		s.t.Fatal(err)
	}
}

// personal returns the markers found in text (upper-cased).
func personal(text string) []string {
	up := strings.ToUpper(text)
	var out []string
	for _, m := range retMarkers {
		if strings.Contains(up, m) {
			out = append(out, m)
		}
	}
	return out
}

// TestPersonalDataEndsWithTheRetention is issue 10's retention test, on both store adapters
// (bbolt with a blob folder and the local sealer; dynalite with S3 and KMS): a guest's
// documents go the whole way (PMS → SOAP → EMIS page → callback → PMS webhook) and a SEP
// letter naming a person is received; the tenant's retention (set in one place, read by EMIS,
// the letter's blob lease and the sweep) passes on the fake clock; then neither SOAP
// GetDocuments, nor the OData register, nor the store, nor the blobs return any of it, and
// after the retention-sweep job the bbolt file holds none of it either (DynamoDB: the items
// carry the ttl that TTL deletion acts on).
func TestPersonalDataEndsWithTheRetention(t *testing.T) {
	for _, adapter := range []string{"bbolt", "dynalite"} {
		t.Run(adapter, func(t *testing.T) {
			s := newRetStack(t, adapter)
			s.hotel()

			// One setting: EMIS's Configure wrote the tenant's retention, the Hub service
			// changes it and EMIS reads it back.
			var got hubws.GetRetentionResponse
			s.soap("Hub", retDesk, "GetRetention", "").decode(t, &got)
			if got.Return_.Hours != 48 || got.Return_.Profile != "on-prem" || !got.Return_.PersonalDataAllowed {
				t.Fatalf("Hub GetRetention after EMIS Configure: %+v", got.Return_)
			}
			var set hubws.SetRetentionResponse
			s.soap("Hub", retAdmin, "SetRetention", `<m:Hours>24</m:Hours>`).decode(t, &set)
			var settings emisws.GetSettingsResponse
			s.soap("Emis", retAdmin, "GetSettings", "").decode(t, &settings)
			if set.Return_.Hours != 24 || settings.Return_.RetentionHours != 24 {
				t.Fatalf("SetRetention %+v, EMIS settings %+v", set.Return_, settings.Return_)
			}

			// The guest's documents go the whole way.
			var saved emisws.SaveGuestResponse
			s.soap("Emis", retDesk, "SaveGuest", retEl("PersonId", retPerson)+retEl("BookingId", retBooking)+
				retEl("Surname", retGuest["last_name"])).decode(t, &saved)
			var started emisws.StartDocumentsResponse
			s.soap("Emis", retDesk, "StartDocuments", retEl("LegalEntity", s.legal)+retEl("PersonId", retPerson)+
				retEl("BookingId", retBooking)).decode(t, &started)
			form := url.Values{"action": {"save"}}
			for k, v := range retGuest {
				form.Set(k, v)
			}
			res, err := http.PostForm(started.Return_, form)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || !strings.Contains(string(page), "Данные сохранены") {
				t.Fatalf("the operator's save: %d %s", res.StatusCode, page)
			}
			s.sim.Flush()
			if d := s.pms.got(); len(d) != 1 || len(personal(d[0])) < 5 {
				t.Fatalf("PMS deliveries %d: %v", len(d), d)
			}
			deliveredAt := s.clk.Now()
			getDocs := s.soap("Emis", retDesk, "GetDocuments", retEl("LegalEntity", s.legal)+retEl("PersonId", retPerson))
			if getDocs.fault != nil || len(personal(getDocs.raw)) < 5 {
				t.Fatalf("GetDocuments before the retention: %s", getDocs.raw)
			}
			status, register := s.odata(http.MethodGet, retAdmin, "InformationRegister_GuestDocuments?$format=json", nil)
			if status != http.StatusOK || len(personal(string(register))) < 5 {
				t.Fatalf("register before the retention: %d %s", status, register)
			}

			// A SEP letter naming a person: its raw blob has a lease of the same retention.
			letter, err := s.hub.Sep.IngestMail(s.ctx, "hotel-a", sep.MailInput{Raw: []byte(retLetter)})
			if err != nil {
				t.Fatal(err)
			}
			if due, ok, err := retention.BlobDue(s.ctx, s.deps.Store, "hotel-a", letter.BlobKey); err != nil || !ok ||
				due.Sub(s.clk.Now()) > 24*time.Hour || due.Sub(s.clk.Now()) < 24*time.Hour-time.Second {
				t.Fatalf("the letter's lease: %v %v %v", due, ok, err)
			}
			if found := s.blobsWithPersonalData(); len(found) != 1 {
				t.Fatalf("blobs with personal data before the retention: %v", found)
			}
			sealed := s.sealedValues()
			if len(sealed) < 8 {
				t.Fatalf("found only %d sealed values in the stored documents", len(sealed))
			}

			// EMIS goes down: from now on the hub answers only from what it keeps.
			s.sim.SetFaults(emissim.Faults{ServerErrors: -1})
			s.clk.Set(deliveredAt.Add(23 * time.Hour))
			r := s.soap("Emis", retDesk, "GetDocuments", retEl("LegalEntity", s.legal)+retEl("PersonId", retPerson))
			if r.fault != nil || len(personal(r.raw)) < 5 || !strings.Contains(r.raw, emis.WarnEmisUnavailable) {
				t.Fatalf("within the retention the stored version is served (with EMIS_UNAVAILABLE): %s", r.raw)
			}

			// The retention passes: invisible at once, before any sweep.
			s.clk.Set(deliveredAt.Add(24*time.Hour + time.Second))
			r = s.soap("Emis", retDesk, "GetDocuments", retEl("LegalEntity", s.legal)+retEl("PersonId", retPerson))
			if r.fault == nil || r.fault.Code != "EMIS_UNAVAILABLE" || len(personal(r.raw)) != 0 {
				t.Fatalf("GetDocuments after the retention: %s", r.raw)
			}
			status, register = s.odata(http.MethodGet, retAdmin, "InformationRegister_GuestDocuments?$format=json", nil)
			if status != http.StatusOK || len(personal(string(register))) != 0 || strings.Contains(string(register), retPerson) {
				t.Fatalf("register after the retention: %d %s", status, register)
			}
			status, one := s.odata(http.MethodGet, retAdmin,
				"InformationRegister_GuestDocuments(PersonId='"+retPerson+"',LegalEntity_Key=guid'"+s.legal+"')?$format=json", nil)
			if status != http.StatusNotFound || len(personal(string(one))) != 0 {
				t.Fatalf("register record after the retention: %d %s", status, one)
			}
			// StartDocuments needs the saved guest, whose record has expired too.
			r = s.soap("Emis", retDesk, "StartDocuments", retEl("LegalEntity", s.legal)+retEl("PersonId", retPerson))
			if r.fault == nil || r.fault.Code != "EMIS_PERSON_NOT_SAVED" {
				t.Fatalf("StartDocuments after the retention: %s", r.raw)
			}
			if items := s.tenantItems(); len(items) != 0 {
				t.Fatalf("the store still returns personal data: %v", items)
			}

			// The sweep: blobs whose lease ended go, bbolt's expired items go.
			if s.dbPath != "" {
				// The control of the raw check: hidden, but still in the file until the sweep.
				raw, _ := os.ReadFile(s.dbPath)
				if !bytes.Contains(raw, []byte(sealed[0])) {
					t.Fatal("the raw check cannot see the stored sealed values")
				}
			}
			if found := s.blobsWithPersonalData(); len(found) != 1 {
				t.Fatalf("the letter's blob went before the sweep: %v", found)
			}
			s.sweep()
			if found := s.blobsWithPersonalData(); len(found) != 0 {
				t.Fatalf("blobs with personal data after the sweep: %v", found)
			}
			if _, ok, _ := retention.BlobDue(s.ctx, s.deps.Store, "hotel-a", letter.BlobKey); ok {
				t.Fatal("the letter's lease outlived its blob")
			}
			s.sweep() // a repeated slot finds nothing and fails nothing
			s.rawStoreHoldsNone(sealed)

			if found := personal(s.logs.String()); len(found) != 0 {
				t.Errorf("personal data in the logs: %v", found)
			}
		})
	}
}

// blobsWithPersonalData lists the tenant's blobs holding a marker.
func (s *retStack) blobsWithPersonalData() []string {
	s.t.Helper()
	infos, err := s.deps.Blobs.List(s.ctx, "t/")
	if err != nil {
		s.t.Fatal(err)
	}
	var out []string
	for _, in := range infos {
		b, err := s.deps.Blobs.Get(s.ctx, in.Key)
		if err != nil && err != blobs.ErrNotFound {
			s.t.Fatal(err)
		}
		if len(personal(string(b))) > 0 {
			out = append(out, in.Key)
		}
	}
	return out
}

// tenantItems reads the tenant's EMIS data through the store port: the document register
// (GSI2) and the guest's partition.
func (s *retStack) tenantItems() []string {
	s.t.Helper()
	ts, err := store.ForTenant(s.deps.Store, "hotel-a")
	if err != nil {
		s.t.Fatal(err)
	}
	var out []string
	for _, q := range []store.Query{{Index: store.GSI2, PK: "EMIS#DOCS"}, {PK: "EMIS#P#" + retPerson}} {
		p, err := ts.Query(s.ctx, q)
		if err != nil {
			s.t.Fatal(err)
		}
		for _, it := range p.Items {
			out = append(out, it.PK+"/"+it.SK)
		}
	}
	return out
}

// sealedValues collects the sealed strings of the stored documents (package emis keeps each
// field sealed, base64, in the item's JSON), for the raw check after the sweep.
func (s *retStack) sealedValues() []string {
	s.t.Helper()
	ts, _ := store.ForTenant(s.deps.Store, "hotel-a")
	it, err := ts.Get(s.ctx, "EMIS#P#"+retPerson, "DOCS#"+s.legal)
	if err != nil {
		s.t.Fatal(err)
	}
	if s.dynamo != nil {
		s.rawKey = map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "T#hotel-a#EMIS#P#" + retPerson},
			"SK": &types.AttributeValueMemberS{Value: "DOCS#" + s.legal},
		}
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case string:
			if len(x) >= 32 {
				out = append(out, x)
			}
		}
	}
	var doc any
	if err := json.Unmarshal(it.Data, &doc); err != nil {
		s.t.Fatal(err)
	}
	walk(doc)
	return out
}

// rawStoreHoldsNone looks below the port: the bbolt file's bytes hold neither the personal
// data (sealed from the start) nor the sealed values of the expired documents (deleted by
// the sweep); on DynamoDB the expired item carries the ttl that TTL deletion removes it by.
func (s *retStack) rawStoreHoldsNone(sealed []string) {
	t := s.t
	t.Helper()
	if s.dbPath != "" {
		raw, err := os.ReadFile(s.dbPath)
		if err != nil {
			t.Fatal(err)
		}
		if found := personal(string(raw)); len(found) != 0 {
			t.Errorf("personal data in the bbolt file: %v", found)
		}
		left := 0
		for _, v := range sealed {
			if bytes.Contains(raw, []byte(v)) {
				left++
			}
		}
		if left != 0 {
			t.Errorf("%d of %d sealed values of the expired documents are still in the bbolt file", left, len(sealed))
		}
		return
	}
	out, err := s.dynamo.GetItem(s.ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: s.rawKey, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		return // deleted already
	}
	ttl, ok := out.Item["ttl"].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("the expired item has no ttl: DynamoDB would keep it")
	}
	if sec, _ := strconv.ParseInt(ttl.Value, 10, 64); sec > s.clk.Now().Unix() {
		t.Fatalf("ttl %s is after now (%d)", ttl.Value, s.clk.Now().Unix())
	}
}

// ---- HTTP as 1C and a PMS speak it ----

func retEl(name, value string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(value))
	return "<m:" + name + ">" + b.String() + "</m:" + name + ">"
}

type retFault struct{ Code, Message string }

type retResult struct {
	raw   string
	inner []byte
	fault *retFault
}

func (r retResult) decode(t *testing.T, v any) {
	t.Helper()
	if r.fault != nil {
		t.Fatalf("fault %+v\n%s", r.fault, r.raw)
	}
	if err := xml.Unmarshal(r.inner, v); err != nil {
		t.Fatalf("%v\n%s", err, r.raw)
	}
}

// soap calls an operation of a service through its SOAP 1.1 port.
func (s *retStack) soap(svc, user, op, params string) retResult {
	s.t.Helper()
	ns := map[string]string{"Emis": nsEmisRet, "Hub": nsHubRet}[svc]
	env := `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="` +
		ns + `"><soap:Body><m:` + op + `>` + params + `</m:` + op + `></soap:Body></soap:Envelope>`
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/ws/"+svc, strings.NewReader(env))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"`+ns+`#`+svc+`:`+op+`"`)
	req.SetBasicAuth(user, retPass)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var e struct {
		Body struct {
			Inner []byte `xml:",innerxml"`
			Fault *struct {
				Detail struct {
					Error retFault `xml:"http://stykovka.ru/hub Error"`
				} `xml:"detail"`
			} `xml:"Fault"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal(raw, &e); err != nil {
		s.t.Fatalf("%s.%s: %d %v\n%s", svc, op, res.StatusCode, err, raw)
	}
	out := retResult{raw: string(raw), inner: e.Body.Inner}
	if f := e.Body.Fault; f != nil {
		out.fault = &f.Detail.Error
	}
	return out
}

func (s *retStack) odata(method, user, path string, body any) (int, []byte) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.srv.URL+"/odata/standard.odata/"+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(user, retPass)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}
