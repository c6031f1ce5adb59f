package sepapi_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/hub"
	"github.com/stykovka/stykovka/internal/sep"
	sepsim "github.com/stykovka/stykovka/internal/sim/sep"
	"github.com/stykovka/stykovka/wsdl/sepws"
)

// TestOwnershipThenLeaseThroughTheFacade drives both flows of the seed from a SOAP client
// through the whole local stack — facade, hub, SEP simulator over HTTP, the local mail folder
// and the hub's scheduled jobs — on one fake clock: a dealer's ownership-change letter →
// personal notification → «Запрос данных заявления» → 60 s → confirmation with the code from
// the letter → «В собственности»; then a lease application to the technical mailbox → the
// lessee's code from SEP's letter, typed by hand → «В лизинге». The registers are read over
// OData, the asset status with SliceLast.
func TestOwnershipThenLeaseThroughTheFacade(t *testing.T) {
	start := time.Now()
	s := newStack(t)
	l := s.addLeasing("leasing-a")
	s.configure(l)
	truck := sepsim.DemoVehicles()[0]
	u, p := l.user, l.pass

	// The dealer starts the ownership change in SEP; SEP writes to the leasing company, the
	// mail server drops the letter into the tenant's folder, the mail job reads it.
	number, err := s.sim.CreateOwnershipChange(truck.EPTS, sepsim.DemoLessorINN, t0.AddDate(0, 0, 14))
	if err != nil {
		t.Fatal(err)
	}
	if n := s.mailRoute(l.id, sepsim.DemoMailbox, sepsim.DemoTechMailbox); n != 1 {
		t.Fatalf("letters routed: %d", n)
	}
	var counts sepws.GetCountsResponse
	s.call(u, p, &sepws.GetCounts{}).Decode(t, &counts)
	if counts.Return_.Letters != 0 {
		t.Fatalf("counted before the mail job: %+v", counts.Return_)
	}
	s.job(hub.SepMailJob)
	if left, _ := os.ReadDir(filepath.Join(s.mailDir, l.id)); len(left) != 0 {
		t.Fatalf("the mail job left %d files", len(left))
	}
	s.call(u, p, &sepws.GetCounts{}).Decode(t, &counts)
	if c := counts.Return_; c.Letters != 1 || c.Waiting != 0 || c.Ownership != 0 {
		t.Fatalf("counts after the letter: %+v", c)
	}
	var letters sepws.GetLettersResponse
	s.call(u, p, &sepws.GetLetters{ToProcess: ptr(true)}).Decode(t, &letters)
	if len(letters.Return_.Item) != 1 {
		t.Fatalf("letters to process: %+v", letters.Return_)
	}
	letter := letters.Return_.Item[0]
	if letter.EPTS != truck.EPTS || letter.VIN != truck.VIN || letter.Code == "" || letter.Application != number ||
		letter.Notified != personIvanov || letter.ToSepResponsible || letter.Status != sep.LetterNew ||
		len(letter.Assets.Item) != 1 || letter.Assets.Item[0] != asset(0) {
		t.Fatalf("letter: %+v", letter)
	}
	// The responsible person got a personal notification (readable by 1C, and e-mailed).
	var notes sepws.GetNotificationsResponse
	s.call(u, p, &sepws.GetNotifications{Person: ptr(personIvanov)}).Decode(t, &notes)
	if len(notes.Return_.Item) != 1 || !notes.Return_.Item[0].Emailed || notes.Return_.Item[0].Asset != asset(0) {
		t.Fatalf("notifications: %+v", notes.Return_)
	}
	if mail, err := s.blobs.Get(s.ctx, sep.OutboxKey(l.id, notes.Return_.Item[0].Id)); err != nil || !strings.Contains(string(mail), "To: "+ivanovEmail) {
		t.Fatalf("notification e-mail: %v\n%s", err, mail)
	}

	// «Запрос данных заявления»: queued at once, status blue.
	var req sepws.RequestLetterDataResponse
	s.call(u, p, &sepws.RequestLetterData{Organisation: sepsim.DemoLessorINN,
		Letters: &sepws.StringList{Item: []string{letter.Id}}, RequestId: ptr("5f0c8a2e-req-letter-1")}).Decode(t, &req)
	entry := req.Return_.Item[0]
	if entry.Status != string(sep.StatusQueued) || entry.StatusColor != "blue" || entry.QueueId == "" || entry.Letter != letter.Id {
		t.Fatalf("letter data request: %+v", entry)
	}
	// The widget sees one waiting request, not yet ready; PollNow and the poller ask nothing
	// before 60 s.
	s.advance(30 * time.Second)
	s.call(u, p, &sepws.GetCounts{}).Decode(t, &counts)
	if c := counts.Return_; c.Waiting != 1 || c.Ready != 0 {
		t.Fatalf("counts at 30 s: %+v", c)
	}
	if w := s.rows(l, "InformationRegister_SepExchangeQueue?$filter=Waiting eq true"); len(w) != 1 || w[0]["Id"] != entry.Id ||
		w[0]["StatusColor"] != "blue" || w[0]["Due"] != msk(t0.Add(time.Minute)).Format("2006-01-02T15:04:05") {
		t.Fatalf("waiting requests over OData: %v", w)
	}
	var poll sepws.PollNowResponse
	s.call(u, p, &sepws.PollNow{}).Decode(t, &poll)
	s.job(hub.SepPollerJob)
	s.advance(29 * time.Second)
	s.job(hub.SepPollerJob)
	if poll.Return_.Due != 0 || s.resultCalls() != 0 {
		t.Fatalf("asked before 60 s: %+v, %d calls", poll.Return_, s.resultCalls())
	}
	s.advance(time.Second)
	s.call(u, p, &sepws.GetCounts{}).Decode(t, &counts)
	if c := counts.Return_; c.Waiting != 1 || c.Ready != 1 {
		t.Fatalf("counts at 60 s: %+v", c)
	}
	tick := s.job(hub.SepPollerJob)
	calls := len(s.sim.Calls())
	s.jobAt(tick) // EventBridge delivers the tick again
	if len(s.sim.Calls()) != calls {
		t.Fatalf("a duplicate tick called SEP again: %d → %d", calls, len(s.sim.Calls()))
	}
	var got sepws.GetQueueEntryResponse
	s.call(u, p, &sepws.GetQueueEntry{Id: entry.Id}).Decode(t, &got)
	if e := got.Return_; e.Status != string(sep.StatusAnswered) || e.StatusColor != "green" || e.Outcome != "Completed" ||
		len(e.Applications.Item) != 1 || e.Applications.Item[0] != number {
		t.Fatalf("entry after 60 s: %+v", e)
	}

	// «Смена собственника»: the open application with owners and the letter's code, by the
	// responsible person, the asset, a part of the VIN, the EPTS.
	var rows sepws.GetOwnershipChangesResponse
	s.call(u, p, &sepws.GetOwnershipChanges{Responsible: ptr(personIvanov)}).Decode(t, &rows)
	if len(rows.Return_.Item) != 1 {
		t.Fatalf("ownership changes: %+v", rows.Return_)
	}
	row := rows.Return_.Item[0]
	if row.Number != number || row.Code != letter.Code || row.CurrentOwner.INN != sepsim.DemoDealerINN ||
		row.NewOwner.INN != sepsim.DemoLessorINN || row.NewOwner.Status != "Pending" || row.Status != sep.AppPending ||
		row.Assets.Item[0] != asset(0) || row.RequestStatus != string(sep.StatusAnswered) || row.RequestStatusColor != "green" {
		t.Fatalf("ownership row: %+v", row)
	}
	for _, f := range []*sepws.GetOwnershipChanges{{Asset: ptr(asset(0))}, {VIN: ptr(truck.VIN[9:])}, {EPTS: ptr(truck.EPTS)}} {
		var r sepws.GetOwnershipChangesResponse
		s.call(u, p, f).Decode(t, &r)
		if len(r.Return_.Item) != 1 {
			t.Fatalf("filter %+v: %d rows", f, len(r.Return_.Item))
		}
	}
	s.call(u, p, &sepws.GetOwnershipChanges{Responsible: ptr(personSEP)}).Decode(t, &rows)
	if len(rows.Return_.Item) != 0 {
		t.Fatalf("another person's filter: %+v", rows.Return_.Item)
	}
	var app sepws.GetApplicationResponse
	s.call(u, p, &sepws.GetApplication{Number: number}).Decode(t, &app)
	if a := app.Return_; a.Type != "OwnershipChange" || len(a.Parties.Item) != 2 || a.Vehicles.Item[0].EPTS != truck.EPTS {
		t.Fatalf("application: %+v", a)
	}

	// «Подтвердить» with the code from the letter.
	var conf sepws.ConfirmOwnershipResponse
	s.call(u, p, &sepws.ConfirmOwnership{Number: number, Status: "Confirmed", RequestId: ptr("confirm-1")}).Decode(t, &conf)
	if conf.Return_.Status != string(sep.StatusQueued) {
		t.Fatalf("confirm: %+v", conf.Return_)
	}
	s.advance(59 * time.Second)
	s.job(hub.SepPollerJob)
	if s.sliceLast(l, asset(0), msk(s.clk.Now())) != "" {
		t.Fatal("a status before SEP answered")
	}
	s.advance(time.Second)
	s.job(hub.SepPollerJob)
	s.call(u, p, &sepws.GetApplication{Number: number}).Decode(t, &app)
	if app.Return_.Status != sep.AppExecuted {
		t.Fatalf("application after confirmation: %+v", app.Return_)
	}
	owned := msk(s.clk.Now())
	if st := s.sliceLast(l, asset(0), owned); st != sep.AssetOwned {
		t.Fatalf("asset status: %q", st)
	}
	s.call(u, p, &sepws.GetOwnershipChanges{}).Decode(t, &rows)
	if len(rows.Return_.Item) != 0 {
		t.Fatalf("executed application still listed: %+v", rows.Return_.Item)
	}
	// SEP's «исполнено» letters reach the mailbox too; the mail job takes them.
	s.mailRoute(l.id, sepsim.DemoMailbox, sepsim.DemoTechMailbox)
	s.job(hub.SepMailJob)

	// Lease: the appendix of a lease contract for the truck, from 1C.
	s.advance(time.Hour)
	contract := "c0117ac7-0000-4000-8000-000000000001"
	var ct sepws.SaveLeaseContractResponse
	s.call(u, p, &sepws.SaveLeaseContract{Ref: contract, Organisation: sepsim.DemoLessorINN,
		DocName: ptr("Приложение к договору лизинга"), DocNumber: "ДЛ-2025/17", DocDate: date(2025, 7, 7), LeaseEnd: date(2028, 7, 7),
		LesseeINN: sepsim.DemoLesseeINN, LesseeOGRN: ptr(sepsim.DemoLesseeOGRN), LesseeName: ptr("ООО «Магистраль-Перевозки»"),
		LesseeEmail: ptr("fleet@magistral.example"), Assets: &sepws.StringList{Item: []string{asset(0)}}}).Decode(t, &ct)
	if ct.Return_.DocDate.Format(time.UTC) != "2025-07-07T00:00:00" {
		t.Fatalf("contract: %+v", ct.Return_)
	}
	var cands sepws.GetLeaseCandidatesResponse
	s.call(u, p, &sepws.GetLeaseCandidates{Organisation: sepsim.DemoLessorINN, From: date(2025, 7, 1), To: date(2025, 7, 31)}).Decode(t, &cands)
	if len(cands.Return_.Item) != 1 || !cands.Return_.Item[0].Ready || cands.Return_.Item[0].Assets.Item[0].Status != sep.AssetOwned {
		t.Fatalf("candidates: %+v", cands.Return_)
	}
	var lease sepws.SendLeaseResponse
	s.call(u, p, &sepws.SendLease{Contract: contract, Deadline: ptr(date(2025, 7, 21)), UseTechMailbox: true,
		RequestId: ptr("lease-1")}).Decode(t, &lease)
	la := lease.Return_
	if la.RequestStatus != string(sep.StatusQueued) || la.RequestStatusColor != "blue" || la.LessorStatus != "Confirmed" ||
		la.LesseeStatus != "NotApplicable" || la.Deadline.Format(time.UTC) != "2025-07-21T00:00:00" || la.Status != sep.LeaseSending {
		t.Fatalf("lease sent: %+v", la)
	}
	s.call(u, p, &sepws.ConfirmLease{Lease: la.Id, LesseeStatus: "Confirmed", Code: ptr("123456")}).fault(t, "SEP_LEASE_NOT_CREATED")
	s.advance(time.Minute)
	s.job(hub.SepPollerJob)
	s.call(u, p, &sepws.SendLease{Contract: contract, UseTechMailbox: true, RequestId: ptr("lease-1")}).Decode(t, &lease)
	la = lease.Return_
	if la.Number == "" || la.Status != sep.AppPending || la.RequestStatus != string(sep.StatusAnswered) {
		t.Fatalf("lease after the answer: %+v", la)
	}
	// SEP mailed the lessee's code to the technical mailbox: a letter with the EPTS only.
	if n := s.mailRoute(l.id, sepsim.DemoMailbox, sepsim.DemoTechMailbox); n != 1 {
		t.Fatalf("lease letters routed: %d", n)
	}
	s.job(hub.SepMailJob)
	s.call(u, p, &sepws.GetLetters{ToProcess: ptr(true)}).Decode(t, &letters)
	var codeLetter *sepws.Letter
	for _, x := range letters.Return_.Item {
		if x.Application == la.Number {
			codeLetter = x
		}
	}
	if codeLetter == nil || codeLetter.Code == "" || codeLetter.VIN != "" || codeLetter.EPTS != truck.EPTS {
		t.Fatalf("lease letter: %+v", letters.Return_.Item)
	}
	// The operator types the code from the letter by hand.
	var cl sepws.ConfirmLeaseResponse
	s.call(u, p, &sepws.ConfirmLease{Lease: la.Id, LesseeStatus: "Confirmed", Code: ptr(codeLetter.Code),
		RequestId: ptr("lease-1-confirm")}).Decode(t, &cl)
	if cl.Return_.RequestStatus != string(sep.StatusQueued) {
		t.Fatalf("confirm lease: %+v", cl.Return_)
	}
	s.advance(time.Minute)
	s.job(hub.SepPollerJob)
	s.call(u, p, &sepws.SendLease{Contract: contract, UseTechMailbox: true, RequestId: ptr("lease-1")}).Decode(t, &lease)
	if lease.Return_.Status != sep.AppExecuted || lease.Return_.LesseeStatus != "Confirmed" {
		t.Fatalf("lease after confirmation: %+v", lease.Return_)
	}
	if st := s.sliceLast(l, asset(0), msk(s.clk.Now())); st != sep.AssetLeased {
		t.Fatalf("asset status: %q", st)
	}
	// The periodic register still knows the earlier status at the earlier moment.
	if st := s.sliceLast(l, asset(0), owned); st != sep.AssetOwned {
		t.Fatalf("asset status at %v: %q", owned, st)
	}
	if v, _ := s.sim.Vehicle(truck.EPTS); v.OwnerINN != sepsim.DemoLessorINN || v.LesseeINN != sepsim.DemoLesseeINN {
		t.Fatalf("SEP's vehicle: %+v", v)
	}

	// The seven registers over OData.
	hist := s.rows(l, "InformationRegister_SepExchangeHistory")
	queue := s.rows(l, "InformationRegister_SepExchangeQueue")
	codes := s.rows(l, "InformationRegister_SepConfirmationCodes")
	statuses := s.rows(l, "InformationRegister_SepAssetStatuses")
	apps := s.rows(l, "InformationRegister_SepApplicationData")
	errs := s.rows(l, "InformationRegister_SepExchangeErrors")
	leases := s.rows(l, "InformationRegister_SepLeaseApplications")
	if len(queue) != 4 || len(hist) != 8 || len(codes) != 2 || len(statuses) != 2 || len(apps) != 2 || len(errs) != 0 || len(leases) != 1 {
		t.Fatalf("registers: queue %d history %d codes %d statuses %d apps %d errors %d leases %d",
			len(queue), len(hist), len(codes), len(statuses), len(apps), len(errs), len(leases))
	}
	for _, q := range queue {
		if q["Status"] != string(sep.StatusAnswered) || q["StatusColor"] != "green" || q["Waiting"] != false {
			t.Fatalf("queue record: %v", q)
		}
	}
	for _, c := range codes {
		if c["Used"] != true {
			t.Fatalf("code not used: %v", c)
		}
	}
	if statuses[0]["Asset_Key"] != asset(0) || statuses[0]["Status"] != sep.AssetOwned || statuses[1]["Status"] != sep.AssetLeased {
		t.Fatalf("statuses: %v", statuses)
	}
	if leases[0]["Number"] != la.Number || leases[0]["Status"] != sep.AppExecuted || leases[0]["UseTechMailbox"] != true {
		t.Fatalf("lease record: %v", leases[0])
	}
	// Point reads by the registers' keys, as 1C addresses a record.
	if rec := s.rows(l, "InformationRegister_SepApplicationData?$filter=Number eq '"+number+"'"); len(rec) != 1 || rec[0]["Status"] != sep.AppExecuted ||
		rec[0]["NewOwnerINN"] != sepsim.DemoLessorINN {
		t.Fatalf("application record: %v", rec)
	}
	status, body := s.odata(l, "GET", fmt.Sprintf("InformationRegister_SepAssetStatuses(Period=datetime'%s',Asset_Key=guid'%s')?$format=json",
		statuses[0]["Period"], asset(0)), nil)
	if status != http.StatusOK || !strings.Contains(string(body), sep.AssetOwned) {
		t.Fatalf("status record by key: %d %s", status, body)
	}
	h := hist[3]
	status, body = s.odata(l, "GET", fmt.Sprintf("InformationRegister_SepExchangeHistory(Period=datetime'%s',EntryId='%s',Call=%v)?$format=json",
		h["Period"], h["EntryId"], h["Call"]), nil)
	if status != http.StatusOK || !strings.Contains(string(body), fmt.Sprint(h["Answer"])) {
		t.Fatalf("history record by key: %d %s", status, body)
	}
	if rec := s.rows(l, "InformationRegister_SepExchangeQueue?$filter=Id eq '"+entry.Id+"'"); len(rec) != 1 || rec[0]["LetterId"] != letter.Id {
		t.Fatalf("queue record by id: %v", rec)
	}
	// SliceLast over every asset, and SliceFirst.
	if all := s.rows(l, "InformationRegister_SepAssetStatuses/SliceLast()"); len(all) != 1 || all[0]["Status"] != sep.AssetLeased {
		t.Fatalf("SliceLast(): %v", all)
	}
	if first := s.rows(l, "InformationRegister_SepAssetStatuses/SliceFirst(Period=datetime'2025-07-01T00:00:00')"); len(first) != 1 ||
		first[0]["Status"] != sep.AssetOwned {
		t.Fatalf("SliceFirst: %v", first)
	}
	if cond := s.rows(l, "InformationRegister_SepAssetStatuses/SliceLast(Condition='Status eq ''"+sep.AssetOwned+"''')"); len(cond) != 1 ||
		cond[0]["Status"] != sep.AssetOwned {
		t.Fatalf("SliceLast with a condition on the status: %v", cond)
	}

	// The queue, the widget and the rule.
	var q sepws.GetQueueResponse
	s.call(u, p, &sepws.GetQueue{WaitingOnly: ptr(true)}).Decode(t, &q)
	if len(q.Return_.Item) != 0 {
		t.Fatalf("waiting at the end: %+v", q.Return_.Item)
	}
	s.call(u, p, &sepws.GetQueue{Limit: ptr(int32(3))}).Decode(t, &q)
	if len(q.Return_.Item) != 3 || q.Next == "" {
		t.Fatalf("first page of the queue: %d items, next %q", len(q.Return_.Item), q.Next)
	}
	s.call(u, p, &sepws.GetQueue{Limit: ptr(int32(3)), Cursor: ptr(q.Next)}).Decode(t, &q)
	if len(q.Return_.Item) != 1 || q.Next != "" {
		t.Fatalf("second page of the queue: %d items, next %q", len(q.Return_.Item), q.Next)
	}
	s.call(u, p, &sepws.GetCounts{}).Decode(t, &counts)
	if c := counts.Return_; c.Waiting != 0 || c.Ownership != 0 || c.Leases != 0 {
		t.Fatalf("counts at the end: %+v", c)
	}
	s.assertNeverEarly()
	// Personal data stays out of the logs.
	for _, secret := range []string{ivanovEmail, "Иванов", letter.Code, codeLetter.Code, "fleet@magistral.example"} {
		if strings.Contains(s.logs.String(), secret) {
			t.Fatalf("the log holds %q", secret)
		}
	}
	t.Logf("both flows through the facade: %v", time.Since(start))
}
