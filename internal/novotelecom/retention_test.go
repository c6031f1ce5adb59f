package novotelecom_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/novotelecom"
	"github.com/stykovka/stykovka/internal/retention"
	"github.com/stykovka/stykovka/internal/tenants"
)

// TestRetention: a file whose processing is finished (accepted, rejected, answered, a reply
// sent) is deleted by the retention-sweep after the tenant's retention; its record stays and
// its content answers NOVOTELECOM_FILE_EXPIRED; a registry awaiting acceptance is never
// deleted, however long it waits; the exchange goes on.
func TestRetention(t *testing.T) {
	for _, adapter := range adapters {
		t.Run(adapter, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := newBackend(t, adapter)
			b.sim.SeedDemo(login)
			svc := b.service(t, nil)
			configure(t, svc, novotelecom.CodingCity)
			debts := must[novotelecom.Registry](t)(svc.SubmitDebts(ctx, tenant, demoDebts("req-1")))
			blobOf := map[string]string{}
			exists := func(key string) bool {
				t.Helper()
				_, err := b.bl.Get(ctx, key)
				if err != nil && !errors.Is(err, blobs.ErrNotFound) {
					t.Fatal(err)
				}
				return err == nil
			}
			keyed := func(r novotelecom.Registry, dir string) {
				if dir == "out" {
					blobOf[r.File] = "t/" + tenant + "/novotelecom/out/" + r.ID
				} else {
					blobOf[r.File] = "t/" + tenant + "/novotelecom/in/" + r.ID
				}
			}
			keyed(debts, "out")
			// Before any processing is finished, nothing has a lease.
			if _, ok, err := retention.BlobDue(ctx, b.st, tenant, blobOf[debts.File]); ok || err != nil {
				t.Fatalf("an outgoing file waiting for its exchange has a lease: %v", err)
			}
			must[novotelecom.Session](t)(svc.RunExchange(ctx, tenant, time.Time{}))
			rejected := inFolder(t, svc, novotelecom.FolderRejected)
			if len(rejected) != 1 {
				t.Fatalf("rejected: %+v", rejected)
			}
			keyed(rejected[0], "in")
			for _, f := range []string{debts.File, rejected[0].File} { // answered; rejected
				if _, ok, err := retention.BlobDue(ctx, b.st, tenant, blobOf[f]); !ok || err != nil || !exists(blobOf[f]) {
					t.Fatalf("%s: no lease after its processing (%v)", f, err)
				}
			}
			b.clk.Advance(time.Hour)
			must[novotelecom.Session](t)(svc.RunExchange(ctx, tenant, time.Time{}))
			pending := all(t, func(r novotelecom.ListRequest) (novotelecom.Page[novotelecom.Registry], error) {
				return svc.Pending(ctx, tenant, r)
			})
			if len(pending) != 3 {
				t.Fatalf("pending: %v", names(pending))
			}
			for _, p := range pending {
				keyed(p, "in")
				if _, ok, _ := retention.BlobDue(ctx, b.st, tenant, blobOf[p.File]); ok {
					t.Fatalf("%s awaits acceptance and has a lease", p.File)
				}
			}
			accepted, waiting := pending[2], pending[1] // Payments_20180621_007, Readings_20180622_001
			doc := must[novotelecom.Document](t)(svc.Accept(ctx, tenant, novotelecom.AcceptRequest{RegistryID: accepted.ID}))
			if at, ok, err := retention.BlobDue(ctx, b.st, tenant, blobOf[accepted.File]); err != nil || !ok || !at.Equal(b.clk.Now().Add(tenants.DefaultRetention).Truncate(time.Second)) {
				t.Fatalf("accepted registry's lease: %v %v %v", at, ok, err)
			}
			b.clk.Advance(time.Hour)
			must[novotelecom.Session](t)(svc.RunExchange(ctx, tenant, time.Time{})) // the confirmation goes
			conf := must[novotelecom.Registry](t)(svc.Registry(ctx, tenant, doc.Confirmation))
			keyed(conf, "out")
			if _, ok, _ := retention.BlobDue(ctx, b.st, tenant, blobOf[conf.File]); !ok || conf.Folder != novotelecom.FolderSent {
				t.Fatalf("a sent confirmation has no lease: %+v", conf)
			}

			sweep := func() {
				t.Helper()
				if _, err := retention.SweepBlobs(ctx, b.st, b.bl, tenant, b.clk.Now()); err != nil {
					t.Fatal(err)
				}
			}
			sweep()
			if !exists(blobOf[accepted.File]) {
				t.Fatal("swept before the retention ended")
			}
			b.clk.Advance(tenants.DefaultRetention + time.Second)
			sweep()
			for _, f := range []string{accepted.File, rejected[0].File, debts.File, conf.File} {
				if exists(blobOf[f]) {
					t.Errorf("%s: its content outlived the retention", f)
				}
			}
			if !exists(blobOf[waiting.File]) {
				t.Fatal("a registry awaiting acceptance was deleted")
			}
			if _, _, err := svc.Content(ctx, tenant, accepted.ID); code(err) != "NOVOTELECOM_FILE_EXPIRED" {
				t.Fatalf("content of an expired file: %v", err)
			}
			if _, err := svc.Lines(ctx, tenant, novotelecom.LinesRequest{RegistryID: accepted.ID}); code(err) != "NOVOTELECOM_FILE_EXPIRED" {
				t.Fatalf("lines of an expired file: %v", err)
			}
			if got := inFolder(t, svc, novotelecom.FolderAccepted); len(got) != 1 || got[0].ID != accepted.ID {
				t.Fatalf("accepted list: %v", names(got))
			}
			if _, err := svc.Document(ctx, tenant, accepted.ID); err != nil {
				t.Fatalf("document of an expired registry: %v", err)
			}
			// The errors quoting an account expired with the data.
			if errs := all(t, func(r novotelecom.ListRequest) (novotelecom.Page[novotelecom.ErrorEntry], error) {
				return svc.Errors(ctx, tenant, r)
			}); len(errs) != 0 {
				t.Fatalf("errors outlived the retention: %+v", errs)
			}
			if s := must[novotelecom.Session](t)(svc.RunExchange(ctx, tenant, time.Time{})); s.State != novotelecom.SessionDone {
				t.Fatalf("exchange after the sweep: %+v", s)
			}

			// However long it waits, a registry awaiting acceptance stays whole.
			b.clk.Advance(tenants.MaxRetention * 2)
			sweep()
			if _, _, err := svc.Content(ctx, tenant, waiting.ID); err != nil {
				t.Fatalf("content of a waiting registry: %v", err)
			}
			if _, err := svc.Accept(ctx, tenant, novotelecom.AcceptRequest{RegistryID: waiting.ID}); err != nil {
				t.Fatalf("accept after a long wait: %v", err)
			}
		})
	}
}
