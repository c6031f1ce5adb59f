package sep_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/retention"
	"github.com/stykovka/stykovka/internal/sep"
	sepsim "github.com/stykovka/stykovka/internal/sim/sep"
)

// TestOwnershipThenLease drives both flows of the seed end to end, against the simulator
// over HTTP, on both store adapters: a dealer's ownership-change letter → notification →
// application data → confirmation → "В собственности"; then a lease application → the
// lessee's code by mail → confirmation → "В лизинге".
func TestOwnershipThenLease(t *testing.T) {
	for _, ad := range adapters {
		t.Run(ad.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			e := newEnv(t, ad, sep.Options{})
			e.setup()
			ctx := e.ctx
			truck := sepsim.DemoVehicles()[0]

			// The dealer starts the ownership change in SEP; SEP writes to us.
			number, err := e.sim.CreateOwnershipChange(truck.EPTS, sepsim.DemoLessorINN, t0.AddDate(0, 0, 14))
			if err != nil {
				t.Fatal(err)
			}
			letters := e.ingestOutbox(0)
			if len(letters) != 1 {
				t.Fatalf("letters: %d", len(letters))
			}
			l := letters[0]
			if l.EPTS != truck.EPTS || l.VIN != truck.VIN || l.Code == "" || l.ApplicationNumber != number ||
				l.Status != sep.LetterNew || l.NotifiedID != personIvanov || l.ToSEPResponsible {
				t.Fatalf("letter: %+v", l)
			}
			// The responsible person got a personal notification, readable by 1C and e-mailed.
			notes, err := e.svc.Notifications(ctx, tenant, sep.NotificationQuery{PersonID: personIvanov})
			if err != nil || len(notes.Items) != 1 || !notes.Items[0].Emailed || notes.Items[0].AssetID != "asset-1" {
				t.Fatalf("notifications: %+v, %v", notes, err)
			}
			mail, err := e.blobs.Get(ctx, sep.OutboxKey(tenant, notes.Items[0].ID))
			if err != nil || !strings.Contains(string(mail), "To: "+ivanovEmail) {
				t.Fatalf("notification e-mail: %v\n%s", err, mail)
			}
			if _, ok, err := retention.BlobDue(ctx, e.st, tenant, sep.OutboxKey(tenant, notes.Items[0].ID)); !ok || err != nil {
				t.Fatalf("the notification file has no lease: %v", err)
			}
			counts, _ := e.svc.Counts(ctx, tenant)
			if counts.Letters != 1 {
				t.Fatalf("counts: %+v", counts)
			}

			// «Запрос данных заявления» for the letter: queued at once.
			entries, err := e.svc.RequestLetterData(ctx, tenant, sep.LetterDataRequest{RequestID: "req-1",
				OrganisationINN: sepsim.DemoLessorINN, LetterIDs: []string{l.ID}})
			if err != nil || len(entries) != 1 || entries[0].Status != sep.StatusQueued || entries[0].QueueID == "" {
				t.Fatalf("letter data: %+v, %v", entries, err)
			}
			// A repeated call (a double click) is the same request.
			again, err := e.svc.RequestLetterData(ctx, tenant, sep.LetterDataRequest{RequestID: "req-1",
				OrganisationINN: sepsim.DemoLessorINN, LetterIDs: []string{l.ID}})
			if err != nil || again[0].ID != entries[0].ID {
				t.Fatalf("repeat: %+v, %v", again, err)
			}
			// Ticks before 60 s ask nothing.
			e.tick(30 * time.Second)
			e.tick(29 * time.Second)
			if n := len(e.resultCalls()); n != 0 {
				t.Fatalf("GetResult before 60 s: %d", n)
			}
			e.tick(time.Second)
			if got := e.entry(entries[0].ID); got.Status != sep.StatusAnswered || got.Outcome != sep.OutcomeCompleted {
				t.Fatalf("entry after 60 s: %+v", got)
			}
			if got, _ := e.svc.Letter(ctx, tenant, l.ID); got.Status != sep.LetterDone {
				t.Fatalf("letter after answer: %+v", got)
			}

			// «Смена собственника»: the open application, filtered by the responsible person.
			rows, err := e.svc.OwnershipChanges(ctx, tenant, sep.OwnershipFilter{ResponsibleID: personIvanov})
			if err != nil || len(rows.Items) != 1 {
				t.Fatalf("ownership list: %+v, %v", rows, err)
			}
			row := rows.Items[0]
			if row.Number != number || row.Code != l.Code || row.NewOwner.INN != sepsim.DemoLessorINN ||
				row.CurrentOwner.INN != sepsim.DemoDealerINN || row.NewOwner.Status != sep.PartyPending ||
				row.Status != sep.AppPending || len(row.AssetIDs) != 1 || row.AssetIDs[0] != "asset-1" {
				t.Fatalf("ownership row: %+v", row)
			}
			for _, f := range []sep.OwnershipFilter{{VIN: truck.VIN[10:]}, {EPTS: truck.EPTS}, {AssetID: "asset-1"}} {
				if rows, _ := e.svc.OwnershipChanges(ctx, tenant, f); len(rows.Items) != 1 {
					t.Fatalf("filter %+v: %d rows", f, len(rows.Items))
				}
			}
			if rows, _ := e.svc.OwnershipChanges(ctx, tenant, sep.OwnershipFilter{ResponsibleID: personSEP}); len(rows.Items) != 0 {
				t.Fatalf("filter by another person: %+v", rows.Items)
			}

			// Confirm with the code from the letter.
			conf, err := e.svc.ConfirmOwnership(ctx, tenant, sep.ConfirmRequest{RequestID: "conf-1", Number: number, Status: sep.PartyConfirmed})
			if err != nil || conf.Status != sep.StatusQueued {
				t.Fatalf("confirm: %+v, %v", conf, err)
			}
			e.tick(59 * time.Second)
			if got := e.entry(conf.ID); got.Status != sep.StatusQueued {
				t.Fatalf("confirm answered early: %+v", got)
			}
			e.tick(time.Second)
			app, err := e.svc.ApplicationData(ctx, tenant, number)
			if err != nil || app.Status != sep.AppExecuted {
				t.Fatalf("application after confirm: %+v, %v", app, err)
			}
			owned := e.clk.Now()
			if st := sliceLast(t, e, "asset-1", owned); st != sep.AssetOwned {
				t.Fatalf("asset status: %q", st)
			}
			if rows, _ := e.svc.OwnershipChanges(ctx, tenant, sep.OwnershipFilter{}); len(rows.Items) != 0 {
				t.Fatalf("executed application still listed: %+v", rows.Items)
			}
			if v, _ := e.sim.Vehicle(truck.EPTS); v.OwnerINN != sepsim.DemoLessorINN {
				t.Fatalf("SEP owner: %+v", v)
			}

			// Lease: an appendix of a lease contract for the truck, from 1C.
			e.clk.Advance(time.Hour)
			must(t, func() error {
				_, err := e.svc.PutLeaseContract(ctx, tenant, sep.LeaseContract{ID: "contract-1", OrganisationINN: sepsim.DemoLessorINN,
					DocName: "Приложение к договору лизинга", DocNumber: "ДЛ-2025/17", DocDate: t0, LeaseEnd: t0.AddDate(3, 0, 0),
					LesseeINN: sepsim.DemoLesseeINN, LesseeOGRN: sepsim.DemoLesseeOGRN, LesseeName: "ООО «Магистраль-Перевозки»",
					LesseeEmail: "fleet@magistral.example", AssetIDs: []string{"asset-1"}})
				return err
			})
			cands, err := e.svc.LeaseCandidates(ctx, tenant, sep.CandidatesRequest{OrganisationINN: sepsim.DemoLessorINN,
				From: t0.AddDate(0, 0, -1), To: t0})
			if err != nil || len(cands.Items) != 1 || !cands.Items[0].Ready {
				t.Fatalf("candidates: %+v, %v", cands, err)
			}
			outboxBefore := len(e.sim.Outbox())
			lease, err := e.svc.SendLease(ctx, tenant, sep.SendLeaseRequest{RequestID: "lease-1", ContractID: "contract-1", UseTechMailbox: true})
			if err != nil || lease.RequestStatus != sep.StatusQueued || lease.Status != sep.LeaseSending ||
				lease.LessorStatus != sep.PartyConfirmed || lease.LesseeStatus != sep.PartyNotApplicable {
				t.Fatalf("send lease: %+v, %v", lease, err)
			}
			if _, err := e.svc.ConfirmLease(ctx, tenant, sep.ConfirmLeaseRequest{LeaseID: lease.ID, LesseeStatus: sep.PartyConfirmed, Code: "123456"}); err == nil {
				t.Fatal("lessee confirmed before SEP registered the application")
			}
			e.tick(time.Minute)
			lease, _ = e.svc.LeaseApplication(ctx, tenant, lease.ID)
			if lease.Number == "" || lease.Status != sep.AppPending || lease.RequestStatus != sep.StatusAnswered {
				t.Fatalf("lease after answer: %+v", lease)
			}
			if cands, _ := e.svc.LeaseCandidates(ctx, tenant, sep.CandidatesRequest{OrganisationINN: sepsim.DemoLessorINN,
				From: t0, To: t0}); cands.Items[0].Ready || cands.Items[0].LeaseID != lease.ID {
				t.Fatalf("candidate after sending: %+v", cands.Items[0])
			}
			// SEP mailed the lessee's code to the technical mailbox; the hub reads it.
			outbox := e.sim.Outbox()
			if len(outbox) != outboxBefore+1 || outbox[outboxBefore].To != sepsim.DemoTechMailbox {
				t.Fatalf("lease letter: %+v", outbox[outboxBefore:])
			}
			codeLetter := e.ingestOutbox(outboxBefore)[0]
			if codeLetter.Code == "" || codeLetter.ApplicationNumber != lease.Number || codeLetter.VIN != "" ||
				codeLetter.EPTS != truck.EPTS {
				t.Fatalf("lease letter parsed: %+v", codeLetter)
			}
			lease, err = e.svc.ConfirmLease(ctx, tenant, sep.ConfirmLeaseRequest{RequestID: "lease-1-confirm", LeaseID: lease.ID,
				LesseeStatus: sep.PartyConfirmed})
			if err != nil || lease.RequestStatus != sep.StatusQueued {
				t.Fatalf("confirm lease: %+v, %v", lease, err)
			}
			e.tick(time.Minute)
			lease, _ = e.svc.LeaseApplication(ctx, tenant, lease.ID)
			if lease.Status != sep.AppExecuted || lease.LesseeStatus != sep.PartyConfirmed {
				t.Fatalf("lease after confirm: %+v", lease)
			}
			if st := sliceLast(t, e, "asset-1", e.clk.Now()); st != sep.AssetLeased {
				t.Fatalf("asset status: %q", st)
			}
			// The periodic register still knows the earlier status at the earlier moment.
			if st := sliceLast(t, e, "asset-1", owned); st != sep.AssetOwned {
				t.Fatalf("asset status at %v: %q", owned, st)
			}
			all, err := e.svc.SliceLast(ctx, tenant, sep.SliceLastQuery{})
			if err != nil || len(all.Items) != 1 || all.Items[0].Status != sep.AssetLeased {
				t.Fatalf("slice last of every asset: %+v, %v", all, err)
			}
			if v, _ := e.sim.Vehicle(truck.EPTS); v.LesseeINN != sepsim.DemoLesseeINN {
				t.Fatalf("SEP lessee: %+v", v)
			}

			// The registers tell the story.
			hist, _ := e.svc.History(ctx, tenant, sep.PageRequest{})
			queue, _ := e.svc.Queue(ctx, tenant, sep.QueueQuery{})
			codes, _ := e.svc.Codes(ctx, tenant, sep.PageRequest{})
			statuses, _ := e.svc.AssetStatuses(ctx, tenant, sep.AssetStatusQuery{})
			apps, _ := e.svc.Applications(ctx, tenant, sep.PageRequest{})
			errs, _ := e.svc.Errors(ctx, tenant, sep.PageRequest{})
			leases, _ := e.svc.LeaseApplications(ctx, tenant, sep.PageRequest{})
			if len(queue.Items) != 4 || len(hist.Items) != 8 || len(codes.Items) != 2 || len(statuses.Items) != 2 ||
				len(apps.Items) != 2 || len(errs.Items) != 0 || len(leases.Items) != 1 {
				t.Fatalf("registers: queue %d history %d codes %d statuses %d apps %d errors %d leases %d",
					len(queue.Items), len(hist.Items), len(codes.Items), len(statuses.Items), len(apps.Items), len(errs.Items), len(leases.Items))
			}
			for _, c := range codes.Items {
				if !c.Used {
					t.Fatalf("code not marked used: %+v", c)
				}
			}
			// Point reads by the registers' keys, with times to the second as 1C sends them.
			h := hist.Items[3]
			if got, err := e.svc.HistoryAt(ctx, tenant, h.Time.Truncate(time.Second), h.EntryID, h.Call); err != nil || got != h {
				t.Fatalf("history by key: %+v %v", got, err)
			}
			c := codes.Items[1]
			if got, err := e.svc.CodeAt(ctx, tenant, c.Received.Truncate(time.Second), c.LetterID); err != nil || got.Code != c.Code {
				t.Fatalf("code by key: %+v %v", got, err)
			}
			st := statuses.Items[1]
			if got, err := e.svc.AssetStatusAt(ctx, tenant, st.Period, st.AssetID, ""); err != nil || got.Status != st.Status {
				t.Fatalf("status by key: %+v %v", got, err)
			}
			if _, err := e.svc.ErrorAt(ctx, tenant, t0, "nothing", 0); err == nil {
				t.Fatal("found an error record that does not exist")
			}
			for _, q := range queue.Items {
				if q.Status != sep.StatusAnswered || q.Outcome != sep.OutcomeCompleted {
					t.Fatalf("queue entry: %+v", q)
				}
			}
			if c, _ := e.svc.Counts(ctx, tenant); c != (sep.Counts{}) {
				t.Fatalf("counts at the end: %+v", c)
			}
			e.assertNeverEarly()
			t.Logf("%s: %v", ad.name, time.Since(start))
		})
	}
}

func sliceLast(t *testing.T, e *env, asset string, at time.Time) string {
	t.Helper()
	p, err := e.svc.SliceLast(e.ctx, tenant, sep.SliceLastQuery{At: at, AssetID: asset})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) == 0 {
		return ""
	}
	return p.Items[0].Status
}
