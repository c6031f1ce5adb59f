package emisapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/emis"
	"github.com/stykovka/stykovka/internal/emis/emisclient"
	"github.com/stykovka/stykovka/internal/emis/hooksig"
	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/scheduler"
	"github.com/stykovka/stykovka/wsdl/emisws"
)

var msk = time.FixedZone("MSK", 3*60*60)

// TestEndToEnd is issue 7's "done when" over real HTTP through the whole local stack: a PMS
// (a front-desk user of hotel A, not an administrator) saves a guest over SOAP and opens the
// EMIS page; the operator saves a passport with an expired visa among others in the
// simulator's form like a browser; EMIS calls the hub's /hooks/emis; the PMS receives the
// signed webhook with the warning; GetDocuments over SOAP returns the same. Then: the unsaved
// guest is refused in Russian, the OData register hides personal data from the non-admin,
// hotel B reaches nothing of hotel A through SOAP, OData or webhooks, and no personal value
// is in the logs or the raw store file.
func TestEndToEnd(t *testing.T) {
	s := newStack(t)
	a := s.addHotel("hotel-a", "Администратор А", "Портье А")
	b := s.addHotel("hotel-b", "Администратор Б", "Портье Б")
	const person, booking = "160848", "473024"

	var saved emisws.SaveGuestResponse
	s.soap(a.desk, a.pass, "SaveGuest", el("PersonId", person)+el("BookingId", booking)+el("Surname", "HUBER")).Decode(t, &saved)
	if !saved.Return_ {
		t.Fatal("SaveGuest returned false")
	}
	var started emisws.StartDocumentsResponse
	s.soap(a.desk, a.pass, "StartDocuments", el("LegalEntity", a.legal)+el("PersonId", person)+el("BookingId", booking)).Decode(t, &started)
	pageURL := started.Return_
	if !strings.HasPrefix(pageURL, s.sim.URL()+"/s/") {
		t.Fatalf("StartDocuments = %q, want a page of the simulator %s", pageURL, s.sim.URL())
	}
	if shown := s.operatorSaves(pageURL, huber); shown.Get("last_name_lat") != "HUBER" {
		t.Errorf("the page did not greet the operator with the saved surname: %q", shown.Get("last_name_lat"))
	}
	s.sim.Flush()
	if cbs := s.sim.Callbacks(); len(cbs) != 1 || cbs[0].Status != http.StatusOK {
		t.Fatalf("EMIS callbacks to the hub: %+v", cbs)
	}

	// The PMS received the documents with the warning, signed.
	got := a.pms.received()
	if len(got) != 1 {
		t.Fatalf("PMS received %d deliveries, want 1", len(got))
	}
	d := got[0]
	if d.PersonID != person || d.BookingID != booking || d.LegalEntity != a.legal || d.Version != 1 ||
		d.Documents.Identity.Number != huber.number || d.Name.Surname != "ХУБЕР" {
		t.Errorf("delivery %+v", d.Result)
	}
	if !hasWarning(d.Warnings, emis.WarnVisaSelectedExpired, "stay[0].valid_to") {
		t.Fatalf("no expired-visa warning in the delivery: %+v", d.Warnings)
	}

	// GetDocuments over SOAP returns the same, dates as 1C writes them.
	r := s.soap(a.desk, a.pass, "GetDocuments", el("LegalEntity", a.legal)+el("PersonId", person))
	var docs emisws.GetDocumentsResponse
	r.Decode(t, &docs)
	g := docs.Return_
	if g == nil || g.Identity == nil || g.StayDocuments == nil || g.MigrationCard == nil || g.Visit == nil || g.Warnings == nil {
		t.Fatalf("GetDocuments: %s", r.Raw)
	}
	id := g.Identity
	checks := map[string][2]string{
		"PersonId":      {g.PersonId, person},
		"BookingId":     {g.BookingId, booking},
		"LegalEntity":   {g.LegalEntity, a.legal},
		"NamesScript":   {g.NamesScript, "Cyrillic"},
		"Surname":       {g.Surname, "ХУБЕР"},
		"SurnameLatin":  {id.SurnameLatin, huber.surnameLat},
		"Number":        {id.Number, huber.number},
		"TypeName":      {id.TypeName, "Паспорт иностранного гражданина"},
		"BirthDate":     {id.BirthDate.String(), "1982-08-14T00:00:00"},
		"ExpiryDate":    {id.ExpiryDate.String(), "2029-03-10T00:00:00"},
		"Nationality":   {id.Nationality, "DEU"},
		"Sex":           {id.Sex, "F"},
		"SavedAt":       {g.SavedAt.String(), d.SavedAt.In(msk).Format("2006-01-02T15:04:05")},
		"Visa0ValidTo":  {g.StayDocuments.Item[0].ValidTo.String(), "2025-06-01T00:00:00"},
		"Visa1Number":   {g.StayDocuments.Item[1].Number, huber.visa2},
		"MigrationCard": {g.MigrationCard.Number, huber.mcNumber},
		"MCEntryDate":   {g.MigrationCard.EntryDate.String(), "2025-06-29T00:00:00"},
		"Purpose":       {g.Visit.PurposeName, "Туризм"},
		"StayTo":        {g.Visit.StayTo.String(), "2025-07-05T00:00:00"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("GetDocuments %s = %q, want %q", name, c[0], c[1])
		}
	}
	if g.Version != 1 || len(g.StayDocuments.Item) != 2 || !g.StayDocuments.Item[0].Selected || g.StayDocuments.Item[1].Selected {
		t.Errorf("GetDocuments version %d, stay documents %+v", g.Version, g.StayDocuments.Item)
	}
	if len(g.Warnings.Item) != len(d.Warnings) {
		t.Fatalf("GetDocuments warnings %d, delivery %d", len(g.Warnings.Item), len(d.Warnings))
	}
	for i, w := range g.Warnings.Item {
		if w.Code != d.Warnings[i].Code || w.Field != d.Warnings[i].Field || w.Message != d.Warnings[i].Message {
			t.Errorf("warning %d: SOAP %+v, PMS %+v", i, w, d.Warnings[i])
		}
	}
	if !strings.Contains(r.Raw, "<m:ValidTo>2025-06-01T00:00:00</m:ValidTo>") {
		t.Errorf("dates are not 1C's xs:dateTime without offset:\n%s", r.Raw)
	}

	// The multi-guest mistake: a guest the PMS has not saved is refused, and EMIS sees nothing.
	sessions := s.sim.Sessions()
	for _, p := range []string{"999001", ""} {
		r := s.soap(a.desk, a.pass, "StartDocuments", el("LegalEntity", a.legal)+el("PersonId", p)+el("BookingId", booking))
		if r.Fault == nil || r.Status != http.StatusInternalServerError || r.Fault.Code != "soap:Client" ||
			r.Fault.Detail.Code != "EMIS_PERSON_NOT_SAVED" || !strings.Contains(r.Fault.String, "Сохраните гостя") ||
			r.Fault.Detail.Message != r.Fault.String {
			t.Errorf("unsaved person %q: %d %+v", p, r.Status, r.Fault)
		}
	}
	if n := s.sim.Sessions(); n != sessions {
		t.Errorf("refused calls opened %d EMIS sessions", n-sessions)
	}

	// OData: the register shows the record; personal data only to an administrator.
	register := "InformationRegister_GuestDocuments"
	key := "(PersonId='" + person + "',LegalEntity_Key=guid'" + a.legal + "')"
	for _, path := range []string{register + "?$format=json", register + key + "?$format=json",
		register + "?$format=json&$filter=" + url.QueryEscape("PersonId eq '"+person+"'")} {
		status, body := s.odata("GET", a.desk, a.pass, path, nil)
		if status != http.StatusOK || !strings.Contains(string(body), `"PersonalData":false`) ||
			!strings.Contains(string(body), emis.WarnVisaSelectedExpired) || !strings.Contains(string(body), booking) {
			t.Errorf("front desk %s: %d %s", path, status, body)
		}
		for _, v := range huber.personal() {
			if strings.Contains(string(body), v) {
				t.Errorf("front desk %s sees %q: %s", path, v, body)
			}
		}
	}
	if status, body := s.odata("GET", a.desk, a.pass, register+"?$format=json&$filter="+url.QueryEscape("DocumentNumber eq '"+huber.number+"'"), nil); status != http.StatusOK || strings.Contains(string(body), person) {
		t.Errorf("a filter on a hidden field finds the record: %d %s", status, body)
	}
	status, body := s.odata("GET", a.admin, a.pass, register+key+"?$format=json", nil)
	var row map[string]any
	if err := json.Unmarshal(body, &row); status != http.StatusOK || err != nil {
		t.Fatalf("admin row: %d %s", status, body)
	}
	for k, want := range map[string]any{
		"PersonalData": true, "DocumentNumber": huber.number, "Surname": "ХУБЕР", "BirthDate": "1982-08-14T00:00:00",
		"StayDocumentNumber": huber.visa1, "StayDocumentValidTo": "2025-06-01T00:00:00", "StayDocumentsCount": float64(2),
		"MigrationCardNumber": huber.mcNumber, "LegalEntity_Key": a.legal, "BookingId": booking,
	} {
		if row[k] != want {
			t.Errorf("admin row %s = %v, want %v", k, row[k], want)
		}
	}
	if status, body := s.odata("GET", a.desk, a.pass, "$metadata", nil); status != http.StatusOK ||
		!strings.Contains(string(body), register) {
		t.Errorf("$metadata: %d", status)
	}

	// Settings: anyone reads them (no secret in them); only an administrator changes them.
	r = s.soap(a.desk, a.pass, "Configure", el("PMSWebhookURL", "https://evil.example/hook"))
	if r.Fault == nil || r.Fault.Detail.Code != "EMIS_ADMIN_REQUIRED" {
		t.Errorf("Configure by the front desk: %+v", r.Fault)
	}
	var set emisws.GetSettingsResponse
	s.soap(a.desk, a.pass, "GetSettings", "").Decode(t, &set)
	if st := set.Return_; st.PMSWebhookURL != a.pms.srv.URL+"/stykovka" || !st.EmisSecretSet || !st.PMSInSecretSet || !st.PMSOutSecretSet ||
		st.RetentionHours != 72 || st.EmisCallbackURL != s.srv.URL+"/hooks/emis?tenant=hotel-a" || st.PMSHookURL != s.srv.URL+"/hooks/pms?tenant=hotel-a" {
		t.Errorf("GetSettings %+v", st)
	}
	for _, secret := range []string{a.emisSecret, a.pmsIn, a.pmsOut} {
		if strings.Contains(s.soap(a.admin, a.pass, "GetSettings", "").Raw, secret) {
			t.Error("GetSettings shows a secret")
		}
	}

	isolation(t, s, a, b, person, pageURL)

	// Nothing personal in the logs of the whole flow or in the raw store file.
	raw, err := os.ReadFile(s.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	logs := s.logs.String()
	if !strings.Contains(logs, "emis callback") {
		t.Fatalf("the logs were not captured:\n%.2000s", logs)
	}
	for _, v := range huber.personal() {
		if strings.Contains(logs, v) {
			t.Errorf("logs contain %q", v)
		}
		if bytes.Contains(raw, []byte(v)) {
			t.Errorf("the store file contains %q", v)
		}
	}
	for _, secret := range []string{a.emisSecret, a.pmsIn, a.pmsOut, a.intPassword} {
		if strings.Contains(logs, secret) || bytes.Contains(raw, []byte(secret)) {
			t.Error("a secret is in the logs or the store file")
		}
	}
}

// isolation: hotel B, with its own users, secrets and EMIS account, reaches nothing of
// hotel A's guest through SOAP, OData or webhooks, and A's data stays as it was.
func isolation(t *testing.T, s *stack, a, b *hotel, person, pageURL string) {
	t.Helper()
	leak := func(what, body string) {
		t.Helper()
		for _, v := range huber.personal() {
			if strings.Contains(body, v) {
				t.Errorf("%s: hotel B sees %q", what, v)
			}
		}
	}
	var les emisws.GetLegalEntitiesResponse
	s.soap(b.desk, b.pass, "GetLegalEntities", "").Decode(t, &les)
	if items := les.Return_.Item; len(items) != 1 || items[0].Ref != b.legal {
		t.Errorf("hotel B's legal entities: %+v", items)
	}
	// A's legal entity does not exist for B; B's own EMIS account has no documents of the person;
	// B's PMS never saved the person.
	for _, c := range []struct{ op, legal, want string }{
		{"GetDocuments", a.legal, "LEGAL_NOT_FOUND"},
		{"GetDocuments", b.legal, "EMIS_NO_DOCUMENTS"},
		{"StartDocuments", a.legal, "LEGAL_NOT_FOUND"},
		{"StartDocuments", b.legal, "EMIS_PERSON_NOT_SAVED"},
	} {
		r := s.soap(b.admin, b.pass, c.op, el("LegalEntity", c.legal)+el("PersonId", person))
		if r.Fault == nil || r.Fault.Detail.Code != c.want {
			t.Errorf("hotel B %s through %s: %+v, want %s", c.op, c.legal, r.Fault, c.want)
		}
		leak(c.op, r.Raw)
	}
	status, body := s.odata("GET", b.admin, b.pass, "InformationRegister_GuestDocuments?$format=json", nil)
	if status != http.StatusOK || strings.Contains(string(body), person) {
		t.Errorf("hotel B's register: %d %s", status, body)
	}
	status, body = s.odata("GET", b.admin, b.pass, "InformationRegister_GuestDocuments(PersonId='"+person+"',LegalEntity_Key=guid'"+a.legal+"')?$format=json", nil)
	if status != http.StatusNotFound {
		t.Errorf("hotel B reads A's record by key: %d %s", status, body)
	}
	leak("OData", string(body))

	// Webhooks: B's secret does not open A's tenant, and B's tenant does not hold A's data.
	status, body, _ = s.pmsHook(a.id, b.pmsIn, emis.PMSMessage{Event: emis.EventDocumentsGet, PersonID: person, LegalEntity: a.legal})
	if status != http.StatusUnauthorized {
		t.Errorf("documents.get for A signed by B: %d %s", status, body)
	}
	status, body, _ = s.pmsHook(b.id, b.pmsIn, emis.PMSMessage{Event: emis.EventDocumentsGet, PersonID: person, LegalEntity: a.legal})
	if status < 400 {
		t.Errorf("documents.get of A's legal entity in B: %d %s", status, body)
	}
	leak("PMS webhook", string(body))

	// An EMIS callback for A's session signed with B's secret, to either tenant, changes nothing.
	session, _ := s.sim.SessionIDOf(pageURL)
	forged := emis.Documents{Identity: emis.Identity{TypeCode: "10", Number: "X0000001", Nationality: "DEU",
		Latin: emis.Name{Surname: "FORGED"}}}
	cb, _ := json.Marshal(emisclient.Callback{Event: emisclient.EventSaved, PersonID: person, VersionWire: emisclient.VersionWire{
		Version: 7, SavedAt: s.clk.Now(), SessionID: session, Document: emisclient.WireDocument(forged)}})
	for tenant, want := range map[string]int{a.id: http.StatusUnauthorized, b.id: http.StatusNotFound} {
		req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/hooks/emis?tenant="+tenant, bytes.NewReader(cb))
		req.Header.Set(hooksig.EmisHeader, hooksig.Sign([]byte(b.emisSecret), s.clk.Now(), cb))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("callback for tenant %s signed by B: %d, want %d", tenant, resp.StatusCode, want)
		}
	}
	var docs emisws.GetDocumentsResponse
	s.soap(a.desk, a.pass, "GetDocuments", el("LegalEntity", a.legal)+el("PersonId", person)).Decode(t, &docs)
	if docs.Return_.Version != 1 || docs.Return_.Identity.Number != huber.number {
		t.Errorf("A's documents changed: version %d", docs.Return_.Version)
	}
	if n := len(b.pms.received()); n != 0 {
		t.Errorf("hotel B's PMS received %d deliveries", n)
	}
	if n := len(a.pms.received()); n != 1 {
		t.Errorf("hotel A's PMS received %d deliveries, want still 1", n)
	}
	for _, h := range []*hotel{a, b} {
		var dls emisws.ListDeadLettersResponse
		s.soap(h.admin, h.pass, "ListDeadLetters", "").Decode(t, &dls)
		if dls.Return_ == nil || len(dls.Return_.Item) != 0 {
			t.Errorf("%s dead letters: %+v", h.id, dls.Return_)
		}
	}
}

// TestDeadLetterAndRedeliver: the PMS is down, the first attempt during the callback fails,
// the hub's emis-deliver job retries with back-off until the delivery is a dead letter; SOAP
// lists it (without personal data) and, once the PMS is back, Redeliver and the next run of
// the job deliver it with the warning.
func TestDeadLetterAndRedeliver(t *testing.T) {
	s := newStack(t)
	a := s.addHotel("hotel-a", "Администратор А", "Портье А")
	var job hub.Job
	for _, j := range s.hub.Jobs() {
		if j.Name == hub.EmisDeliverJob {
			job = j
		}
	}
	if job.Run == nil || job.Every != time.Minute {
		t.Fatalf("no emis-deliver job every minute: %+v", s.hub.Jobs())
	}
	a.pms.setFail(true)
	const person = "160848"
	s.soap(a.desk, a.pass, "SaveGuest", el("PersonId", person)).Decode(t, &emisws.SaveGuestResponse{})
	var started emisws.StartDocumentsResponse
	s.soap(a.desk, a.pass, "StartDocuments", el("LegalEntity", a.legal)+el("PersonId", person)).Decode(t, &started)
	s.operatorSaves(started.Return_, huber)
	s.sim.Flush()

	var dls emisws.ListDeadLettersResponse
	for i := 0; i < 20; i++ {
		s.clk.Advance(61 * time.Minute)
		now := s.clk.Now()
		if err := job.Run(s.ctx, scheduler.Tick{Job: job.Name, Scheduled: now.Truncate(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		dls = emisws.ListDeadLettersResponse{}
		s.soap(a.admin, a.pass, "ListDeadLetters", "").Decode(t, &dls)
		if len(dls.Return_.Item) > 0 {
			break
		}
	}
	r := s.soap(a.admin, a.pass, "ListDeadLetters", "")
	if len(dls.Return_.Item) != 1 {
		t.Fatalf("dead letters: %s", r.Raw)
	}
	dl := dls.Return_.Item[0]
	if dl.Attempts != emis.MaxAttempts || dl.Version != 1 || dl.PersonId != person || dl.LegalEntity != a.legal ||
		!strings.Contains(dl.LastError, "503") || dl.Died.IsZero() {
		t.Errorf("dead letter %+v", dl)
	}
	for _, v := range huber.personal() {
		if strings.Contains(r.Raw, v) {
			t.Errorf("the dead letter shows %q", v)
		}
	}
	if n := len(a.pms.received()); n != 0 {
		t.Fatalf("a down PMS accepted %d deliveries", n)
	}

	if r := s.soap(a.desk, a.pass, "Redeliver", el("Id", "d-unknown")); r.Fault == nil || r.Fault.Detail.Code != "EMIS_DEAD_LETTER_NOT_FOUND" {
		t.Errorf("Redeliver unknown: %+v", r.Fault)
	}
	a.pms.setFail(false)
	var red emisws.RedeliverResponse
	s.soap(a.desk, a.pass, "Redeliver", el("Id", dl.Id)).Decode(t, &red)
	if !red.Return_ {
		t.Fatal("Redeliver returned false")
	}
	var after emisws.ListDeadLettersResponse // xml.Unmarshal appends to a used slice
	s.soap(a.admin, a.pass, "ListDeadLetters", "").Decode(t, &after)
	if len(after.Return_.Item) != 0 {
		t.Errorf("dead letters after Redeliver: %+v", after.Return_.Item)
	}
	if err := job.Run(s.ctx, scheduler.Tick{Job: job.Name, Scheduled: s.clk.Now().Truncate(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	got := a.pms.received()
	if len(got) != 1 || got[0].DeliveryID != dl.Id || !hasWarning(got[0].Warnings, emis.WarnVisaSelectedExpired, "") {
		t.Fatalf("after Redeliver the PMS received %+v", got)
	}
}

// TestWithoutEmisConfiguration: a hub that lacks EMIS's URL, or its own public URL (so EMIS
// could not call back), opens no session and says EMIS is unavailable; everything else works.
func TestWithoutEmisConfiguration(t *testing.T) {
	for name, configure := range map[string]func(*hub.Config){
		"no EMIS URL":   func(c *hub.Config) { c.Emis.BaseURL = "" },
		"no public URL": func(c *hub.Config) { c.PublicURL = "" },
	} {
		t.Run(name, func(t *testing.T) {
			s := newStackWith(t, configure)
			a := s.addHotel("hotel-a", "Администратор А", "Портье А")
			s.soap(a.desk, a.pass, "SaveGuest", el("PersonId", "160848")).Decode(t, &emisws.SaveGuestResponse{})
			r := s.soap(a.desk, a.pass, "StartDocuments", el("LegalEntity", a.legal)+el("PersonId", "160848"))
			if r.Fault == nil || r.Fault.Detail.Code != "EMIS_UNAVAILABLE" {
				t.Errorf("StartDocuments: %s", r.Raw)
			}
			if n := s.sim.Sessions(); n != 0 {
				t.Errorf("%d sessions opened", n)
			}
			var set emisws.GetSettingsResponse
			s.soap(a.desk, a.pass, "GetSettings", "").Decode(t, &set)
			if public := s.hub.Cfg.PublicURL; (public == "") != (set.Return_.PMSHookURL == "") {
				t.Errorf("PMSHookURL %q with public URL %q", set.Return_.PMSHookURL, public)
			}
		})
	}
}
