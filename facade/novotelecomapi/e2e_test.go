package novotelecomapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
	ntsim "github.com/stykovka/stykovka/internal/sim/novotelecom"
	"github.com/stykovka/stykovka/wsdl/novotelecomws"
)

// configure saves the settings as a 1C administrator does: coding by «Город» codes, the
// server's login and password, details on, an hourly schedule.
func (s *stack) configure(c *tszh) *novotelecomws.Settings {
	s.t.Helper()
	var r novotelecomws.SaveSettingsResponse
	s.soap(c.admin, c.pass, "SaveSettings", el("Coding", "city"), el("Login", c.login), el("Password", c.password),
		el("ReportDetails", "true"), el("ExchangeEvery", "60")).Decode(s.t, &r)
	return r.Return_
}

// debtLine is one <Item> of SubmitDebts.
func debtLine(account, address, code, city, sber, amount string) string {
	return group("Item", el("Account", account), el("Address", address), el("Code", code), el("CityCode", city),
		el("SberCode", sber), el("Amount", amount))
}

// demoDebts are May 2018 debts of the demo accounts, as 1C sends them after its billing run.
var demoDebts = group("Lines",
	debtLine("8032001", "г. Новосибирск, ул. Ленина, 1-1", "1", "101", "S1", "1200.00"),
	debtLine("8032001", "г. Новосибирск, ул. Ленина, 1-1", "2", "102", "S2", "510.40"),
	debtLine("8032002", "г. Новосибирск, ул. Ленина, 1-2", "1", "101", "S1", "55.00"),
	debtLine("8032003", "г. Новосибирск, ул. Ленина, 1-3", "1", "101", "S1", "-20.00"),
)

func (s *stack) submitDebts(c *tszh, requestID string) *novotelecomws.Registry {
	s.t.Helper()
	var r novotelecomws.SubmitDebtsResponse
	s.soap(c.clerk, c.pass, "SubmitDebts", el("RequestId", requestID), el("Period", "2018-05-01T00:00:00"), demoDebts).Decode(s.t, &r)
	return r.Return_
}

func (s *stack) runExchange(c *tszh) *novotelecomws.ExchangeSession {
	s.t.Helper()
	var r novotelecomws.RunExchangeResponse
	s.soap(c.clerk, c.pass, "RunExchange").Decode(s.t, &r)
	return r.Return_
}

// pending reads every page of GetPendingRegistries, two registries a page.
func (s *stack) pending(c *tszh) []*novotelecomws.Registry {
	s.t.Helper()
	var out []*novotelecomws.Registry
	cursor := ""
	for {
		params := []string{el("Limit", "2")}
		if cursor != "" {
			params = append(params, el("Cursor", cursor))
		}
		var r novotelecomws.GetPendingRegistriesResponse
		s.soap(c.clerk, c.pass, "GetPendingRegistries", params...).Decode(s.t, &r)
		out = append(out, r.Return_.Item...)
		if r.Next == "" {
			return out
		}
		cursor = r.Next
	}
}

func registryLine(r *novotelecomws.Registry) string {
	return fmt.Sprintf("%s %s %03d %d %s", r.File, r.Date.In(time.UTC).Format("02.01.06"), r.Number, r.Count, r.Sum)
}

// TestSeedCycleFromASOAPClient plays the seed's cycle through the whole local stack, as 1C
// «Расчёты с собственниками помещений» would: settings → debts built → exchange → payments
// received, the broken Payments_20180621_007.txt rejected with file and line → the corrected
// one pending after the next exchange → accepted → its confirmation sent by the exchange
// after that → OData shows the registry accepted, its lines and the sessions.
func TestSeedCycleFromASOAPClient(t *testing.T) {
	s := newStack(t)
	c := s.addTSZH("tszh-17")

	// First start: no settings yet, so the module opens its settings.
	var gs novotelecomws.GetSettingsResponse
	s.soap(c.clerk, c.pass, "GetSettings").Decode(t, &gs)
	if gs.Return_.Configured {
		t.Fatalf("settings before the first save: %+v", gs.Return_)
	}
	if r := s.soap(c.clerk, c.pass, "SaveSettings", el("Coding", "city"), el("Login", c.login), el("Password", c.password),
		el("ReportDetails", "true"), el("ExchangeEvery", "60")); r.faultCode() != "NOVOTELECOM_ADMIN_REQUIRED" {
		t.Fatalf("a bookkeeper saved the settings: %+v", r.Fault)
	}
	if r := s.soap(c.clerk, c.pass, "RunExchange"); r.faultCode() != "NOVOTELECOM_NOT_CONFIGURED" {
		t.Fatalf("an exchange before the settings: %+v", r.Fault)
	}
	st := s.configure(c)
	if !st.Configured || st.Coding != "city" || st.CodingName != "по кодам «Города»" || !st.LoginSet || !st.PasswordSet ||
		!st.ReportDetails || st.ExchangeEvery != 60 || st.Charset != "CP1251" || st.Updated.Format(time.UTC) != "2018-06-21T16:00:00" {
		t.Fatalf("settings: %+v", st)
	}
	s.soap(c.clerk, c.pass, "GetSettings").Decode(t, &gs)
	if !gs.Return_.Configured || !gs.Return_.LoginSet {
		t.Fatalf("settings read back: %+v", gs.Return_)
	}
	// The password is write-only: it appears in no answer and in no log line.
	if raw := s.soap(c.clerk, c.pass, "GetSettings").Raw; strings.Contains(raw, c.password) || strings.Contains(raw, c.login) {
		t.Fatalf("GetSettings shows the credentials: %s", raw)
	}

	// Debts after the May billing run: dated the later of today (21.06) and 31.05.
	debts := s.submitDebts(c, "billing-2018-05")
	if debts.File != "Debts_20180621_001.txt" || debts.Kind != "DEBTS" || debts.KindName != "Задолженность" ||
		debts.Folder != "outgoing" || debts.FolderName != "Исходящие" || debts.Count != 4 || debts.Sum.String() != "1745.40" ||
		debts.Number != 1 || debts.Date.Format(time.UTC) != "2018-06-21T00:00:00" || debts.Period.Format(time.UTC) != "2018-05-01T00:00:00" ||
		debts.Id != debts.File || debts.Direction != "out" {
		t.Fatalf("debts: %+v", debts)
	}
	if again := s.submitDebts(c, "billing-2018-05"); again.File != debts.File || again.Count != 4 {
		t.Fatalf("the repeated request built %+v", again)
	}
	var file novotelecomws.GetRegistryFileResponse
	s.soap(c.clerk, c.pass, "GetRegistryFile", el("Id", debts.Id)).Decode(t, &file)
	if f := file.Return_; f.File != debts.File || f.Charset != "CP1251" || int(f.Size) != len(f.Content) ||
		!bytes.HasPrefix(f.Content, []byte("#MS1;DEBTS;001;21.06.2018;052018;4;1745.40;CP1251;\r\n8032001;")) {
		t.Fatalf("file: %+v\n%q", f, f.Content)
	}

	// Exchange 1: the debts go; the seed's registries and Novotelecom's answer come.
	s1 := s.runExchange(c)
	if s1.State != "done" || s1.StateName != "завершён" || s1.Manual != true || s1.Sent != 1 || s1.Received != 4 ||
		s1.Errors != 1 || s1.Rejected != 1 || s1.Awaiting != 2 || s1.Answers != 1 || s1.ErrorCode != "" ||
		s1.Message != "Передано файлов: 1, принято: 4, с ошибками: 1, реестров к приёму: 2" || len(s1.Details.Item) != 5 ||
		s1.Started.Format(time.UTC) != "2018-06-21T16:00:00" {
		t.Fatalf("session 1: %+v", s1)
	}
	var errs novotelecomws.GetErrorsResponse
	s.soap(c.clerk, c.pass, "GetErrors").Decode(t, &errs)
	const seedText = "Принятый файл Payments_20180621_007.txt отправлен в 'Ошибки'. В Новотелеком подготовлен отказ, " +
		"с указанием ошибки: 'строка: 1, неизв.лиц.счёт: 8032067'. Разбор возможен только вручную."
	if len(errs.Return_.Item) != 1 || errs.Next != "" {
		t.Fatalf("errors: %+v", errs)
	}
	if e := errs.Return_.Item[0]; e.File != "Payments_20180621_007.txt" || e.Line != 1 || e.Direction != "in" ||
		e.Message != "строка: 1, неизв.лиц.счёт: 8032067" || e.Text != seedText || e.RegistryId == "" {
		t.Fatalf("error: %+v", e)
	}
	rejectedID := errs.Return_.Item[0].RegistryId
	if r := s.soap(c.clerk, c.pass, "AcceptRegistry", el("Id", rejectedID)); r.faultCode() != "NOVOTELECOM_NOT_ACCEPTABLE" {
		t.Fatalf("accepting the broken registry: %+v", r.Fault)
	}
	var broken novotelecomws.GetRegistryFileResponse
	s.soap(c.clerk, c.pass, "GetRegistryFile", el("Id", rejectedID)).Decode(t, &broken)
	if !bytes.Equal(broken.Return_.Content, ntsim.DemoFiles()[0].Data) {
		t.Fatal("the broken registry is not stored as received")
	}
	got := s.pending(c)
	if len(got) != 2 || registryLine(got[0]) != "Payments_20180622_002.txt 22.06.18 002 1 100.00" ||
		registryLine(got[1]) != "Readings_20180622_001.txt 22.06.18 001 2 433.450" {
		t.Fatalf("pending after exchange 1: %+v", got)
	}

	// Exchange 2: the rejection goes; Novotelecom resends the corrected registry.
	s.clk.Advance(time.Hour)
	s2 := s.runExchange(c)
	if s2.State != "done" || s2.Sent != 1 || s2.Received != 1 || s2.Awaiting != 1 || s2.Errors != 0 {
		t.Fatalf("session 2: %+v", s2)
	}
	got = s.pending(c)
	var lines []string
	for _, r := range got {
		lines = append(lines, registryLine(r))
	}
	want := []string{
		"Payments_20180622_002.txt 22.06.18 002 1 100.00",
		"Readings_20180622_001.txt 22.06.18 001 2 433.450",
		"Payments_20180621_007.txt 21.06.18 007 2 1055.00",
	}
	if !slices.Equal(lines, want) {
		t.Fatalf("pending after exchange 2:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	fixed := got[2]
	if fixed.Id == rejectedID || fixed.Folder != "awaiting" || fixed.Direction != "in" || fixed.Kind != "PAYMENTS" ||
		fixed.KindName != "Оплаты" || fixed.Received.Format(time.UTC) != "2018-06-21T17:00:00" {
		t.Fatalf("the corrected registry: %+v", fixed)
	}

	// Acceptance: the «Реестр "Мои счета"» document, one payment per line, a confirmation.
	var acc novotelecomws.AcceptRegistryResponse
	s.soap(c.clerk, c.pass, "AcceptRegistry", el("Id", fixed.Id)).Decode(t, &acc)
	doc := acc.Return_
	if doc.Type != "PaymentsRegistry" || doc.Title != `Реестр "Мои счета"` || doc.Count != 2 || doc.Sum.String() != "1055.00" ||
		doc.Number != 7 || doc.File != "Payments_20180621_007.txt" || doc.RegistryId != fixed.Id || len(doc.Id) != 36 ||
		doc.Comment != "Принято из 'Мои Счета'" || doc.Confirmation != "Confirm_20180621_001.txt" ||
		doc.Date.Format(time.UTC) != "2018-06-21T00:00:00" || doc.Accepted.Format(time.UTC) != "2018-06-21T17:00:00" {
		t.Fatalf("document: %+v", doc)
	}
	if r := s.soap(c.clerk, c.pass, "AcceptRegistry", el("Id", fixed.Id)); r.faultCode() != "NOVOTELECOM_ALREADY_ACCEPTED" ||
		r.Status != http.StatusInternalServerError || !strings.Contains(r.Fault.String, "уже принят") {
		t.Fatalf("the second acceptance: %d %+v", r.Status, r.Fault)
	}
	if got := s.pending(c); len(got) != 2 {
		t.Fatalf("pending after acceptance: %d", len(got))
	}

	// Exchange 3: the confirmation goes.
	s.clk.Advance(time.Hour)
	s3 := s.runExchange(c)
	if s3.State != "done" || s3.Sent != 1 || s3.Received != 0 || s3.Message != "Передано файлов: 1, принято: 0" {
		t.Fatalf("session 3: %+v", s3)
	}
	var names []string
	var confirm []byte
	for _, u := range s.sim.Uploads(c.login) {
		names = append(names, u.Name)
		if u.Puts != 1 {
			t.Errorf("%s uploaded %d times", u.Name, u.Puts)
		}
		if u.Name == doc.Confirmation {
			confirm = u.Data
		}
	}
	if !slices.Equal(names, []string{"Debts_20180621_001.txt", "Reject_20180621_001.txt", "Confirm_20180621_001.txt"}) {
		t.Fatalf("the server received %v", names)
	}
	h, err := registry.Validate(bytes.NewReader(confirm), doc.Confirmation, registry.Options{Kind: registry.Confirm})
	if err != nil || h.Ref != "Payments_20180621_007.txt" || h.Count != 2 || h.Sum.String() != "1055.00" {
		t.Fatalf("confirmation: %+v %v\n%s", h, err, confirm)
	}

	// OData: the registry accepted, its document and its lines; the sessions.
	acc1 := s.rows(c.clerk, c.pass, "InformationRegister_NovotelecomRegistries?$format=json&$filter="+url.QueryEscape("Folder eq 'accepted'"))
	if len(acc1) != 1 {
		t.Fatalf("accepted registries: %+v", acc1)
	}
	r := acc1[0]
	if r["ID"] != fixed.Id || r["File"] != "Payments_20180621_007.txt" || r["Accepted"] != true || r["DocumentId"] != doc.Id ||
		r["DocumentType"] != "PaymentsRegistry" || r["Reply"] != doc.Confirmation || fmt.Sprint(r["Sum"]) != "1055" ||
		fmt.Sprint(r["Count"]) != "2" || r["Date"] != "2018-06-21T00:00:00" || r["AcceptedAt"] != "2018-06-21T17:00:00" ||
		r["FolderName"] != "Входящие: принят" {
		t.Fatalf("the accepted registry in OData: %+v", r)
	}
	lns := s.rows(c.clerk, c.pass, "InformationRegister_NovotelecomRegistryLines?$format=json&$filter="+url.QueryEscape("RegistryID eq '"+fixed.Id+"'"))
	if len(lns) != 2 || lns[0]["Account"] != "8032001" || fmt.Sprint(lns[0]["Amount"]) != "1000" || lns[0]["PaymentID"] != "NT-0000000101" ||
		lns[0]["Time"] != "2018-06-21T10:15:00" || lns[0]["Period"] != "2018-05-01T00:00:00" ||
		fmt.Sprint(lns[1]["LineNumber"]) != "2" || lns[1]["Account"] != "8032002" || fmt.Sprint(lns[1]["Amount"]) != "55" {
		t.Fatalf("lines: %+v", lns)
	}
	status, one := s.odata(c.clerk, c.pass, "InformationRegister_NovotelecomRegistryLines(RegistryID='"+fixed.Id+"',LineNumber=2)?$format=json")
	if status != http.StatusOK || !bytes.Contains(one, []byte(`"PaymentID":"NT-0000000102"`)) {
		t.Fatalf("line 2 by key: %d %s", status, one)
	}
	if status, _ := s.odata(c.clerk, c.pass, "InformationRegister_NovotelecomRegistryLines(RegistryID='"+fixed.Id+"',LineNumber=3)?$format=json"); status != http.StatusNotFound {
		t.Fatalf("line 3 by key: %d", status)
	}
	status, reg := s.odata(c.clerk, c.pass, "InformationRegister_NovotelecomRegistries(ID='"+debts.Id+"')?$format=json")
	if status != http.StatusOK || !bytes.Contains(reg, []byte(`"Folder":"processed"`)) {
		t.Fatalf("the debts by key: %d %s", status, reg)
	}
	// Every line of every registry, in pages of three: debts 4, the broken payments 2 (the
	// stored file as received), the corrected 2, the other payments 1, the readings 2, the
	// reject 1, the confirmation 2; answers have none.
	all := s.rows(c.clerk, c.pass, "InformationRegister_NovotelecomRegistryLines?$format=json&$top=1000")
	paged := s.rows(c.clerk, c.pass, "InformationRegister_NovotelecomRegistryLines?$format=json&$top=3")
	if len(paged) != 3 {
		t.Fatalf("$top=3 gave %d rows", len(paged))
	}
	if len(all) != 14 || len(all) != len(s.rows(c.clerk, c.pass, "InformationRegister_NovotelecomRegistryLines?$format=json")) {
		t.Fatalf("all lines: %d: %+v", len(all), all)
	}
	// Orders the domain does not keep: sorted by the handler within its scan limit, or
	// refused when the walk itself would have to run backwards.
	byDate := s.rows(c.clerk, c.pass, "InformationRegister_NovotelecomRegistries?$format=json&$orderby=Date")
	for i := 1; i < len(byDate); i++ {
		if byDate[i-1]["Date"].(string) > byDate[i]["Date"].(string) {
			t.Fatalf("$orderby=Date: %v before %v", byDate[i-1]["Date"], byDate[i]["Date"])
		}
	}
	if status, body := s.odata(c.clerk, c.pass, "InformationRegister_NovotelecomRegistries?$format=json&$orderby="+url.QueryEscape("ID desc")); status != http.StatusBadRequest ||
		!strings.Contains(string(body), "Обратный порядок не поддерживается") {
		t.Fatalf("$orderby=ID desc: %d %s", status, body)
	}
	sessions := s.rows(c.clerk, c.pass, "InformationRegister_NovotelecomSessions?$format=json")
	if len(sessions) != 3 || sessions[0]["ID"] != s3.Id || sessions[2]["ID"] != s1.Id || sessions[2]["Period"] != "2018-06-21T16:00:00" ||
		sessions[2]["Message"] != s1.Message || sessions[0]["StateName"] != "завершён" {
		t.Fatalf("sessions: %+v", sessions)
	}
	status, one = s.odata(c.clerk, c.pass, "InformationRegister_NovotelecomSessions(Period=datetime'2018-06-21T16:00:00',ID='"+s1.Id+"')?$format=json")
	if status != http.StatusOK || !bytes.Contains(one, []byte(`"Sent":1`)) {
		t.Fatalf("session by key: %d %s", status, one)
	}
	if status, _ := s.odata(c.clerk, c.pass, "InformationRegister_NovotelecomSessions(Period=datetime'2018-06-21T15:00:00',ID='"+s1.Id+"')?$format=json"); status != http.StatusNotFound {
		t.Fatalf("session by a wrong period: %d", status)
	}

	// Personal data (accounts, addresses) and secrets stay out of the logs.
	for _, secret := range []string{c.password, "8032067", "8032001", "Ленина"} {
		if strings.Contains(s.logs.String(), secret) {
			t.Errorf("the log contains %q", secret)
		}
	}
}

// TestTenantsAreIsolated: a second housing company sees, accepts, reads and exchanges none of
// the first one's registries, and its own server login stays its own.
func TestTenantsAreIsolated(t *testing.T) {
	s := newStack(t)
	a, b := s.addTSZH("tszh-a"), s.addTSZH("tszh-b")
	s.configure(a)
	s.submitDebts(a, "d-1")
	s.runExchange(a)
	pa := s.pending(a)
	if len(pa) != 2 {
		t.Fatalf("a's pending: %d", len(pa))
	}
	id := pa[0].Id

	var gs novotelecomws.GetSettingsResponse
	s.soap(b.clerk, b.pass, "GetSettings").Decode(t, &gs)
	if gs.Return_.Configured {
		t.Fatal("b sees a's settings")
	}
	if r := s.soap(b.admin, b.pass, "GetRegistryFile", el("Id", id)); r.faultCode() != "NOVOTELECOM_NO_REGISTRY" {
		t.Errorf("b's GetRegistryFile of a's registry: %+v", r.Fault)
	}
	if r := s.soap(b.clerk, b.pass, "RunExchange"); r.faultCode() != "NOVOTELECOM_NOT_CONFIGURED" {
		t.Errorf("b's exchange: %+v", r.Fault)
	}
	var errs novotelecomws.GetErrorsResponse
	s.soap(b.clerk, b.pass, "GetErrors").Decode(t, &errs)
	if len(errs.Return_.Item) != 0 {
		t.Errorf("b sees errors: %+v", errs.Return_.Item)
	}
	if got := s.pending(b); len(got) != 0 {
		t.Errorf("b's pending: %d", len(got))
	}
	for _, set := range []string{"InformationRegister_NovotelecomRegistries", "InformationRegister_NovotelecomRegistryLines", "InformationRegister_NovotelecomSessions"} {
		if rows := s.rows(b.clerk, b.pass, set+"?$format=json"); len(rows) != 0 {
			t.Errorf("b reads %d rows of %s", len(rows), set)
		}
	}
	if status, _ := s.odata(b.clerk, b.pass, "InformationRegister_NovotelecomRegistries(ID='"+id+"')?$format=json"); status != http.StatusNotFound {
		t.Errorf("b reads a's registry by key: %d", status)
	}
	if rows := s.rows(b.clerk, b.pass, "InformationRegister_NovotelecomRegistryLines?$format=json&$filter="+url.QueryEscape("RegistryID eq '"+id+"'")); len(rows) != 0 {
		t.Errorf("b reads a's lines: %d", len(rows))
	}
	// b configured with its own login exchanges its own files only.
	s.configure(b)
	if r := s.soap(b.admin, b.pass, "AcceptRegistry", el("Id", id)); r.faultCode() != "NOVOTELECOM_NO_REGISTRY" {
		t.Errorf("b's AcceptRegistry of a's registry: %+v", r.Fault)
	}
	if sb := s.runExchange(b); sb.Received != 3 || sb.Sent != 0 {
		t.Fatalf("b's exchange: %+v", sb)
	}
	if got := s.pending(a); len(got) != 2 || got[0].Id != id {
		t.Fatalf("a's pending after b's exchange: %+v", got)
	}
	if ups := s.sim.Uploads(b.login); len(ups) != 0 {
		t.Fatalf("b uploaded %+v", ups)
	}
}

// TestExchangeStoppedByTheServerIsAnAnswer: RunExchange answers a session the server broke
// off as failed, with its code and Russian message; the next call finishes the work.
func TestExchangeStoppedByTheServerIsAnAnswer(t *testing.T) {
	s := newStack(t)
	c := s.addTSZH("tszh-f")
	s.configure(c)
	s.sim.SetFaults(ntsim.Faults{Unavailable: 1000})
	f := s.runExchange(c)
	if f.State != "failed" || f.StateName != "не завершён" || f.ErrorCode != "NOVOTELECOM_UNAVAILABLE" ||
		!strings.HasPrefix(f.Message, "Обмен не завершён: Сервер «Мои счета» недоступен") {
		t.Fatalf("failed session: %+v", f)
	}
	s.sim.SetFaults(ntsim.Faults{})
	s.clk.Advance(time.Minute)
	if ok := s.runExchange(c); ok.State != "done" || ok.Received != 3 {
		t.Fatalf("the next session: %+v", ok)
	}
}

// TestRequestsAreChecked: the WSDL's schema, the facade's limits and the domain's rules each
// refuse bad requests with their stable codes.
func TestRequestsAreChecked(t *testing.T) {
	s := newStack(t)
	c := s.addTSZH("tszh-v")
	s.configure(c)
	for _, tc := range []struct {
		name, op string
		params   []string
		code     string
	}{
		{"no period", "SubmitDebts", []string{el("RequestId", "x"), el("Period", "0001-01-01T00:00:00"), demoDebts}, "NOVOTELECOM_PERIOD"},
		{"no lines", "SubmitDebts", []string{el("RequestId", "x"), el("Period", "2018-05-01T00:00:00")}, "SOAP_MISSING_ELEMENT"},
		{"amount not a number", "SubmitDebts", []string{el("RequestId", "x"), el("Period", "2018-05-01T00:00:00"),
			group("Lines", debtLine("8032001", "", "1", "101", "S1", "12,50"))}, "SOAP_BAD_VALUE"},
		{"bad account", "SubmitDebts", []string{el("RequestId", "x"), el("Period", "2018-05-01T00:00:00"),
			group("Lines", debtLine("80;32001", "", "1", "101", "S1", "12.50"))}, "NOVOTELECOM_BAD_LINE"},
		{"no city code", "SubmitDebts", []string{el("RequestId", "x"), el("Period", "2018-05-01T00:00:00"),
			group("Lines", group("Item", el("Account", "8032001"), el("Amount", "1.00")))}, "NOVOTELECOM_BAD_LINE"},
		{"long request id", "SubmitDebts", []string{el("RequestId", strings.Repeat("x", 65)), el("Period", "2018-05-01T00:00:00"), demoDebts}, "SOAP_VALIDATION"},
		{"unknown coding", "SaveSettings", []string{el("Coding", "bank"), el("ReportDetails", "false"), el("ExchangeEvery", "0")}, "NOVOTELECOM_VALIDATION"},
		{"schedule too rare", "SaveSettings", []string{el("Coding", "city"), el("ReportDetails", "false"), el("ExchangeEvery", "1441")}, "SOAP_VALIDATION"},
		{"limit", "GetPendingRegistries", []string{el("Limit", "1001")}, "SOAP_VALIDATION"},
		{"cursor", "GetErrors", []string{el("Cursor", "bm9wZQ")}, "NOVOTELECOM_CURSOR"},
		{"no registry", "AcceptRegistry", []string{el("Id", "Payments_20180621_999.txt")}, "NOVOTELECOM_NO_REGISTRY"},
		{"not a file id", "GetRegistryFile", []string{el("Id", "../../etc/passwd")}, "NOVOTELECOM_NO_REGISTRY"},
		{"service without its «Город» code", "SubmitServices", []string{el("RequestId", "s"),
			group("Services", group("Item", el("Name", "Вода")))}, "NOVOTELECOM_BAD_LINE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.soap(c.admin, c.pass, tc.op, tc.params...)
			if r.faultCode() != tc.code {
				t.Fatalf("%s: fault %+v, want %s\n%s", tc.op, r.Fault, tc.code, r.Raw)
			}
		})
	}
	// The same RequestId with other data is refused.
	s.submitDebts(c, "same")
	r := s.soap(c.clerk, c.pass, "SubmitDebts", el("RequestId", "same"), el("Period", "2018-04-01T00:00:00"), demoDebts)
	if r.faultCode() != "NOVOTELECOM_REQUEST_REUSED" {
		t.Fatalf("a reused request id: %+v", r.Fault)
	}
}

// TestLargeFilesAreReadAsLines: a registry over MaxFileContent is not returned whole through
// SOAP, its lines are read through OData page by page.
func TestLargeFilesAreReadAsLines(t *testing.T) {
	s := newStack(t)
	c := s.addTSZH("tszh-big")
	s.configure(c)
	s.submitDebts(c, "d")
	var recs []registry.Record
	var buf bytes.Buffer
	for i := range 80_000 {
		recs = append(recs, registry.Record{Account: "8032001", Period: registry.Period{Year: 2018, Month: time.May},
			Amount: mustMoney("1.00"), Time: time.Date(2018, 6, 21, 10, 0, 0, 0, time.UTC), ID: fmt.Sprintf("NT-%010d", i)})
	}
	if _, err := registry.Build(&buf, registry.Header{Kind: registry.Payments, Number: 9, Date: registry.Date(2018, 6, 21), Charset: registry.CP1251}, slices.Values(recs)); err != nil {
		t.Fatal(err)
	}
	if buf.Len() <= 4<<20 {
		t.Fatalf("the registry has only %d bytes", buf.Len())
	}
	s.sim.Offer(c.login, "Payments_20180621_009.txt", buf.Bytes())
	s.runExchange(c)
	var big *novotelecomws.Registry
	for _, r := range s.pending(c) {
		if r.File == "Payments_20180621_009.txt" {
			big = r
		}
	}
	if big == nil || big.Count != 80_000 || big.Sum.String() != "80000.00" {
		t.Fatalf("the large registry: %+v", big)
	}
	if r := s.soap(c.clerk, c.pass, "GetRegistryFile", el("Id", big.Id)); r.faultCode() != "NOVOTELECOM_FILE_TOO_LARGE" {
		t.Fatalf("GetRegistryFile: %+v", r.Fault)
	}
	// $skip far into the file: the handler reads MaxScan lines a request and links on.
	far := s.rows(c.clerk, c.pass, "InformationRegister_NovotelecomRegistryLines?$format=json&$top=2&$skip=79997&$filter="+url.QueryEscape("RegistryID eq '"+big.Id+"'"))
	if len(far) != 2 || fmt.Sprint(far[0]["LineNumber"]) != "79998" || far[1]["PaymentID"] != "NT-0000079998" {
		t.Fatalf("lines far in: %+v", far)
	}
	status, one := s.odata(c.clerk, c.pass, "InformationRegister_NovotelecomRegistryLines(RegistryID='"+big.Id+"',LineNumber=80000)?$format=json")
	if status != http.StatusOK || !bytes.Contains(one, []byte("NT-0000079999")) {
		t.Fatalf("the last line by key: %d %s", status, one)
	}
}

func mustMoney(s string) money.Decimal { return money.MustParse(s) }
