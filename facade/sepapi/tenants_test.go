package sepapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/hub"
	sepsim "github.com/stykovka/stykovka/internal/sim/sep"
	"github.com/stykovka/stykovka/wsdl/sepws"
)

// TestTenantIsolation: two leasing companies on one hub. B sees nothing of A's — letters,
// applications, queue, registers, catalogs — and can act on nothing of A's by its number or
// reference; a letter in B's mail folder is B's.
func TestTenantIsolation(t *testing.T) {
	s := newStack(t)
	a, b := s.addLeasing("leasing-a"), s.addLeasing("leasing-b")
	s.configure(a)

	number, err := s.sim.CreateOwnershipChange(sepsim.DemoVehicles()[0].EPTS, sepsim.DemoLessorINN, t0.AddDate(0, 0, 14))
	if err != nil {
		t.Fatal(err)
	}
	s.mailRoute(a.id, sepsim.DemoMailbox)
	s.job(hub.SepMailJob)
	var letters sepws.GetLettersResponse
	s.call(a.user, a.pass, &sepws.GetLetters{}).Decode(t, &letters)
	var req sepws.RequestLetterDataResponse
	s.call(a.user, a.pass, &sepws.RequestLetterData{Organisation: sepsim.DemoLessorINN,
		Letters: &sepws.StringList{Item: []string{letters.Return_.Item[0].Id}}}).Decode(t, &req)
	s.advance(time.Minute)
	s.job(hub.SepPollerJob)

	// B's view: empty everywhere.
	var counts sepws.GetCountsResponse
	s.call(b.user, b.pass, &sepws.GetCounts{}).Decode(t, &counts)
	if c := counts.Return_; c.Letters+c.Waiting+c.Ownership+c.Leases != 0 {
		t.Fatalf("B's counts: %+v", c)
	}
	s.call(b.user, b.pass, &sepws.GetLetters{}).Decode(t, &letters)
	if len(letters.Return_.Item) != 0 {
		t.Fatalf("B's letters: %+v", letters.Return_.Item)
	}
	var rows sepws.GetOwnershipChangesResponse
	s.call(b.user, b.pass, &sepws.GetOwnershipChanges{}).Decode(t, &rows)
	if len(rows.Return_.Item) != 0 {
		t.Fatalf("B's ownership changes: %+v", rows.Return_.Item)
	}
	s.call(b.user, b.pass, &sepws.GetApplication{Number: number}).fault(t, "SEP_APPLICATION_NOT_FOUND")
	s.call(b.user, b.pass, &sepws.GetQueueEntry{Id: req.Return_.Item[0].Id}).fault(t, "SEP_QUEUE_ENTRY_NOT_FOUND")
	s.call(b.user, b.pass, &sepws.ConfirmOwnership{Number: number, Status: "Confirmed", Code: ptr("123456")}).fault(t, "SEP_APPLICATION_NOT_FOUND")
	// B has no organisation configured: it cannot send for A's.
	s.call(b.user, b.pass, &sepws.RequestApplications{Organisation: sepsim.DemoLessorINN, From: date(2025, 7, 1), To: date(2025, 7, 31)}).
		fault(t, "SEP_NOT_CONFIGURED")
	s.call(b.user, b.pass, &sepws.GetOrganisationKey{Organisation: sepsim.DemoLessorINN}).fault(t, "SEP_NOT_CONFIGURED")
	for _, set := range []string{"Catalog_SepFixedAssets", "Catalog_SepResponsiblePersons", "InformationRegister_SepExchangeHistory",
		"InformationRegister_SepExchangeQueue", "InformationRegister_SepConfirmationCodes", "InformationRegister_SepAssetStatuses",
		"InformationRegister_SepApplicationData", "InformationRegister_SepExchangeErrors", "InformationRegister_SepLeaseApplications",
		"InformationRegister_SepAssetStatuses/SliceLast()"} {
		if rows := s.rows(b, set); len(rows) != 0 {
			t.Fatalf("B reads %d rows of %s", len(rows), set)
		}
		if rows := s.rows(a, set); len(rows) == 0 && !strings.Contains(set, "Statuses") && !strings.Contains(set, "Errors") &&
			!strings.Contains(set, "Lease") {
			t.Fatalf("A reads nothing of %s", set)
		}
	}
	if status, _ := s.odata(b, "GET", fmt.Sprintf("Catalog_SepFixedAssets(guid'%s')?$format=json", asset(0)), nil); status != http.StatusNotFound {
		t.Fatalf("B reads A's asset: %d", status)
	}
	if status, _ := s.odata(b, "PATCH", fmt.Sprintf("Catalog_SepFixedAssets(guid'%s')?$format=json", asset(0)), map[string]any{"Description": "x"}); status != http.StatusNotFound {
		t.Fatalf("B patches A's asset: %d", status)
	}
	if status, _ := s.odata(b, "DELETE", fmt.Sprintf("Catalog_SepFixedAssets(guid'%s')", asset(0)), nil); status != http.StatusNotFound {
		t.Fatalf("B deletes A's asset: %d", status)
	}
	if status, _ := s.odata(b, "GET", "InformationRegister_SepApplicationData('"+number+"')?$format=json", nil); status != http.StatusNotFound {
		t.Fatalf("B reads A's application: %d", status)
	}

	// A letter in B's folder is B's: it is matched against B's own assets (B registers the same
	// demo organisation and vehicles, with the same references, in its own view), and A's
	// letters are unchanged.
	s.configure(b)
	s.sim.CreateOwnershipChange(sepsim.DemoVehicles()[1].EPTS, sepsim.DemoLessorINN, t0.AddDate(0, 0, 14))
	s.mailRoute(b.id, sepsim.DemoMailbox)
	s.job(hub.SepMailJob)
	s.call(b.user, b.pass, &sepws.GetLetters{}).Decode(t, &letters)
	if len(letters.Return_.Item) != 1 || letters.Return_.Item[0].Assets.Item[0] != asset(1) {
		t.Fatalf("B's letters: %+v", letters.Return_.Item)
	}
	s.call(a.user, a.pass, &sepws.GetLetters{}).Decode(t, &letters)
	if len(letters.Return_.Item) != 1 {
		t.Fatalf("A's letters after B's: %d", len(letters.Return_.Item))
	}
}

// TestSettingsNeedAnAdministrator: an operator reads the settings, only an administrator
// changes them.
func TestSettingsNeedAnAdministrator(t *testing.T) {
	s := newStack(t)
	l := s.addLeasing("leasing-a")
	s.call(l.user, l.pass, &sepws.SaveSettings{Organisations: &sepws.OrganisationList{}}).fault(t, "SEP_ADMIN_REQUIRED")
	s.configure(l)
	var st sepws.GetSettingsResponse
	s.call(l.user, l.pass, &sepws.GetSettings{}).Decode(t, &st)
	if st.Return_.TechMailbox != sepsim.DemoTechMailbox || st.Return_.Organisations.Item[0].INN != sepsim.DemoLessorINN {
		t.Fatalf("settings: %+v", st.Return_)
	}
	// Fields left out keep their values; a bad one is refused in Russian with a stable code.
	var saved sepws.SaveSettingsResponse
	s.call(l.admin, l.pass, &sepws.SaveSettings{Organisations: st.Return_.Organisations}).Decode(t, &saved)
	if saved.Return_.SepResponsible != personSEP || saved.Return_.TechMailbox != sepsim.DemoTechMailbox {
		t.Fatalf("settings after a partial save: %+v", saved.Return_)
	}
	r := s.call(l.admin, l.pass, &sepws.SaveSettings{Organisations: &sepws.OrganisationList{Item: []*sepws.Organisation{{INN: "12", OGRN: "1", Name: "x"}}}})
	r.fault(t, "SEP_INVALID_REQUEST")
	if !strings.Contains(r.Fault.Detail.Message, "ИНН") {
		t.Fatalf("message: %q", r.Fault.Detail.Message)
	}
}

// TestRequestsAreChecked: references must be 1C UUIDs, pages bounded, statuses known.
func TestRequestsAreChecked(t *testing.T) {
	s := newStack(t)
	l := s.addLeasing("leasing-a")
	s.configure(l)
	u, p := l.user, l.pass
	s.call(u, p, &sepws.SaveAsset{Ref: "asset-1", Name: "x"}).fault(t, "SEP_REF_INVALID")
	s.call(u, p, &sepws.SaveAsset{Ref: asset(0), Name: "x", VIN: ptr("IOQ")}).fault(t, "SEP_INVALID_REQUEST")
	s.call(u, p, &sepws.SaveAsset{Ref: asset(0), Name: "x", EPTS: ptr("1234567890123456")}).fault(t, "SOAP_VALIDATION")
	s.call(u, p, &sepws.SavePerson{Ref: personIvanov, Name: "x", Email: ptr("not an address")}).fault(t, "SEP_INVALID_REQUEST")
	s.call(u, p, &sepws.GetQueue{Limit: ptr(int32(0))}).fault(t, "SEP_LIMIT_INVALID")
	s.call(u, p, &sepws.GetQueue{Cursor: ptr("garbage")}).fault(t, "SEP_BAD_CURSOR")
	s.call(u, p, &sepws.ConfirmOwnership{Number: "OC-1", Status: "Maybe"}).fault(t, "SEP_INVALID_REQUEST")
	s.call(u, p, &sepws.SendLease{Contract: "nope", UseTechMailbox: true}).fault(t, "SEP_REF_INVALID")
	s.call(u, p, &sepws.SendLease{Contract: "c0117ac7-0000-4000-8000-00000000ffff", UseTechMailbox: true}).fault(t, "SEP_CONTRACT_NOT_FOUND")
	s.call(u, p, &sepws.RequestApplications{Organisation: sepsim.DemoLessorINN, From: date(2025, 7, 31), To: date(2025, 7, 1)}).
		fault(t, "SEP_INVALID_REQUEST")
	// A request in the tenant's wall clock names the tenant's days: 1 July in Moscow is sent as
	// 2025-07-01 although it is 30 June in UTC.
	var e sepws.RequestApplicationsResponse
	s.call(u, p, &sepws.RequestApplications{Organisation: sepsim.DemoLessorINN, From: date(2025, 7, 1), To: date(2025, 7, 1)}).Decode(t, &e)
	if e.Return_.Subject != "Заявления за 01.07.2025–01.07.2025" || e.Return_.Status != "Получен номер очереди" {
		t.Fatalf("period request: %+v", e.Return_)
	}
}

// TestCatalogsOverOData: fixed assets and responsible persons are 1C catalogs the hub keeps;
// 1C writes them with POST, PATCH (If-Match DataVersion) and DELETE, and finds an asset by VIN.
func TestCatalogsOverOData(t *testing.T) {
	s := newStack(t)
	l := s.addLeasing("leasing-a")
	s.configure(l)
	v := sepsim.DemoVehicles()[1]
	if rows := s.rows(l, "Catalog_SepFixedAssets?$filter=VIN eq '"+v.VIN+"'"); len(rows) != 1 || rows[0]["Ref_Key"] != asset(1) ||
		rows[0]["EPTS"] != v.EPTS || rows[0]["Description"] != v.Make+" "+v.Model {
		t.Fatalf("asset by VIN: %v", rows)
	}
	if rows := s.rows(l, "Catalog_SepFixedAssets?$filter=EPTS eq '"+v.EPTS+"'&$select=Ref_Key"); len(rows) != 1 {
		t.Fatalf("asset by EPTS: %v", rows)
	}
	path := fmt.Sprintf("Catalog_SepFixedAssets(guid'%s')?$format=json", asset(1))
	status, body := s.odata(l, "GET", path, nil)
	var cur struct{ DataVersion, Responsible_Key string }
	if err := json.Unmarshal(body, &cur); status != http.StatusOK || err != nil {
		t.Fatalf("GET asset: %d %s", status, body)
	}
	if cur.Responsible_Key != "00000000-0000-0000-0000-000000000000" {
		t.Fatalf("no responsible yet: %s", body)
	}
	// A responsible person assigned by PATCH; the SOAP view agrees.
	if status, body := s.odata(l, "PATCH", path, map[string]any{"Responsible_Key": personSEP}); status != http.StatusOK {
		t.Fatalf("PATCH: %d %s", status, body)
	}
	if rows := s.rows(l, fmt.Sprintf("Catalog_SepFixedAssets?$filter=Ref_Key eq guid'%s'&$expand=Responsible", asset(1))); len(rows) != 1 ||
		!strings.Contains(fmt.Sprint(rows[0]["Responsible"]), "Петрова") {
		t.Fatalf("asset with its responsible: %v", rows)
	}
	// A stale DataVersion is refused with 412.
	req, _ := http.NewRequest("PATCH", s.srv.URL+"/odata/standard.odata/"+path, strings.NewReader(`{"Code":"ОС-0099"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("If-Match", cur.DataVersion)
	req.SetBasicAuth(l.user, l.pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusPreconditionFailed {
		t.Fatalf("PATCH with a stale DataVersion: %d", resp.StatusCode)
	}
	// Bad values are refused with the domain's code; a duplicate reference with a conflict.
	if status, body := s.odata(l, "POST", "Catalog_SepFixedAssets?$format=json", map[string]any{"Description": "x", "VIN": "bad"}); status != http.StatusBadRequest ||
		!strings.Contains(string(body), "SEP_INVALID_REQUEST") {
		t.Fatalf("POST bad VIN: %d %s", status, body)
	}
	if status, _ := s.odata(l, "POST", "Catalog_SepFixedAssets?$format=json", map[string]any{"Ref_Key": asset(1), "Description": "x"}); status != http.StatusConflict {
		t.Fatalf("POST duplicate: %d", status)
	}
	if status, body := s.odata(l, "DELETE", fmt.Sprintf("Catalog_SepFixedAssets(guid'%s')", asset(2)), nil); status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", status, body)
	}
	if rows := s.rows(l, "Catalog_SepFixedAssets"); len(rows) != 2 {
		t.Fatalf("assets after delete: %d", len(rows))
	}
	if rows := s.rows(l, "Catalog_SepResponsiblePersons?$orderby=Description"); len(rows) != 2 || rows[0]["Description"] != "Иванов Иван Иванович" ||
		rows[1]["Email"] != sepEmail {
		t.Fatalf("persons: %v", rows)
	}
	// $metadata publishes the registers and the periodic one's virtual tables.
	status, body = s.odata(l, "GET", "$metadata", nil)
	for _, want := range []string{`Name="InformationRegister_SepAssetStatuses"`, `Name="SliceLast"`, `Name="SliceFirst"`,
		`Name="InformationRegister_SepExchangeQueue"`, `Name="Catalog_SepFixedAssets"`} {
		if status != http.StatusOK || !strings.Contains(string(body), want) {
			t.Fatalf("$metadata lacks %s (%d)", want, status)
		}
	}
}
