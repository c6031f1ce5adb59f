package sep_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stykovka/stykovka/internal/blobs"
	"github.com/stykovka/stykovka/internal/blobs/folderblobs"
	"github.com/stykovka/stykovka/internal/clock"
	"github.com/stykovka/stykovka/internal/retention"
	"github.com/stykovka/stykovka/internal/sep"
	"github.com/stykovka/stykovka/internal/tenants"
)

// TestNotificationRetention: a notification file is delivered once written; it gets a lease
// of the tenant's retention and the retention-sweep deletes it then.
func TestNotificationRetention(t *testing.T) {
	for _, ad := range adapters {
		t.Run(ad.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clk := clock.NewFake(t0)
			st := ad.open(t, clk)
			bl, err := folderblobs.New(filepath.Join(t.TempDir(), "blobs"))
			if err != nil {
				t.Fatal(err)
			}
			reg := tenants.New(st, clk)
			if _, err := reg.AddTenant(ctx, tenant, tenant, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := reg.SetRetention(ctx, tenant, 24*time.Hour); err != nil {
				t.Fatal(err)
			}
			n := &sep.OutboxNotifier{Blobs: bl, Store: st, Clock: clk, From: "hub@demo-leasing.example"}
			if err := n.Notify(ctx, tenant, sep.Message{ID: "note-1", To: "ivanov@demo-leasing.example",
				Subject: "Письмо СЭП", Text: "Иванов Иван Иванович: новое письмо"}); err != nil {
				t.Fatal(err)
			}
			key := sep.OutboxKey(tenant, "note-1")
			at, ok, err := retention.BlobDue(ctx, st, tenant, key)
			if err != nil || !ok || !at.Equal(t0.Add(24*time.Hour)) {
				t.Fatalf("lease: %v %v %v", at, ok, err)
			}
			sweep := func() {
				t.Helper()
				if _, err := retention.SweepBlobs(ctx, st, bl, tenant, clk.Now()); err != nil {
					t.Fatal(err)
				}
			}
			clk.Advance(23 * time.Hour)
			sweep()
			if data, err := bl.Get(ctx, key); err != nil || !strings.Contains(string(data), "To: ivanov@") {
				t.Fatalf("swept early: %v", err)
			}
			clk.Advance(time.Hour)
			sweep()
			if _, err := bl.Get(ctx, key); !errors.Is(err, blobs.ErrNotFound) {
				t.Fatalf("notification outlived the retention: %v", err)
			}
			// Without a store the notifier refuses rather than keep personal data forever.
			if err := (&sep.OutboxNotifier{Blobs: bl, Clock: clk}).Notify(ctx, tenant, sep.Message{ID: "note-2",
				To: "ivanov@demo-leasing.example", Text: "x"}); err == nil {
				t.Fatal("a notifier without a store wrote a file")
			}
		})
	}
}
