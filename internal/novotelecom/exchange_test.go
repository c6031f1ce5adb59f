package novotelecom_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/money"
	"github.com/stykovka/stykovka/internal/novotelecom"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
	"github.com/stykovka/stykovka/internal/scheduler"
	ntsim "github.com/stykovka/stykovka/internal/sim/novotelecom"
)

func payments(t *testing.T, number int, cs registry.Charset, recs ...registry.Record) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	h, err := registry.Build(&buf, registry.Header{Kind: registry.Payments, Number: number, Date: registry.Date(2018, 6, 21), Charset: cs}, slices.Values(recs))
	if err != nil {
		t.Fatal(err)
	}
	return h.FileName(), buf.Bytes()
}

func pay(account, amount, id string) registry.Record {
	return registry.Record{Account: account, Period: registry.Period{Year: 2018, Month: time.May}, Amount: money.MustParse(amount),
		Time: time.Date(2018, 6, 21, 10, 0, 0, 0, time.UTC), ID: id}
}

// ready is a configured tenant whose demo accounts are known.
func ready(t *testing.T, adapter string) (*backend, *novotelecom.Service) {
	t.Helper()
	b := newBackend(t, adapter)
	svc := b.service(t, nil)
	configure(t, svc, novotelecom.CodingCity)
	if _, err := svc.SubmitDebts(context.Background(), tenant, demoDebts("req-1")); err != nil {
		t.Fatal(err)
	}
	return b, svc
}

// TestServerFaults breaks the server in every way the simulator can and checks that no file
// is lost or doubled, on both deployments.
func TestServerFaults(t *testing.T) {
	for _, adapter := range adapters {
		t.Run(adapter, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b, svc := ready(t, adapter)
			name, data := payments(t, 1, registry.CP1251, pay("8032001", "10.00", "p1"))

			// Down for longer than the client retries: the session fails, nothing moves.
			b.sim.SetFaults(ntsim.Faults{Unavailable: 100})
			s, err := svc.RunExchange(ctx, tenant, time.Time{})
			if code(err) != novotelecom.CodeServerDown || s.State != novotelecom.SessionFailed || s.ErrorCode != novotelecom.CodeServerDown ||
				!strings.HasPrefix(s.Message, "Обмен не завершён: ") {
				t.Fatalf("server down: %+v %v", s, err)
			}
			if got := names(inFolder(t, svc, novotelecom.FolderOutgoing)); len(got) != 1 {
				t.Fatalf("outgoing after a failed session: %v", got)
			}
			errs := all(t, func(r novotelecom.ListRequest) (novotelecom.Page[novotelecom.ErrorEntry], error) {
				return svc.Errors(ctx, tenant, r)
			})
			if len(errs) != 1 || !strings.Contains(errs[0].Text, "не завершён") {
				t.Fatalf("errors: %+v", errs)
			}

			// Every fault at once, each within what the client retries: one clean session.
			failed := b.sim.Stats().Failed
			b.sim.SetFaults(ntsim.Faults{Unavailable: 2, DropDownloads: 2, DuplicateListing: true, MalformedLists: 1, Delay: 5 * time.Millisecond})
			b.sim.Offer(login, name, data)
			b.clk.Advance(time.Minute)
			s, err = svc.RunExchange(ctx, tenant, time.Time{})
			if err != nil || s.Sent != 1 || s.Received != 2 || s.Awaiting != 1 || s.Answers != 1 {
				t.Fatalf("flaky server: %+v %v", s, err)
			}
			if st := b.sim.Stats(); st.Failed-failed != 2 {
				t.Errorf("stats %+v", st)
			}
			b.sim.SetFaults(ntsim.Faults{})

			// The server offers a file again that it had already delivered: imported once.
			if _, ok := b.sim.Reissue(login, name); !ok {
				t.Fatal("reissue")
			}
			b.clk.Advance(time.Minute)
			s, err = svc.RunExchange(ctx, tenant, time.Time{})
			if err != nil || s.Received != 0 || s.Duplicates != 1 {
				t.Fatalf("reissued file: %+v %v", s, err)
			}
			if got := inFolder(t, svc, novotelecom.FolderAwaiting); len(got) != 1 {
				t.Fatalf("awaiting: %v", names(got))
			}
			if p := b.sim.Pending(login); len(p) != 0 {
				t.Fatalf("left on the server: %d", len(p))
			}
			if ups := b.sim.Uploads(login); len(ups) != 1 || ups[0].Puts != 1 {
				t.Fatalf("uploads: %+v", ups)
			}

			// Sessions expire on the server: the client logs in again by itself.
			b.sim.ExpireTokens()
			b.sim.Offer(login, "Payments_20180621_002.txt", bytes.Replace(data, []byte(";001;"), []byte(";002;"), 1))
			b.clk.Advance(time.Minute)
			if s, err = svc.RunExchange(ctx, tenant, time.Time{}); err != nil || s.Received != 1 {
				t.Fatalf("after token expiry: %+v %v", s, err)
			}
		})
	}
}

func TestSlowServerTimesOut(t *testing.T) {
	ctx := context.Background()
	b, _ := ready(t, "bolt")
	b.sim.SetFaults(ntsim.Faults{Delay: 2 * time.Second})
	svc := b.service(t, nil)
	// The caller's deadline bounds the whole session; the session is still recorded.
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	s, err := svc.RunExchange(cctx, tenant, time.Time{})
	if code(err) != novotelecom.CodeServerDown || s.State != novotelecom.SessionFailed {
		t.Fatalf("slow server: %+v %v", s, err)
	}
	b.sim.SetFaults(ntsim.Faults{})
	b.clk.Advance(time.Minute)
	if s, err := svc.RunExchange(ctx, tenant, time.Time{}); err != nil || s.Sent != 1 {
		t.Fatalf("after the server recovered: %+v %v", s, err)
	}
}

// TestIncomingEdgeCases: files Novotelecom should not send, answers with errors, answers to
// nothing, and charsets.
func TestIncomingEdgeCases(t *testing.T) {
	ctx := context.Background()
	b, svc := ready(t, "bolt")
	// Exchange 1 sends the debts; the simulator answers them.
	must[novotelecom.Session](t)(svc.RunExchange(ctx, tenant, time.Time{}))

	answer := func(n int, ref string, errs ...registry.Record) (string, []byte) {
		var buf bytes.Buffer
		h, err := registry.Build(&buf, registry.Header{Kind: registry.Answer, Number: n, Date: registry.Date(2018, 6, 21), Ref: ref, Charset: registry.UTF8}, slices.Values(errs))
		if err != nil {
			t.Fatal(err)
		}
		return h.FileName(), buf.Bytes()
	}
	debts2 := must[novotelecom.Registry](t)(svc.SubmitDebts(ctx, tenant, demoDebts("req-2")))
	b.clk.Advance(time.Minute)
	must[novotelecom.Session](t)(svc.RunExchange(ctx, tenant, time.Time{}))
	if got := names(inFolder(t, svc, novotelecom.FolderProcessed)); !slices.Equal(got, []string{"Debts_20180621_001.txt", debts2.File}) {
		t.Fatalf("processed: %v", got)
	}
	debts3 := must[novotelecom.Registry](t)(svc.SubmitDebts(ctx, tenant, demoDebts("req-3")))
	files := map[string][]byte{}
	n, data := answer(50, "Debts_20990101_001.txt") // to a file never sent
	files[n] = data
	n, data = answer(51, "Debts_20180621_001.txt", registry.Record{RefLine: 2, Message: "неизв.код услуги: 102"}) // answered already
	files[n] = data
	n, data = payments(t, 9, "", pay("8032001", "5.00", "x1"))
	files[n] = bytes.Replace(data, []byte("#MS1;PAYMENTS;"), []byte("#MS1;SALDO;"), 1) // unknown kind
	var debtsFile bytes.Buffer
	if _, err := registry.Build(&debtsFile, registry.Header{Kind: registry.Debts, Number: 4, Date: registry.Date(2018, 6, 21), Period: registry.Period{Year: 2018, Month: 5}},
		slices.Values([]registry.Record{{Account: "1", Amount: money.MustParse("1.00")}})); err != nil {
		t.Fatal(err)
	}
	files["Debts_20180621_004.txt"] = debtsFile.Bytes() // a kind the hub sends, not receives
	n, data = payments(t, 10, registry.UTF8, pay("8032002", "7.00", "x2"))
	files["Payments_20180621_010.txt"] = bytes.Replace(data, []byte(";UTF-8;"), []byte(";;"), 1) // undeclared charset
	files["Answer_20180621_070.txt"] = []byte("garbage\r\n")                                     // a broken answer: no rejection for it
	for name, data := range files {
		b.sim.Offer(login, name, data)
	}
	b.clk.Advance(time.Minute)
	s := must[novotelecom.Session](t)(svc.RunExchange(ctx, tenant, time.Time{}))
	// debts3 is sent and answered by the simulator (processed); 6 offered + 1 answer received.
	if s.Received != 7 || s.Rejected != 4 || s.Awaiting != 1 || s.Answers != 2 {
		t.Fatalf("session: %+v\n%s", s, strings.Join(s.Details, "\n"))
	}
	rejected := map[string]string{}
	for _, r := range inFolder(t, svc, novotelecom.FolderRejected) {
		rejected[r.File] = r.Diagnostic + " | reply " + r.Reply
	}
	want := map[string]string{
		"Answer_20180621_050.txt":   "строка: 0, ответ на неизвестный файл: Debts_20990101_001.txt | reply ",
		"Answer_20180621_070.txt":   "строка: 0, заголовок: нет признака #MS1 | reply ",
		"Payments_20180621_009.txt": "строка: 0, заголовок: тип реестра: SALDO | reply Reject_20180621_002.txt",
		"Debts_20180621_004.txt":    "строка: 0, заголовок: реестр DEBTS не принимается от Новотелекома | reply Reject_20180621_001.txt",
	}
	if len(rejected) != len(want) {
		t.Fatalf("rejected: %v", rejected)
	}
	for f, w := range want {
		// Reply numbers depend on processing order; the kind and presence are what matter.
		got := rejected[f]
		if strings.Contains(w, "Reject_") {
			if !strings.HasPrefix(got, w[:strings.Index(w, "Reject_")]) || !strings.Contains(got, "Reject_20180621_00") {
				t.Errorf("%s: %q", f, got)
			}
		} else if got != w {
			t.Errorf("%s: %q, want %q", f, got, w)
		}
	}
	// The late answer with an error does not undo the first answer.
	if got := names(inFolder(t, svc, novotelecom.FolderProcessed)); !slices.Contains(got, "Debts_20180621_001.txt") || !slices.Contains(got, debts3.File) {
		t.Fatalf("processed: %v", got)
	}
	awaiting := inFolder(t, svc, novotelecom.FolderAwaiting)
	// Payments hold no free text, so an undeclared charset stays undetermined.
	if len(awaiting) != 1 || awaiting[0].Charset != "" || awaiting[0].Sum.String() != "7.00" {
		t.Fatalf("awaiting: %+v", awaiting)
	}

	// An answer with errors moves our file to Errors and lists the error. The hand-made
	// answer is offered before the upload, so it is read before the simulator's own (clean)
	// answer, which then no longer changes the file.
	debts6 := must[novotelecom.Registry](t)(svc.SubmitDebts(ctx, tenant, demoDebts("req-6")))
	n, data = answer(60, debts6.File, registry.Record{RefLine: 3, Message: "неизв.код услуги: 101"})
	b.sim.Offer(login, n, data)
	b.clk.Advance(time.Minute)
	s = must[novotelecom.Session](t)(svc.RunExchange(ctx, tenant, time.Time{}))
	got := must[novotelecom.Registry](t)(svc.Registry(ctx, tenant, debts6.ID))
	if got.Folder != novotelecom.FolderErrors || !slices.Equal(got.Errors, []string{"строка: 3, неизв.код услуги: 101"}) || s.Errors != 1 {
		t.Fatalf("answered with errors: %+v, session %+v", got, s)
	}
	errs := all(t, func(r novotelecom.ListRequest) (novotelecom.Page[novotelecom.ErrorEntry], error) {
		return svc.Errors(ctx, tenant, r)
	})
	if errs[0].RegistryID != debts6.ID || errs[0].Text != "Новотелеком не принял файл "+debts6.File+": строка: 3, неизв.код услуги: 101" {
		t.Fatalf("newest error: %+v", errs[0])
	}
}

func TestUploadRefused(t *testing.T) {
	ctx := context.Background()
	b, svc := ready(t, "bolt")
	// Someone else's file under our next name: the server refuses ours for good.
	if _, err := b.simTo.Login(ctx, login, password); err != nil {
		t.Fatal(err)
	}
	conn, _ := b.simTo.Login(ctx, login, password)
	if _, err := conn.Upload(ctx, "Debts_20180621_001.txt", []byte("other content")); err != nil {
		t.Fatal(err)
	}
	// The simulator answered the other file too: that answer names our file with an error.
	s, err := svc.RunExchange(ctx, tenant, time.Time{})
	if err != nil || s.Sent != 0 || s.Errors != 2 || !slices.Contains(s.Details,
		"Не передан Debts_20180621_001.txt: Сервер «Мои счета» отказал: файл Debts_20180621_001.txt с другим содержимым уже был передан") {
		t.Fatalf("refused upload: %+v %v", s, err)
	}
	if got := names(inFolder(t, svc, novotelecom.FolderErrors)); !slices.Equal(got, []string{"Debts_20180621_001.txt"}) {
		t.Fatalf("errors folder: %v", got)
	}
}

func TestScheduledAndLock(t *testing.T) {
	ctx := context.Background()
	b, svc := ready(t, "bolt")
	slot := time.Date(2018, 6, 21, 9, 0, 0, 0, time.UTC)
	first := must[novotelecom.ScheduledRun](t)(svc.RunScheduled(ctx, scheduler.Tick{Job: "novotelecom-exchange", Scheduled: slot}))
	if len(first.Tenants) != 1 || !first.Tenants[0].Due || first.Tenants[0].Session.Sent != 1 || first.Tenants[0].Session.Manual {
		t.Fatalf("scheduled: %+v", first)
	}
	// EventBridge delivers a slot again: the recorded session, nothing run twice.
	b.sim.Offer(login, "Payments_20180621_001.txt", nil)
	again := must[novotelecom.ScheduledRun](t)(svc.RunScheduled(ctx, scheduler.Tick{Scheduled: slot}))
	if again.Tenants[0].Session.ID != first.Tenants[0].Session.ID || again.Tenants[0].Session.Received != first.Tenants[0].Session.Received ||
		again.Tenants[0].Session.Attempts != 1 {
		t.Fatalf("repeated slot: %+v", again)
	}
	// Not a slot of the tenant's hourly schedule.
	off := must[novotelecom.ScheduledRun](t)(svc.RunScheduled(ctx, scheduler.Tick{Scheduled: slot.Add(15 * time.Minute)}))
	if off.Tenants[0].Due || off.Tenants[0].Session.ID != "" {
		t.Fatalf("off-schedule: %+v", off)
	}

	// A session in progress (held lock) keeps another slot out until its lease ends, then
	// it is marked interrupted.
	crash := &crasher{step: novotelecom.StepBeforeDownload, n: 1}
	if !run(func() { _, _ = b.service(t, crash.hook).RunExchange(ctx, tenant, slot.Add(time.Hour)) }) {
		t.Fatal("never crashed")
	}
	b.clk.Advance(time.Minute)
	if _, err := svc.RunExchange(ctx, tenant, time.Time{}); code(err) != "NOVOTELECOM_BUSY" {
		t.Fatalf("while locked: %v", err)
	}
	b.clk.Advance(16 * time.Minute)
	if s, err := svc.RunExchange(ctx, tenant, time.Time{}); err != nil || s.State != novotelecom.SessionDone {
		t.Fatalf("after the lease: %+v %v", s, err)
	}
	old := must[novotelecom.Session](t)(svc.Session(ctx, tenant, novotelecom.SessionID(slot.Add(time.Hour))))
	if old.State != novotelecom.SessionFailed || old.ErrorCode != "NOVOTELECOM_INTERRUPTED" {
		t.Fatalf("interrupted session: %+v", old)
	}
}

func TestLinesPaging(t *testing.T) {
	ctx := context.Background()
	b, svc := ready(t, "bolt")
	var recs []registry.Record
	for i := range 7 {
		recs = append(recs, pay("8032001", "1.00", "id"+string(rune('a'+i))))
	}
	name, data := payments(t, 3, registry.CP1251, recs...)
	b.sim.Offer(login, name, data)
	must[novotelecom.Session](t)(svc.RunExchange(ctx, tenant, time.Time{}))
	reg := inFolder(t, svc, novotelecom.FolderAwaiting)[0]
	var ids []string
	req := novotelecom.LinesRequest{RegistryID: reg.ID, ListRequest: novotelecom.ListRequest{Limit: 3}}
	var firstCursor string
	for {
		p := must[novotelecom.Page[novotelecom.Line]](t)(svc.Lines(ctx, tenant, req))
		for _, l := range p.Items {
			ids = append(ids, l.PaymentID)
		}
		if p.Next == "" {
			break
		}
		if firstCursor == "" {
			firstCursor = p.Next
		}
		req.Cursor = p.Next
	}
	if strings.Join(ids, ",") != "ida,idb,idc,idd,ide,idf,idg" {
		t.Fatalf("lines: %v", ids)
	}
	// A cursor of another registry, or a forged one, is refused.
	out := inFolder(t, svc, novotelecom.FolderProcessed)[0]
	if _, err := svc.Lines(ctx, tenant, novotelecom.LinesRequest{RegistryID: out.ID, ListRequest: novotelecom.ListRequest{Cursor: firstCursor}}); code(err) != "NOVOTELECOM_CURSOR" {
		t.Fatalf("foreign cursor: %v", err)
	}
	if _, err := svc.Lines(ctx, tenant, novotelecom.LinesRequest{RegistryID: reg.ID, ListRequest: novotelecom.ListRequest{Cursor: "!!"}}); code(err) != "NOVOTELECOM_CURSOR" {
		t.Fatalf("forged cursor: %v", err)
	}
	if _, err := svc.Registries(ctx, tenant, novotelecom.RegistriesRequest{ListRequest: novotelecom.ListRequest{Cursor: "!!"}}); code(err) != "NOVOTELECOM_CURSOR" {
		t.Fatalf("forged registries cursor: %v", err)
	}
	// Outgoing files have lines too.
	debts := must[novotelecom.Page[novotelecom.Line]](t)(svc.Lines(ctx, tenant, novotelecom.LinesRequest{RegistryID: out.ID}))
	if len(debts.Items) != 4 || debts.Items[0].Address != "г. Новосибирск, ул. Ленина, 1-1" || debts.Items[3].Amount.String() != "-20.00" {
		t.Fatalf("debts lines: %+v", debts.Items)
	}
	if _, err := svc.Lines(ctx, tenant, novotelecom.LinesRequest{RegistryID: "nope"}); code(err) != "NOVOTELECOM_NO_REGISTRY" {
		t.Fatalf("unknown registry: %v", err)
	}
	all := must[novotelecom.Page[novotelecom.Registry]](t)(svc.Registries(ctx, tenant, novotelecom.RegistriesRequest{}))
	if len(all.Items) != 3 { // debts, its answer, the payments
		t.Fatalf("all registries: %v", names(all.Items))
	}
}
