package novotelecom_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/novotelecom"
	"github.com/stykovka/stykovka/internal/novotelecom/registry"
)

// TestSeedCycle plays the seed's whole cycle against the simulator on both deployments:
// build debts → exchange → receive payments → a bad registry rejected with file and line →
// the corrected one received → accept → the confirmation goes out with the next exchange.
func TestSeedCycle(t *testing.T) {
	for _, adapter := range adapters {
		t.Run(adapter, func(t *testing.T) {
			t.Parallel()
			seedCycle(t, adapter)
		})
	}
}

func seedCycle(t *testing.T, adapter string) {
	ctx := context.Background()
	b := newBackend(t, adapter)
	b.sim.SeedDemo(login)
	svc := b.service(t, nil)
	configure(t, svc, novotelecom.CodingCity)

	debts := must[novotelecom.Registry](t)(svc.SubmitDebts(ctx, tenant, demoDebts("req-1")))
	if debts.File != "Debts_20180621_001.txt" || debts.Folder != novotelecom.FolderOutgoing || debts.Count != 4 || debts.Sum.String() != "1745.40" {
		t.Fatalf("debts: %+v", debts)
	}

	name, content, err := svc.Content(ctx, tenant, debts.ID) // «показать файл»
	if err != nil || name != debts.File || int64(len(content)) != debts.Size || !bytes.HasPrefix(content, []byte("#MS1;DEBTS;001;21.06.2018;052018;4;1745.40;CP1251;\r\n")) {
		t.Fatalf("content: %s %q %v", name, content, err)
	}
	if novotelecom.FolderRejected.Title() != `Входящие\Ошибки` {
		t.Error(novotelecom.FolderRejected.Title())
	}

	// Exchange 1: the debts go, the demo registries and the answer to the debts come.
	s1 := must[novotelecom.Session](t)(svc.RunExchange(ctx, tenant, time.Time{}))
	if s1.State != novotelecom.SessionDone || s1.Sent != 1 || s1.Received != 4 || s1.Awaiting != 2 || s1.Rejected != 1 ||
		s1.Answers != 1 || s1.Errors != 1 || s1.Message != "Передано файлов: 1, принято: 4, с ошибками: 1, реестров к приёму: 2" {
		t.Fatalf("session 1: %+v", s1)
	}
	if len(s1.Details) != 5 {
		t.Errorf("details: %q", s1.Details)
	}
	if got := names(inFolder(t, svc, novotelecom.FolderProcessed)); !slices.Equal(got, []string{"Debts_20180621_001.txt"}) {
		t.Errorf("processed: %v", got)
	}
	rejected := inFolder(t, svc, novotelecom.FolderRejected)
	if len(rejected) != 1 || rejected[0].File != "Payments_20180621_007.txt" ||
		rejected[0].Diagnostic != "строка: 1, неизв.лиц.счёт: 8032067" || rejected[0].Reply != "Reject_20180621_001.txt" {
		t.Fatalf("rejected: %+v", rejected)
	}
	errs := all(t, func(r novotelecom.ListRequest) (novotelecom.Page[novotelecom.ErrorEntry], error) {
		return svc.Errors(ctx, tenant, r)
	})
	const seedText = "Принятый файл Payments_20180621_007.txt отправлен в 'Ошибки'. В Новотелеком подготовлен отказ, " +
		"с указанием ошибки: 'строка: 1, неизв.лиц.счёт: 8032067'. Разбор возможен только вручную."
	if len(errs) != 1 || errs[0].Text != seedText || errs[0].Line != 1 || errs[0].File != "Payments_20180621_007.txt" {
		t.Fatalf("errors: %+v", errs)
	}
	if got := names(inFolder(t, svc, novotelecom.FolderOutgoing)); !slices.Equal(got, []string{"Reject_20180621_001.txt"}) {
		t.Fatalf("outgoing after exchange 1: %v", got)
	}
	// A broken registry is not accepted.
	if _, err := svc.Accept(ctx, tenant, novotelecom.AcceptRequest{RegistryID: rejected[0].ID}); code(err) != "NOVOTELECOM_NOT_ACCEPTABLE" {
		t.Errorf("accept of a rejected registry: %v", err)
	}

	// Exchange 2: the rejection goes; Novotelecom resends the corrected registry.
	b.clk.Advance(time.Hour)
	s2 := must[novotelecom.Session](t)(svc.RunExchange(ctx, tenant, time.Time{}))
	if s2.Sent != 1 || s2.Received != 1 || s2.Awaiting != 1 || s2.Errors != 0 {
		t.Fatalf("session 2: %+v", s2)
	}
	pending := all(t, func(r novotelecom.ListRequest) (novotelecom.Page[novotelecom.Registry], error) {
		return svc.Pending(ctx, tenant, r)
	})
	var list []string
	for _, r := range pending {
		list = append(list, fmt.Sprintf("%s %s %03d %d %s", r.File, r.Date.Format("02.01.06"), r.Number, r.Count, r.Sum))
	}
	want := []string{
		"Payments_20180622_002.txt 22.06.18 002 1 100.00",
		"Readings_20180622_001.txt 22.06.18 001 2 433.450",
		"Payments_20180621_007.txt 21.06.18 007 2 1055.00",
	}
	if !slices.Equal(list, want) {
		t.Fatalf("pending:\n%s\nwant\n%s", strings.Join(list, "\n"), strings.Join(want, "\n"))
	}

	// Accept the corrected payments: one document, one payment per line, a confirmation.
	doc := must[novotelecom.Document](t)(svc.Accept(ctx, tenant, novotelecom.AcceptRequest{RegistryID: pending[2].ID}))
	if doc.Type != novotelecom.DocPayments || doc.Title != `Реестр "Мои счета"` || doc.Count != 2 || doc.Sum.String() != "1055.00" ||
		doc.Number != 7 || doc.Comment != "Принято из 'Мои Счета'" || doc.Confirmation != "Confirm_20180621_001.txt" || len(doc.ID) != 36 {
		t.Fatalf("document: %+v", doc)
	}
	lines := all(t, func(r novotelecom.ListRequest) (novotelecom.Page[novotelecom.Line], error) {
		return svc.Lines(ctx, tenant, novotelecom.LinesRequest{RegistryID: doc.RegistryID, ListRequest: r})
	})
	if len(lines) != 2 || lines[0].Account != "8032001" || lines[0].Amount.String() != "1000.00" || lines[0].PaymentID != "NT-0000000101" ||
		lines[1].Line != 2 || lines[1].Amount.String() != "55.00" || lines[1].Period != (registry.Period{Year: 2018, Month: time.May}) {
		t.Fatalf("lines: %+v", lines)
	}
	if _, err := svc.Accept(ctx, tenant, novotelecom.AcceptRequest{RegistryID: pending[2].ID}); code(err) != "NOVOTELECOM_ALREADY_ACCEPTED" {
		t.Fatalf("second accept: %v", err)
	}
	if again := must[novotelecom.Document](t)(svc.Document(ctx, tenant, pending[2].ID)); again.ID != doc.ID || again.Confirmation != doc.Confirmation {
		t.Fatalf("document read back: %+v", again)
	}
	rdoc := must[novotelecom.Document](t)(svc.Accept(ctx, tenant, novotelecom.AcceptRequest{RegistryID: pending[1].ID}))
	if rdoc.Type != novotelecom.DocReadings || rdoc.Title != "Показания новые" || rdoc.Confirmation != "Confirm_20180621_002.txt" {
		t.Fatalf("readings document: %+v", rdoc)
	}
	if got := names(inFolder(t, svc, novotelecom.FolderOutgoing)); !slices.Equal(got, []string{"Confirm_20180621_001.txt", "Confirm_20180621_002.txt"}) {
		t.Fatalf("outgoing after acceptance: %v", got)
	}

	// Exchange 3: the confirmations go.
	b.clk.Advance(time.Hour)
	s3 := must[novotelecom.Session](t)(svc.RunExchange(ctx, tenant, time.Time{}))
	if s3.Sent != 2 || s3.Received != 0 {
		t.Fatalf("session 3: %+v", s3)
	}
	ups := b.sim.Uploads(login)
	var upNames []string
	for _, u := range ups {
		upNames = append(upNames, u.Name)
		if u.Puts != 1 {
			t.Errorf("%s uploaded %d times", u.Name, u.Puts)
		}
	}
	if !slices.Equal(upNames, []string{"Debts_20180621_001.txt", "Reject_20180621_001.txt", "Confirm_20180621_001.txt", "Confirm_20180621_002.txt"}) {
		t.Fatalf("uploads: %v", upNames)
	}
	h, err := registry.Validate(bytes.NewReader(ups[2].Data), ups[2].Name, registry.Options{Kind: registry.Confirm})
	if err != nil || h.Ref != "Payments_20180621_007.txt" || h.Count != 2 || h.Sum.String() != "1055.00" || h.Charset != registry.CP1251 {
		t.Fatalf("confirmation: %+v %v", h, err)
	}
	h, err = registry.Validate(bytes.NewReader(ups[1].Data), ups[1].Name, registry.Options{Kind: registry.Reject})
	if err != nil || h.Ref != "Payments_20180621_007.txt" || h.Count != 1 || !bytes.Contains(ups[1].Data, []byte("1;")) {
		t.Fatalf("rejection: %+v %v\n%s", h, err, ups[1].Data)
	}
	if pending := b.sim.Pending(login); len(pending) != 0 {
		t.Fatalf("left on the server: %d files", len(pending))
	}
	sessions := all(t, func(r novotelecom.ListRequest) (novotelecom.Page[novotelecom.Session], error) {
		return svc.Sessions(ctx, tenant, r)
	})
	if len(sessions) != 3 || sessions[0].ID != s3.ID || sessions[2].ID != s1.ID || !sessions[0].Manual {
		t.Fatalf("sessions: %+v", sessions)
	}
}
